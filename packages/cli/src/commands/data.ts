/**
 * `tau data fetch`: the official τ² data of a pinned tau2-bench commit, from GitHub's source archive
 * of that commit (or a mirror / local copy of it), checked file by file against the hashes we ship,
 * installed into the per-user cache that commands read when no `--data-dir` / `TAU2_DATA_DIR` is given.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { pipeline, Readable, Transform } from "node:stream"
import { fileURLToPath } from "node:url"
import * as zlib from "node:zlib"
import { type ManifestFile, tau2DataManifest, tau2ManifestCommits } from "@tau-sim/domains"
import { redactText } from "@tau-sim/models"
import { DEFAULT_TAU2_COMMIT, tau2DataCacheDir } from "@tau-sim/domains"
import { Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { readTar, type TarEntry } from "../tar.ts"
import { describedDefault, jsonFlag, print, printJson } from "./common.ts"

/** Where the archive's τ² data lives, below its single top folder (`tau2-bench-<commit>/`). */
const DATA_PREFIX = "data/tau2/"

export const githubArchiveUrl = (commit: string) => `https://github.com/sierra-research/tau2-bench/archive/${commit}.tar.gz`

export class UnknownDataRef extends Schema.TaggedError<UnknownDataRef>()("UnknownDataRef", {
  commit: Schema.String,
  known: Schema.Array(Schema.String),
}) {
  override get message(): string {
    return `no content hashes for tau2-bench commit ${this.commit}, so its data cannot be verified (hashes are shipped for: ${this.known.join(", ")}; add a commit with scripts/tau2-data-manifest.ts)`
  }
}

export class DataDownloadError extends Schema.TaggedError<DataDownloadError>()("DataDownloadError", {
  url: Schema.String,
  reason: Schema.String,
}) {
  override get message(): string {
    return `cannot download ${redactText(this.url)}: ${this.reason}; use --from with a local archive or mirror`
  }
}

export class DataArchiveError extends Schema.TaggedError<DataArchiveError>()("DataArchiveError", {
  source: Schema.String,
  reason: Schema.String,
}) {
  override get message(): string {
    return `cannot read the archive ${redactText(this.source)}: ${this.reason}; nothing was installed`
  }
}

/** A file of the archive's `data/tau2/` is missing, or is not the file the manifest names. */
export class DataVerifyError extends Schema.TaggedError<DataVerifyError>()("DataVerifyError", {
  source: Schema.String,
  file: Schema.String,
  reason: Schema.String,
}) {
  override get message(): string {
    return `${redactText(this.source)}: ${this.file} ${this.reason}; nothing was installed`
  }
}

export class DataInstallError extends Schema.TaggedError<DataInstallError>()("DataInstallError", {
  path: Schema.String,
  reason: Schema.String,
}) {
  override get message(): string {
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

type SourceError = DataDownloadError | DataArchiveError

interface Source {
  /** As given (URLs are redacted when printed). */
  readonly name: string
  /** The archive's bytes (compressed). */
  readonly open: () => Effect.Effect<Readable, SourceError>
  /** What a failure while reading the opened archive is: a lost download, or an archive that cannot be read. */
  readonly failed: (e: unknown) => SourceError
  /** Called once all of it was read. */
  readonly finished: () => void
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

const isGzipError = (e: unknown) => {
  const code = (e as { code?: unknown } | null)?.code
  return code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR"
}

/** A failure reading a local or downloaded archive that is not the download's: not gzip, or unreadable. */
const archiveFailure = (source: string, e: unknown) => new DataArchiveError({ source, reason: isGzipError(e) ? `not a .tar.gz (${reasonOf(e)})` : reasonOf(e) })

const httpSource = (url: string): Source => {
  let received = 0
  let lost: unknown
  let meter: ReturnType<typeof progressMeter> | undefined
  return {
    name: url,
    open: () =>
      Effect.gen(function* () {
        const response = yield* Effect.tryPromise({
          try: () => {
            // fetch() refuses a URL with credentials: they go into an Authorization header (a mirror's login).
            const u = new URL(url)
            const headers: Record<string, string> = {}
            if (u.username || u.password) {
              headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`
              u.username = ""
              u.password = ""
            }
            return fetch(u, { redirect: "follow", headers })
          },
          catch: (e) => new DataDownloadError({ url, reason: reasonOf(e) }),
        })
        if (!response.ok || !response.body) return yield* new DataDownloadError({ url, reason: `HTTP ${response.status} ${response.statusText}`.trim() })
        const length = Number(response.headers.get("content-length"))
        const progress = progressMeter(url, Number.isFinite(length) && length > 0 ? length : null)
        meter = progress
        const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>)
        // The body's own failure (the connection) is the download's; it is noted here for `failed`.
        body.once("error", (e) => {
          lost = e
        })
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            received += chunk.length
            progress.add(received)
            done(null, chunk)
          },
        })
        // `pipeline`, not `pipe`: a failure of the body destroys the counter too, so the reader sees it.
        pipeline(body, counter, () => {})
        return counter
      }),
    failed: (e) =>
      lost !== undefined ? new DataDownloadError({ url, reason: `connection lost after ${received} bytes: ${reasonOf(lost)}` }) : archiveFailure(url, e),
    finished: () => meter?.end(received),
  }
}

const fileSource = (file: string): Source => ({
  name: file,
  open: () =>
    Effect.try({ try: () => fs.statSync(file).isFile(), catch: (e) => new DataArchiveError({ source: file, reason: reasonOf(e) }) }).pipe(
      Effect.flatMap((isFile) =>
        isFile ? Effect.sync(() => fs.createReadStream(file)) : Effect.fail(new DataArchiveError({ source: file, reason: "not a file" })),
      ),
    ),
  failed: (e) => archiveFailure(file, e),
  finished: () => {},
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
const unpackVerified = (source: Source, files: Readonly<Record<string, ManifestFile>>, into: string) =>
  Effect.gen(function* () {
    const seen = new Set<string>()
    let ignored = 0
    const compressed = yield* source.open()
    const unzipped = zlib.createGunzip()
    // A failure of the source destroys the gunzip stream with it, so reading the entries reports it.
    pipeline(compressed, unzipped, (e) => {
      if (!e) source.finished()
    })
    const verify = (entry: TarEntry) =>
      Effect.gen(function* () {
        // Below the single top folder GitHub writes (`tau2-bench-<commit>/`).
        const inner = entry.path.split("/").slice(1).join("/")
        if (!inner.startsWith(DATA_PREFIX)) return
        const rel = inner.slice(DATA_PREFIX.length)
        const want = files[rel]
        if (!want) {
          if (entry.type === "file") ignored++
          return
        }
        if (entry.type !== "file") return yield* new DataVerifyError({ source: source.name, file: DATA_PREFIX + rel, reason: `is a ${entry.type}, not a file` })
        const wrong = mismatch(entry.data, want)
        if (wrong) return yield* new DataVerifyError({ source: source.name, file: DATA_PREFIX + rel, reason: wrong })
        const target = path.join(into, ...rel.split("/"))
        yield* Effect.try({
          try: () => {
            fs.mkdirSync(path.dirname(target), { recursive: true })
            fs.writeFileSync(target, entry.data)
          },
          catch: (e) => new DataInstallError({ path: into, reason: reasonOf(e) }),
        })
        seen.add(rel)
      })
    yield* readTar(unzipped, source.failed, verify).pipe(
      // A malformed archive is an archive that cannot be read.
      Effect.catchTags({
        TarFormatError: (e) => Effect.fail(new DataArchiveError({ source: source.name, reason: e.message })),
        UnsafeTarEntry: (e) => Effect.fail(new DataArchiveError({ source: source.name, reason: e.message })),
      }),
      // Stopping early (a wrong file) leaves nothing reading the source.
      Effect.ensuring(Effect.sync(() => unzipped.destroy())),
    )
    const missing = Object.keys(files).filter((rel) => !seen.has(rel))
    if (missing.length > 0) {
      const others =
        missing.length > 1
          ? ` (and ${missing.length - 1} more: ${missing
              .slice(1, 4)
              .map((m) => DATA_PREFIX + m)
              .join(", ")}${missing.length > 4 ? ", ..." : ""})`
          : ""
      return yield* new DataVerifyError({ source: source.name, file: DATA_PREFIX + missing[0], reason: `is missing from the archive${others}` })
    }
    return { files: seen.size, ignored }
  })

export interface FetchResult {
  readonly commit: string
  readonly dataDir: string
  readonly status: "installed" | "present"
  readonly files: number
  readonly ignored: number
  readonly source: string | null
}

/** Fetches, verifies and installs the data of `commit`; a verified installation already there is kept. */
export const fetchTau2Data = (commit: string, from: string | undefined) =>
  Effect.gen(function* () {
    const files = tau2DataManifest(commit)
    if (!files) return yield* new UnknownDataRef({ commit, known: tau2ManifestCommits() })
    const target = tau2DataCacheDir(commit)
    const count = Object.keys(files).length
    if (fs.existsSync(target) && installedIntact(target, files))
      return { commit, dataDir: target, status: "present", files: count, ignored: 0, source: null } satisfies FetchResult
    const source = sourceOf(from ?? githubArchiveUrl(commit))
    const parent = path.dirname(target)
    const temp = yield* Effect.try({
      try: () => {
        fs.mkdirSync(parent, { recursive: true })
        // Beside the target (same file system), so the final rename is atomic.
        return fs.mkdtempSync(path.join(parent, `.${commit}.partial-`))
      },
      catch: (e) => new DataInstallError({ path: target, reason: reasonOf(e) }),
    })
    return yield* Effect.gen(function* () {
      const { ignored } = yield* unpackVerified(source, files, temp)
      // A damaged earlier installation is moved aside first, so the target is always whole or absent.
      const old = fs.existsSync(target) ? `${temp}.old` : null
      yield* Effect.try({
        try: () => {
          if (old) fs.renameSync(target, old)
          fs.renameSync(temp, target)
        },
        catch: (e) => new DataInstallError({ path: target, reason: reasonOf(e) }),
      })
      if (old) yield* removeQuietly(old)
      return { commit, dataDir: target, status: "installed", files: count, ignored, source: source.name } satisfies FetchResult
    }).pipe(Effect.ensuring(removeQuietly(temp)))
  })

/** Removes a folder we made; one that cannot be removed is left (the result does not depend on it). */
const removeQuietly = (dir: string) => Effect.ignore(Effect.try({ try: () => fs.rmSync(dir, { recursive: true, force: true }), catch: (e) => e }))

const fetchCommand = Command.make(
  "fetch",
  {
    ref: Flag.String("ref").pipe(
      Flag.withDescription(describedDefault("tau2-bench commit", `${DEFAULT_TAU2_COMMIT}, the one our conformance fixtures come from`)),
      Flag.optional,
    ),
    from: Flag.String("from").pipe(Flag.withDescription("Another URL (mirror) or a local path of the commit's source archive (.tar.gz)"), Flag.optional),
    json: jsonFlag,
  },
  (f) =>
    Effect.gen(function* () {
      const commit = Option.getOrElse(f.ref, () => DEFAULT_TAU2_COMMIT)
      const result = yield* fetchTau2Data(commit, Option.getOrUndefined(f.from))
      if (f.json) {
        return yield* printJson({
          commit: result.commit,
          data_dir: result.dataDir,
          status: result.status,
          files: result.files,
          ignored: result.ignored,
          source: result.source,
        })
      }
      if (result.status === "present") return yield* print(`τ² data ${commit} is already installed in ${result.dataDir} (${result.files} files verified)`)
      yield* print(
        `installed τ² data ${commit} in ${result.dataDir}: ${result.files} files verified${result.ignored ? `, ${result.ignored} other files of data/tau2/ not used` : ""}`,
      )
    }),
).pipe(
  Command.withDescription(
    "Download the official τ² data of a pinned tau2-bench commit, verify it against the shipped hashes, and install it in the user cache",
  ),
)

export const dataCommand = Command.make("data").pipe(Command.withDescription("The τ² data the τ² domains read"), Command.withSubcommands([fetchCommand]))
