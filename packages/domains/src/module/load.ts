/**
 * Domains given by path (`--domain ./my-domain`): a module whose default export (or `domain`
 * export) is made with `defineDomain`. A folder loads its `index.ts` (or `.mts`, `.js`, `.mjs`);
 * a file is the module itself. The domain's code and data count as its data: every file of its
 * folder (not `node_modules`, dot-files, test folders, `*.test.*` / `*.spec.*` or SQLite stores) is hashed into
 * `hashes.data`, so replay and verify see a changed domain as changed data.
 *
 * Loading runs the module's code, as any local tool does with the code it is pointed at; a path
 * must be explicit (`./`, `../` or absolute) so that it never stands for a built-in name.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { type Domain, DomainUnavailable } from "@tau-sim/engine"
import { isDefinedDomain } from "@tau-sim/engine/sdk"
import { Effect } from "effect"
import { shareHostModules } from "./host.ts"

/** `./x`, `../x`, `/x`, `.` or `..`: a domain given by its path. */
export const isDomainPath = (spec: string): boolean => spec === "." || spec === ".." || /^(\.{1,2}[\\/]|\/)/.test(spec)

const INDEX_FILES = ["index.ts", "index.mts", "index.js", "index.mjs"]
const SKIPPED_DIRS = new Set(["node_modules", "test", "tests", "__tests__"])
const isTestFile = (name: string) => /\.(test|spec)\.[cm]?[jt]sx?$/.test(name)
/** A folder with more files than this is not a domain's folder (a home directory, a whole repository). */
const MAX_FILES = 2000

const unavailable = (domain: string, message: string) => new DomainUnavailable({ domain, message })

/** The module file and the folder whose files make up the domain. */
const locate = (spec: string): { module: string; folder: string } | string => {
  if (!fs.existsSync(spec)) return `no file or folder ${spec}`
  if (fs.statSync(spec).isDirectory()) {
    const index = INDEX_FILES.map((f) => path.join(spec, f)).find((f) => fs.existsSync(f))
    if (!index) return `${spec} has no ${INDEX_FILES.join(", ")} exporting the domain`
    return { module: index, folder: spec }
  }
  return { module: spec, folder: path.dirname(spec) }
}

const SQLITE_HEADER = Buffer.from("SQLite format 3\u0000")

/** Whether `file` is a SQLite database: an event store given by `--db` inside the domain's folder. */
const isSqliteDatabase = (file: string): boolean => {
  let fd: number | undefined
  try {
    fd = fs.openSync(file, "r")
    const head = Buffer.alloc(SQLITE_HEADER.length)
    return fs.readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_HEADER)
  } catch {
    return false
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/**
 * A store's files are written by every run: hashed, they would make the run's own episodes "data
 * changed" and refuse its resume. So SQLite databases and their journals are not the domain's.
 */
const isStoreFile = (file: string): boolean => {
  const journal = /-(wal|shm|journal)$/.exec(file)
  return isSqliteDatabase(journal ? file.slice(0, journal.index) : file)
}

/** The files a domain is made of, relative to its folder, sorted (no store files: `isStoreFile`). */
export const domainFiles = (folder: string): ReadonlyArray<string> => {
  const files: string[] = []
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(folder, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith(".")) continue
      const rel = dir === "" ? entry.name : `${dir}/${entry.name}`
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(rel)
      } else if (entry.isFile() && !isTestFile(entry.name) && !isStoreFile(path.join(folder, rel))) {
        files.push(rel)
        if (files.length > MAX_FILES) throw new Error(`${folder} holds more than ${MAX_FILES} files: put the domain in a folder of its own`)
      }
    }
  }
  walk("")
  return files
}

/** sha256 over each file's relative path and content. */
export const hashDomainFiles = (folder: string): string => {
  const h = createHash("sha256")
  for (const rel of domainFiles(folder)) {
    const bytes = fs.readFileSync(path.join(folder, rel))
    h.update(`${rel}\u0000${bytes.length}\u0000`)
    h.update(bytes)
  }
  return h.digest("hex")
}

const loaded = new Map<string, Promise<Domain>>()

const importDomain = async (spec: string): Promise<Domain> => {
  const where = locate(spec)
  if (typeof where === "string") throw new Error(where)
  shareHostModules(where.folder)
  let exports: Record<string, unknown>
  try {
    exports = await import(pathToFileURL(where.module).href)
  } catch (e) {
    throw new Error(`${where.module} cannot be loaded: ${e instanceof Error ? e.message : String(e)}`)
  }
  const domain = exports.default ?? exports.domain
  if (!isDefinedDomain(domain)) throw new Error(`${where.module} does not export a domain (export default defineDomain({ ... }) from "@tau-sim/engine/sdk")`)
  const code = hashDomainFiles(where.folder)
  // Episodes record one data hash: the data as defined and the code and files it came from.
  const data = createHash("sha256").update(`${domain.hashes.data}\n${code}`).digest("hex")
  return { ...domain, hashes: { ...domain.hashes, data } }
}

/** The domain at an absolute path, imported once per process. */
export const loadDomainModule = (spec: string, policyVariant: string): Effect.Effect<Domain, DomainUnavailable> =>
  Effect.tryPromise({
    try: () => {
      let pending = loaded.get(spec)
      if (!pending) {
        pending = importDomain(spec)
        loaded.set(spec, pending)
      }
      return pending
    },
    catch: (e) => unavailable(spec, `domain ${spec}: ${e instanceof Error ? e.message : String(e)}`),
  }).pipe(
    Effect.flatMap((domain) =>
      policyVariant === "default" || domain.policy[policyVariant] !== undefined
        ? Effect.succeed(domain)
        : Effect.fail(unavailable(spec, `domain ${spec} has no policy variant ${policyVariant}`)),
    ),
  )
