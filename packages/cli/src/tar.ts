/**
 * A small streaming reader of tar archives (ustar with pax extended headers, as `git archive` and
 * GitHub's source archives write them), so `tau data fetch` needs no dependency. Reads regular
 * files, directories and links' names; pax `path=`/`size=` (long names) are honoured, the global
 * header (GitHub's holds the commit id) is read and skipped, GNU long names (`L`) are honoured too. Entry paths are checked: an absolute path or a `..` component is refused.
 */
import { Schema } from "effect"

export class TarFormatError extends Schema.TaggedError<TarFormatError>()("TarFormatError", {
  reason: Schema.String,
}) {
  get message(): string {
    return `not a valid tar archive: ${this.reason}`
  }
}

export class UnsafeTarEntry extends Schema.TaggedError<UnsafeTarEntry>()("UnsafeTarEntry", {
  path: Schema.String,
}) {
  get message(): string {
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

/** Reads exact byte counts from a stream of chunks. */
class Bytes {
  private chunks: Buffer[] = []
  private length = 0
  private done = false
  private readonly it: AsyncIterator<Buffer>
  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]()
  }
  /** `n` bytes, or fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.length < n && !this.done) {
      const next = await this.it.next()
      if (next.done) this.done = true
      else {
        this.chunks.push(next.value)
        this.length += next.value.length
      }
    }
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length)
    const take = Math.min(n, all.length)
    const out = all.subarray(0, take)
    const rest = all.subarray(take)
    this.chunks = rest.length > 0 ? [rest] : []
    this.length = rest.length
    return out
  }
  async exactly(n: number, what: string): Promise<Buffer> {
    const b = await this.read(n)
    if (b.length < n) throw new TarFormatError({ reason: `truncated ${what} (${b.length} of ${n} bytes)` })
    return b
  }
}

const text = (b: Buffer, start: number, len: number) => {
  const field = b.subarray(start, start + len)
  const nul = field.indexOf(0)
  return field.subarray(0, nul < 0 ? len : nul).toString("utf8")
}

/** An octal number field, or base-256 when its high bit is set (GNU, for sizes ≥ 8 GiB). */
const number = (b: Buffer, start: number, len: number, what: string): number => {
  if (b[start] & 0x80) {
    let n = b[start] & 0x7f
    for (let i = start + 1; i < start + len; i++) n = n * 256 + b[i]
    return n
  }
  const s = text(b, start, len).trim()
  if (s === "") return 0
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError({ reason: `header field ${what} is not a number: ${JSON.stringify(s)}` })
  return Number.parseInt(s, 8)
}

const checksumOk = (h: Buffer): boolean => {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]
  return sum === number(h, 148, 8, "chksum")
}

/** `"<len> <key>=<value>\n"` records. */
const paxRecords = (data: Buffer): Record<string, string> => {
  const out: Record<string, string> = {}
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    const len = space < 0 ? Number.NaN : Number.parseInt(data.subarray(at, space).toString("ascii"), 10)
    if (!Number.isSafeInteger(len) || len <= 0 || at + len > data.length) throw new TarFormatError({ reason: "malformed pax extended header" })
    const record = data.subarray(space + 1, at + len - 1).toString("utf8")
    const eq = record.indexOf("=")
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1)
    at += len
  }
  return out
}

/** The path as written, normalised; refused when it is absolute or has a `..` component. */
const safePath = (raw: string): string => {
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw) || raw.includes("\\")) throw new UnsafeTarEntry({ path: raw })
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".")
  if (parts.includes("..")) throw new UnsafeTarEntry({ path: raw })
  return parts.join("/")
}

const typeOf = (flag: string): TarEntry["type"] =>
  flag === "0" || flag === "" || flag === "7" ? "file" : flag === "5" ? "directory" : flag === "2" ? "symlink" : flag === "1" ? "hardlink" : "other"

/** The entries of a (decompressed) tar stream, in order. */
export async function* tarEntries(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const bytes = new Bytes(source)
  let local: Record<string, string> = {}
  let longName: string | undefined
  for (;;) {
    const header = await bytes.read(BLOCK)
    if (header.length === 0) return // no end-of-archive blocks: tolerated, as GNU tar does
    if (header.length < BLOCK) throw new TarFormatError({ reason: `truncated header (${header.length} bytes)` })
    if (header.every((b) => b === 0)) return // end-of-archive
    if (!checksumOk(header)) throw new TarFormatError({ reason: "header checksum mismatch" })
    const flag = String.fromCharCode(header[156] || 0x30)
    const paxSize = local.size
    const size = paxSize !== undefined && flag !== "x" && flag !== "g" ? Number(paxSize) : number(header, 124, 12, "size")
    if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError({ reason: `bad entry size ${size}` })
    const data = size > 0 ? await bytes.exactly(size, "entry data") : Buffer.alloc(0)
    const pad = (BLOCK - (size % BLOCK)) % BLOCK
    if (pad > 0) await bytes.exactly(pad, "padding")
    if (flag === "g") {
      paxRecords(data) // checked, not used: it names the commit, not an entry
      continue
    }
    if (flag === "x") {
      local = paxRecords(data)
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
    yield { path: safePath(raw), type, size, data: type === "file" ? data : Buffer.alloc(0) }
  }
}
