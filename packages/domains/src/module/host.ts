/**
 * A domain module loaded from a path imports the SDK (`@tau-sim/engine/sdk`) and `effect`; those
 * must be the very instances of the `tau` that loads it (Python floats, Schemas and errors are
 * told apart by class), whether or not the folder has them installed. A module resolution hook
 * hands the modules of a domain virtual modules that re-export the host's.
 *
 * The same hook records the domain's module graph: every file a module of the domain imports
 * (wherever it lies; not packages under `node_modules`, built-ins or the host's modules), so the
 * loader hashes exactly the code the domain runs.
 */
import { registerHooks } from "node:module"
import { pathToFileURL } from "node:url"
import * as sdk from "@tau-sim/engine/sdk"
import * as effect from "effect"

const HOST_KEY = "@tau-sim/domains/host-modules"
const SCHEME = "tau-sim-host:"
const SHARED: Readonly<Record<string, Record<string, unknown>>> = { "@tau-sim/engine/sdk": sdk, effect }

/** Folders all of whose modules get the host's (a domain's own tests: ./preload.ts). */
const roots = new Set<string>()
/** Modules of loaded domains' graphs (an entry, and every file a module of the graph imported). */
const tracked = new Set<string>()
/** What each tracked module imported: file URLs outside `node_modules`. */
const imported = new Map<string, Set<string>>()
let registered = false

const inPackage = (url: string) => url.includes("/node_modules/")

const sharesHost = (parentURL: string | undefined): boolean =>
  parentURL !== undefined && !inPackage(parentURL) && (tracked.has(parentURL) || [...roots].some((r) => parentURL.startsWith(r)))

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** The source of the virtual module for `specifier`: one export per export of the host's module. */
const virtualSource = (specifier: string): string => {
  const names = Object.keys(SHARED[specifier]).filter((n) => IDENTIFIER.test(n) && n !== "default")
  const lines = [`const m = globalThis[Symbol.for(${JSON.stringify(HOST_KEY)})][${JSON.stringify(specifier)}];`]
  for (const n of names) lines.push(`export const ${n} = m.${n};`)
  return lines.join("\n")
}

const register = () => {
  if (registered) return
  registered = true
  ;(globalThis as Record<symbol, unknown>)[Symbol.for(HOST_KEY)] = SHARED
  registerHooks({
    resolve: (specifier, context, next) => {
      const parent = context.parentURL
      if (Object.hasOwn(SHARED, specifier) && sharesHost(parent)) return { url: `${SCHEME}${specifier}`, shortCircuit: true }
      const resolved = next(specifier, context)
      if (parent !== undefined && tracked.has(parent) && resolved.url.startsWith("file:") && !inPackage(resolved.url)) {
        const own = imported.get(parent) ?? new Set<string>()
        imported.set(parent, own.add(resolved.url))
        tracked.add(resolved.url)
      }
      return resolved
    },
    load: (url, context, next) =>
      url.startsWith(SCHEME) ? { format: "module", source: virtualSource(url.slice(SCHEME.length)), shortCircuit: true } : next(url, context),
  })
}

/** Makes every module under `folder` (absolute) import the host's SDK and `effect`. */
export const shareHostModules = (folder: string): void => {
  roots.add(pathToFileURL(folder.endsWith("/") ? folder : `${folder}/`).href)
  register()
}

/** Makes the module at `entryUrl`, and every file it imports, import the host's SDK and `effect`, and records what they import. */
export const trackDomainModule = (entryUrl: string): void => {
  register()
  tracked.add(entryUrl)
}

/**
 * The files of the module graph from `entryUrl` (itself included), as file URLs, sorted. Complete
 * for what was imported while the module loaded; a module already loaded for another domain
 * contributes what it imported then.
 */
export const moduleGraph = (entryUrl: string): ReadonlyArray<string> => {
  const seen = new Set<string>([entryUrl])
  const queue = [entryUrl]
  for (let url = queue.pop(); url !== undefined; url = queue.pop())
    for (const next of imported.get(url) ?? []) {
      if (seen.has(next)) continue
      seen.add(next)
      queue.push(next)
    }
  return [...seen].sort()
}
