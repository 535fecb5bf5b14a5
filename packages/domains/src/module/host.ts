/**
 * A domain module loaded from a path imports the SDK (`@tau-sim/engine/sdk`) and `effect`; those
 * must be the very instances of the `tau` that loads it (Python floats, Schemas and errors are
 * told apart by class), whether or not the folder has them installed. A module resolution hook
 * hands modules under a registered domain folder virtual modules that re-export the host's.
 */
import { registerHooks } from "node:module"
import { pathToFileURL } from "node:url"
import * as sdk from "@tau-sim/engine/sdk"
import * as effect from "effect"

const HOST_KEY = "@tau-sim/domains/host-modules"
const SCHEME = "tau-sim-host:"
const SHARED: Readonly<Record<string, Record<string, unknown>>> = { "@tau-sim/engine/sdk": sdk, effect }

const roots = new Set<string>()
let registered = false

const underRoot = (parentURL: string | undefined): boolean =>
  parentURL !== undefined && !parentURL.includes("/node_modules/") && [...roots].some((r) => parentURL.startsWith(r))

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** The source of the virtual module for `specifier`: one export per export of the host's module. */
const virtualSource = (specifier: string): string => {
  const names = Object.keys(SHARED[specifier]).filter((n) => IDENTIFIER.test(n) && n !== "default")
  const lines = [`const m = globalThis[Symbol.for(${JSON.stringify(HOST_KEY)})][${JSON.stringify(specifier)}];`]
  for (const n of names) lines.push(`export const ${n} = m.${n};`)
  return lines.join("\n")
}

/** Makes modules under `folder` (absolute) import the host's SDK and `effect`. */
export const shareHostModules = (folder: string): void => {
  roots.add(pathToFileURL(folder.endsWith("/") ? folder : `${folder}/`).href)
  if (registered) return
  registered = true
  ;(globalThis as Record<symbol, unknown>)[Symbol.for(HOST_KEY)] = SHARED
  registerHooks({
    resolve: (specifier, context, next) =>
      Object.hasOwn(SHARED, specifier) && underRoot(context.parentURL) ? { url: `${SCHEME}${specifier}`, shortCircuit: true } : next(specifier, context),
    load: (url, context, next) =>
      url.startsWith(SCHEME) ? { format: "module", source: virtualSource(url.slice(SCHEME.length)), shortCircuit: true } : next(url, context),
  })
}
