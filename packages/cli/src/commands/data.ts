/**
 * `tau data fetch`: the official τ² data of a pinned tau2-bench commit, from GitHub's source archive
 * of that commit (or a mirror / local copy of it), checked file by file against the hashes we ship,
 * installed into the per-user cache that commands read when no `--data-dir` / `TAU2_DATA_DIR` is given.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { fileURLToPath } from "node:url"
import * as zlib from "node:zlib"
import { type ManifestFile, tau2DataManifest, tau2ManifestCommits } from "@tau-sim/domains"
import { redactText } from "@tau-sim/models"
import { DEFAULT_TAU2_COMMIT, tau2DataCacheDir } from "@tau-sim/domains"
import { Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { tarEntries } from "../tar.ts"
import { jsonFlag, print, printJson } from "./common.ts"

/** Where the archive's τ² data lives, below its single top folder (`tau2-bench-<commit>/`). */
const DATA_PREFIX = "data/tau2/"

export const githubArchiveUrl = (commit: string) => `https://github.com/sierra-research/tau2-bench/archive/${commit}.tar.gz`

export class UnknownDataRef extends Schema.TaggedError<UnknownDataRef>()("UnknownDataRef", {
  commit: Schema.String,
  known: Schema.Array(Schema.String),
}) {
  get message(): string {
    return `no content hashes for tau2-bench commit ${this.commit}, so its data cannot be verified (hashes are shipped for: ${this.known.join(", ")}; add a commit with scripts/tau2-data-manifest.ts)`
  }
}

export class DataDownloadError extends Schema.TaggedError<DataDownloadError>()("DataDownloadError", {
  url: Schema.String,
  reason: Schema.String,
}) {
  get message(): string {
    return `cannot download ${redactText(this.url)}: ${this.reason}; use --from with a local archive or mirror`
  }
}

export class DataArchiveError extends Schema.TaggedError<DataArchiveError>()("DataArchiveError", {
  source: Schema.String,
  reason: Schema.String,
}) {
  get message(): string {
    return `cannot read the archive ${redactText(this.source)}: ${this.reason}; nothing was installed`
  }
}

/** A file of the archive's `data/tau2/` is missing, or is not the file the manifest names. */
export class DataVerifyError extends Schema.TaggedError<DataVerifyError>()("DataVerifyError", {
  source: Schema.String,
  file: Schema.String,
  reason: Schema.String,
}) {
  get message(): string {
    return `${redactText(this.source)}: ${this.file} ${this.reason}; nothing was installed`
  }
}

export class DataInstallError extends Schema.TaggedError<DataInstallError>()("DataInstallError", {
  path: Schema.String,
  reason: Schema.String,
}) {
  get message(): string {
    return `cannot install the τ² data into ${this.path}: ${this.reason}`
  }
}

const reasonOf = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e)
  // fetch() says "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, ...).
  const cause = (e as { cause?: unknown }).cause
  return cause instanceof Error ? cause.message : e.message
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex")

/** The mismatch of one file against its manifest entry, or null when it is the file. */
const mismatch = (data: Buffer, want: ManifestFile): string | null => {
  if (data.length !== want.size) return `has ${data.length} bytes, the manifest says ${want.size}`
  const got = sha256(data)
  return got === want.sha256 ? null : `has sha256 ${got}, the manifest says ${want.sha256}`
}

/** An installed folder that holds every manifest file unchanged (extra files are not looked at). */
const installedIntact = (dir: string, files: Readonly<Record<string, ManifestFile>>): boolean =>
  Object.entries(files).every(([rel, want]) => {
    try {
      return mismatch(fs.readFileSync(path.join(dir, rel)), want) === null
    } catch {
      return false
    }
  })

interface Source {
  /** As given (URLs are redacted when printed). */
  readonly name: string
  readonly chunks: () => Promise<AsyncIterable<Buffer>>
}

/** Bytes downloaded so far, on one line of a terminal's standard error. */
const progressMeter = (url: string, total: number | null) => {
  const tty = process.stderr.isTTY === true
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`
  let shown = 0
  return {
    add: (n: number) => {
      if (!tty || n - shown < 256 * 1024) return
      shown = n
      process.stderr.write(`\rdownloading ${redactText(url)}: ${mb(n)}${total ? ` of ${mb(total)}` : ""}   `)
    },
    end: (n: number) => {
      if (tty) process.stderr.write(`\rdownloaded ${redactText(url)}: ${mb(n)}${" ".repeat(12)}\n`)
    },
  }
}

const httpSource = (url: string): Source => ({
  name: url,
  chunks: async () => {
    let response: Response
    try {
      // fetch() refuses a URL with credentials: they go into an Authorization header (a mirror's login).
      const u = new URL(url)
      const headers: Record<string, string> = {}
      if (u.username || u.password) {
        headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`
        u.username = ""
        u.password = ""
      }
      response = await fetch(u, { redirect: "follow", headers })
    } catch (e) {
      throw new DataDownloadError({ url, reason: reasonOf(e) })
    }
    if (!response.ok || !response.body) throw new DataDownloadError({ url, reason: `HTTP ${response.status} ${response.statusText}`.trim() })
    const length = Number(response.headers.get("content-length"))
    const meter = progressMeter(url, Number.isFinite(length) && length > 0 ? length : null)
    const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>)
    return (async function* () {
      let n = 0
      try {
        for await (const chunk of body) {
          n += chunk.length
          meter.add(n)
          yield Buffer.from(chunk)
        }
      } catch (e) {
        throw new DataDownloadError({ url, reason: `connection lost after ${n} bytes: ${reasonOf(e)}` })
      }
      meter.end(n)
    })()
  },
})

const fileSource = (file: string): Source => ({
  name: file,
  chunks: async () => {
    try {
      if (!fs.statSync(file).isFile()) throw new Error("not a file")
    } catch (e) {
      throw new DataArchiveError({ source: file, reason: reasonOf(e) })
    }
    return fs.createReadStream(file)
  },
})

const sourceOf = (from: string): Source => {
  if (/^https?:\/\//i.test(from)) return httpSource(from)
  if (/^file:\/\//i.test(from)) return fileSource(fileURLToPath(from))
  return fileSource(path.resolve(from))
}

/**
 * Unpacks the manifest's files of the archive's `data/tau2/` into `into`, checking each one; any
 * missing or different file is an error naming it. Other files are ignored (upstream's data/tau2/
 * holds more than we use: voice tasks, the banking domain, ...), so nothing unverified is installed.
 */
const unpackVerified = async (source: Source, files: Readonly<Record<string, ManifestFile>>, into: string) => {
  const seen = new Set<string>()
  let ignored = 0
  const chunks = await source.chunks()
  const archiveError = (e: unknown) => {
    if (e instanceof DataDownloadError || e instanceof DataVerifyError) return e
    const gzip = (e as { code?: unknown }).code === "Z_DATA_ERROR" || (e as { code?: unknown }).code === "Z_BUF_ERROR"
    return new DataArchiveError({ source: source.name, reason: gzip ? `not a .tar.gz (${reasonOf(e)})` : reasonOf(e) })
  }
  try {
    await pipeline(Readable.from(chunks), zlib.createGunzip(), async (unzipped: AsyncIterable<Buffer>) => {
      for await (const entry of tarEntries(unzipped)) {
        // Below the single top folder GitHub writes (`tau2-bench-<commit>/`).
        const inner = entry.path.split("/").slice(1).join("/")
        if (!inner.startsWith(DATA_PREFIX)) continue
        const rel = inner.slice(DATA_PREFIX.length)
        const want = files[rel]
        if (!want) {
          if (entry.type === "file") ignored++
          continue
        }
        if (entry.type !== "file") throw new DataVerifyError({ source: source.name, file: DATA_PREFIX + rel, reason: `is a ${entry.type}, not a file` })
        const wrong = mismatch(entry.data, want)
        if (wrong) throw new DataVerifyError({ source: source.name, file: DATA_PREFIX + rel, reason: wrong })
        const target = path.join(into, ...rel.split("/"))
        fs.mkdirSync(path.dirname(target), { recursive: true })
        fs.writeFileSync(target, entry.data)
        seen.add(rel)
      }
    })
  } catch (e) {
    throw archiveError(e)
  }
  const missing = Object.keys(files).filter((rel) => !seen.has(rel))
  if (missing.length > 0) {
    const others = missing.length > 1 ? ` (and ${missing.length - 1} more: ${missing.slice(1, 4).map((m) => DATA_PREFIX + m).join(", ")}${missing.length > 4 ? ", ..." : ""})` : ""
    throw new DataVerifyError({ source: source.name, file: DATA_PREFIX + missing[0], reason: `is missing from the archive${others}` })
  }
  return { files: seen.size, ignored }
}

export interface FetchResult {
  readonly commit: string
  readonly dataDir: string
  readonly status: "installed" | "present"
  readonly files: number
  readonly ignored: number
  readonly source: string | null
}

/** Fetches, verifies and installs the data of `commit`; a verified installation already there is kept. */
export const fetchTau2Data = async (commit: string, from: string | undefined): Promise<FetchResult> => {
  const files = tau2DataManifest(commit)
  if (!files) throw new UnknownDataRef({ commit, known: tau2ManifestCommits() })
  const target = tau2DataCacheDir(commit)
  const count = Object.keys(files).length
  if (fs.existsSync(target) && installedIntact(target, files)) return { commit, dataDir: target, status: "present", files: count, ignored: 0, source: null }
  const source = sourceOf(from ?? githubArchiveUrl(commit))
  const parent = path.dirname(target)
  let temp: string
  try {
    fs.mkdirSync(parent, { recursive: true })
    // Beside the target (same file system), so the final rename is atomic.
    temp = fs.mkdtempSync(path.join(parent, `.${commit}.partial-`))
  } catch (e) {
    throw new DataInstallError({ path: target, reason: reasonOf(e) })
  }
  try {
    const { ignored } = await unpackVerified(source, files, temp)
    // A damaged earlier installation is moved aside first, so the target is always whole or absent.
    const old = fs.existsSync(target) ? `${temp}.old` : null
    try {
      if (old) fs.renameSync(target, old)
      fs.renameSync(temp, target)
    } catch (e) {
      throw new DataInstallError({ path: target, reason: reasonOf(e) })
    }
    if (old) fs.rmSync(old, { recursive: true, force: true })
    return { commit, dataDir: target, status: "installed", files: count, ignored, source: source.name }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true })
  }
}

const fetchCommand = Command.make(
  "fetch",
  {
    ref: Flag.String("ref").pipe(Flag.withDescription(`tau2-bench commit (default ${DEFAULT_TAU2_COMMIT}, the one our conformance fixtures come from)`), Flag.optional),
    from: Flag.String("from").pipe(Flag.withDescription("Another URL (mirror) or a local path of the commit's source archive (.tar.gz)"), Flag.optional),
    json: jsonFlag,
  },
  (f) =>
    Effect.gen(function* () {
      const commit = Option.getOrElse(f.ref, () => DEFAULT_TAU2_COMMIT)
      const result = yield* Effect.tryPromise({ try: () => fetchTau2Data(commit, Option.getOrUndefined(f.from)), catch: (e) => e })
      if (f.json) {
        return yield* printJson({ commit: result.commit, data_dir: result.dataDir, status: result.status, files: result.files, ignored: result.ignored, source: result.source })
      }
      if (result.status === "present") return yield* print(`τ² data ${commit} is already installed in ${result.dataDir} (${result.files} files verified)`)
      yield* print(`installed τ² data ${commit} in ${result.dataDir}: ${result.files} files verified${result.ignored ? `, ${result.ignored} other files of data/tau2/ not used` : ""}`)
    }),
).pipe(Command.withDescription("Download the official τ² data of a pinned tau2-bench commit, verify it against the shipped hashes, and install it in the user cache"))

export const dataCommand = Command.make("data").pipe(Command.withDescription("The τ² data the τ² domains read"), Command.withSubcommands([fetchCommand]))
