/**
 * A small streaming reader of tar archives (ustar with pax extended headers, as `git archive` and
 * GitHub's source archives write them), so `tau data fetch` needs no dependency. Reads regular
 * files, directories and links' names; pax `path=`/`size=` (long names) are honoured, the global
 * header (GitHub's holds the commit id) is read and skipped, GNU long names (`L`) are honoured too. Entry paths are checked: an absolute path or a `..` component is refused.
 */
import { Effect, Result, Schema } from "effect"

export class TarFormatError extends Schema.TaggedError<TarFormatError>()("TarFormatError", {
  reason: Schema.String,
}) {
  override get message(): string {
    return `not a valid tar archive: ${this.reason}`
  }
}

export class UnsafeTarEntry extends Schema.TaggedError<UnsafeTarEntry>()("UnsafeTarEntry", {
  path: Schema.String,
}) {
  override get message(): string {
    return `archive entry ${JSON.stringify(this.path)} would be written outside the target folder (absolute path or "..")`
  }
}

export interface TarEntry {
  /** The entry's path, `/`-separated, without a leading `./` or trailing `/`. */
  readonly path: string
  readonly type: "file" | "directory" | "symlink" | "hardlink" | "other"
  readonly size: number
  /** The content of a regular file (empty for other types). */
  readonly data: Buffer
}

const BLOCK = 512

type Parsed<A> = Result.Result<A, TarFormatError>
const malformed = (reason: string) => Result.fail(new TarFormatError({ reason }))

/** Reads exact byte counts from a stream of chunks; a failure of the stream is `E` (what `failed` makes of it). */
class Bytes<E> {
  private chunks: Buffer[] = []
  private length = 0
  private done = false
  private readonly it: AsyncIterator<Buffer>
  private readonly failed: (e: unknown) => E
  constructor(source: AsyncIterable<Buffer>, failed: (e: unknown) => E) {
    this.it = source[Symbol.asyncIterator]()
    this.failed = failed
  }
  /** `n` bytes, or fewer only at the end of the stream. */
  read(n: number): Effect.Effect<Buffer, E> {
    const self = this
    return Effect.gen(function* () {
      while (self.length < n && !self.done) {
        const next = yield* Effect.tryPromise({ try: () => self.it.next(), catch: self.failed })
        if (next.done) self.done = true
        else {
          self.chunks.push(next.value)
          self.length += next.value.length
        }
      }
      const all = self.chunks.length === 1 ? self.chunks[0] : Buffer.concat(self.chunks, self.length)
      const take = Math.min(n, all.length)
      const out = all.subarray(0, take)
      const rest = all.subarray(take)
      self.chunks = rest.length > 0 ? [rest] : []
      self.length = rest.length
      return out
    })
  }
  exactly(n: number, what: string): Effect.Effect<Buffer, E | TarFormatError> {
    return Effect.flatMap(this.read(n), (b) =>
      b.length < n ? Effect.fail(new TarFormatError({ reason: `truncated ${what} (${b.length} of ${n} bytes)` })) : Effect.succeed(b),
    )
  }
}

const text = (b: Buffer, start: number, len: number) => {
  const field = b.subarray(start, start + len)
  const nul = field.indexOf(0)
  return field.subarray(0, nul < 0 ? len : nul).toString("utf8")
}

/** An octal number field, or base-256 when its high bit is set (GNU, for sizes ≥ 8 GiB). */
const number = (b: Buffer, start: number, len: number, what: string): Parsed<number> => {
  if (b[start] & 0x80) {
    let n = b[start] & 0x7f
    for (let i = start + 1; i < start + len; i++) n = n * 256 + b[i]
    return Result.succeed(n)
  }
  const s = text(b, start, len).trim()
  if (s === "") return Result.succeed(0)
  if (!/^[0-7]+$/.test(s)) return malformed(`header field ${what} is not a number: ${JSON.stringify(s)}`)
  return Result.succeed(Number.parseInt(s, 8))
}

const checksumOk = (h: Buffer): Parsed<boolean> => {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]
  return Result.map(number(h, 148, 8, "chksum"), (recorded) => sum === recorded)
}

/** `"<len> <key>=<value>\n"` records. */
const paxRecords = (data: Buffer): Parsed<Record<string, string>> => {
  const out: Record<string, string> = {}
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    const len = space < 0 ? Number.NaN : Number.parseInt(data.subarray(at, space).toString("ascii"), 10)
    if (!Number.isSafeInteger(len) || len <= 0 || at + len > data.length) return malformed("malformed pax extended header")
    const record = data.subarray(space + 1, at + len - 1).toString("utf8")
    const eq = record.indexOf("=")
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1)
    at += len
  }
  return Result.succeed(out)
}

/** The path as written, normalised; refused when it is absolute or has a `..` component. */
const safePath = (raw: string): Result.Result<string, UnsafeTarEntry> => {
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw) || raw.includes("\\")) return Result.fail(new UnsafeTarEntry({ path: raw }))
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".")
  if (parts.includes("..")) return Result.fail(new UnsafeTarEntry({ path: raw }))
  return Result.succeed(parts.join("/"))
}

const typeOf = (flag: string): TarEntry["type"] =>
  flag === "0" || flag === "" || flag === "7" ? "file" : flag === "5" ? "directory" : flag === "2" ? "symlink" : flag === "1" ? "hardlink" : "other"

/**
 * Reads a (decompressed) tar stream, handing each entry to `onEntry` in order. A malformed
 * archive is a `TarFormatError`, an unsafe entry path an `UnsafeTarEntry`, a failure of the
 * stream itself what `failed` makes of it; reading stops at the first failure.
 */
export const readTar = <E, E2, R>(
  source: AsyncIterable<Buffer>,
  failed: (e: unknown) => E,
  onEntry: (entry: TarEntry) => Effect.Effect<void, E2, R>,
): Effect.Effect<void, TarFormatError | UnsafeTarEntry | E | E2, R> =>
  Effect.gen(function* () {
    const bytes = new Bytes(source, failed)
    let local: Record<string, string> = {}
    let longName: string | undefined
    for (;;) {
      const header = yield* bytes.read(BLOCK)
      if (header.length === 0) return // no end-of-archive blocks: tolerated, as GNU tar does
      if (header.length < BLOCK) return yield* new TarFormatError({ reason: `truncated header (${header.length} bytes)` })
      if (header.every((b) => b === 0)) return // end-of-archive
      if (!(yield* Effect.fromResult(checksumOk(header)))) return yield* new TarFormatError({ reason: "header checksum mismatch" })
      const flag = String.fromCharCode(header[156] || 0x30)
      const paxSize = local.size
      const size = paxSize !== undefined && flag !== "x" && flag !== "g" ? Number(paxSize) : yield* Effect.fromResult(number(header, 124, 12, "size"))
      if (!Number.isSafeInteger(size) || size < 0) return yield* new TarFormatError({ reason: `bad entry size ${size}` })
      const data = size > 0 ? yield* bytes.exactly(size, "entry data") : Buffer.alloc(0)
      const pad = (BLOCK - (size % BLOCK)) % BLOCK
      if (pad > 0) yield* bytes.exactly(pad, "padding")
      if (flag === "g") {
        yield* Effect.fromResult(paxRecords(data)) // checked, not used: it names the commit, not an entry
        continue
      }
      if (flag === "x") {
        local = yield* Effect.fromResult(paxRecords(data))
        continue
      }
      if (flag === "L") {
        longName = text(data, 0, data.length)
        continue
      }
      const prefix = text(header, 345, 155)
      const name = text(header, 0, 100)
      const raw = local.path ?? longName ?? (prefix ? `${prefix}/${name}` : name)
      local = {}
      longName = undefined
      const type = typeOf(flag)
      yield* onEntry({ path: yield* Effect.fromResult(safePath(raw)), type, size, data: type === "file" ? data : Buffer.alloc(0) })
    }
  })
