/**
 * Domains given by path (`--domain ./my-domain`): a module whose default export (or `domain`
 * export) is made with `defineDomain`. A folder loads its `index.ts` (or `.mts`, `.js`, `.mjs`);
 * a file is the module itself. The domain's code and data count as its data: the files of its
 * module graph (what loading it imported, wherever they lie; not packages under `node_modules`,
 * built-ins or the host's SDK and `effect`) and the data files it declares (`dataFiles`) are
 * hashed into `hashes.data`, so replay and verify see a changed domain as changed data, and
 * nothing else beside it counts.
 *
 * Loading runs the module's code, as any local tool does with the code it is pointed at; a path
 * must be explicit (`./`, `../` or absolute) so that it never stands for a built-in name.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { type Domain, DomainUnavailable } from "@tau-sim/engine"
import { declaredDataFiles, isDefinedDomain } from "@tau-sim/engine/sdk"
import { Effect } from "effect"
import { moduleGraph, trackDomainModule } from "./host.ts"
/** `./x`, `../x`, `/x`, `.` or `..`: a domain given by its path. */
export const isDomainPath = (spec: string): boolean => spec === "." || spec === ".." || /^(\.{1,2}[\\/]|\/)/.test(spec)

const INDEX_FILES = ["index.ts", "index.mts", "index.js", "index.mjs"]

const unavailable = (domain: string, message: string) => new DomainUnavailable({ domain, message })

/** The module file, and the folder the hashed files are named relative to (the domain's folder, or a file domain's). */
const locate = (spec: string): { module: string; base: string } | string => {
  if (!fs.existsSync(spec)) return `no file or folder ${spec}`
  if (fs.statSync(spec).isDirectory()) {
    const index = INDEX_FILES.map((f) => path.join(spec, f)).find((f) => fs.existsSync(f))
    if (!index) return `${spec} has no ${INDEX_FILES.join(", ")} exporting the domain`
    return { module: fs.realpathSync(index), base: fs.realpathSync(spec) }
  }
  const module = fs.realpathSync(spec)
  return { module, base: path.dirname(module) }
}

/**
 * sha256 over each file's path relative to `base` (so a folder moved with what it imports hashes
 * the same) and its content, in the order of the names.
 */
export const hashDomainFiles = (base: string, files: ReadonlyArray<string>): string => {
  const named = [...new Set(files)].map((file) => ({ file, rel: path.relative(base, file).split(path.sep).join("/") }))
  named.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))
  const h = createHash("sha256")
  for (const { file, rel } of named) {
    const bytes = fs.readFileSync(file)
    h.update(`${rel}\u0000${bytes.length}\u0000`)
    h.update(bytes)
  }
  return h.digest("hex")
}

/** The files a loaded domain is made of: its module graph and its declared data files, absolute. */
export const domainFiles = (entryUrl: string, domain: Domain): ReadonlyArray<string> => {
  const missing = declaredDataFiles(domain).filter((f) => !fs.existsSync(f))
  if (missing.length > 0)
    throw new Error(`data file${missing.length > 1 ? "s" : ""} ${missing.join(", ")} declared by the domain do${missing.length > 1 ? "" : "es"} not exist`)
  return [...moduleGraph(entryUrl).map((u) => fileURLToPath(u)), ...declaredDataFiles(domain)]
}

const loaded = new Map<string, Promise<Domain>>()

const importDomain = async (spec: string): Promise<Domain> => {
  const where = locate(spec)
  if (typeof where === "string") throw new Error(where)
  const entry = pathToFileURL(where.module).href
  trackDomainModule(entry)
  let exports: Record<string, unknown>
  try {
    exports = await import(entry)
  } catch (e) {
    throw new Error(`${where.module} cannot be loaded: ${e instanceof Error ? e.message : String(e)}`)
  }
  const domain = exports.default ?? exports.domain
  if (!isDefinedDomain(domain)) throw new Error(`${where.module} does not export a domain (export default defineDomain({ ... }) from "@tau-sim/engine/sdk")`)
  const code = hashDomainFiles(where.base, domainFiles(entry, domain))
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
