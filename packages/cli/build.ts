/**
 * Builds the bundle the `tau` executable runs (ADR 0006): the CLI and every workspace package it
 * imports in one ESM file, `dist/tau.mjs`. Started from the sources, a command spends most of a
 * second resolving and type-stripping hundreds of modules (drizzle's 180 KB package.json is read
 * once per module of it); the bundle starts in a fraction of that. better-sqlite3 stays outside
 * (a native addon). `dist/inputs.json` lists the workspace sources inside the bundle and the
 * manifests that pin its dependencies (lockfile, package.json files), so that `bin/tau.mjs` can tell
 * a bundle older than the code and run the sources instead.
 *
 *   node build.ts
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { build } from "rolldown"

const here = import.meta.dirname

/**
 * `node:http` as CommonJS: the ESM facade of a built-in reads every export at import, and
 * node:http's `WebSocket`, `CloseEvent` and `MessageEvent` are getters that load undici (~20 ms
 * of every command's start-up, though only a model call or the viewer uses HTTP). The module the
 * bundle imports instead has the same exports, but undici's three, read once like the facade's.
 * (A bundled CommonJS module's `require("http")` stays a require.)
 */
const NODE_HTTP = "\0node-http"
const HTTP_EXPORTS = [
  "METHODS",
  "STATUS_CODES",
  "Agent",
  "ClientRequest",
  "IncomingMessage",
  "OutgoingMessage",
  "Server",
  "ServerResponse",
  "createServer",
  "validateHeaderName",
  "validateHeaderValue",
  "get",
  "request",
  "setMaxIdleHTTPParsers",
  "setGlobalProxyFromEnv",
  "maxHeaderSize",
  "globalAgent",
]
const nodeHttpWithoutUndici = {
  name: "node-http-without-undici",
  // ESM imports only: a bundled CommonJS module's require("http") was never a facade.
  resolveId: (id: string, _importer: string | undefined, extra: { kind: string }) =>
    (id === "node:http" || id === "http") && extra.kind !== "require-call" ? NODE_HTTP : null,
  load: (id: string) =>
    id === NODE_HTTP
      ? [
          'import { createRequire } from "node:module"',
          'const http = createRequire(import.meta.url)("node:http")',
          "export default http",
          `export const { ${HTTP_EXPORTS.join(", ")} } = http`,
        ].join("\n")
      : null,
}

const dist = path.join(here, "dist")
mkdirSync(dist, { recursive: true })
const result = await build({
  input: path.join(here, "src/main.ts"),
  platform: "node",
  external: [/^better-sqlite3$/],
  logLevel: "warn",
  plugins: [nodeHttpWithoutUndici],
  // A module imported dynamically (the Postgres store, only for a postgres:// --db) is a chunk of its own, loaded when used.
  output: { dir: dist, entryFileNames: "tau.mjs", chunkFileNames: "chunks/[name].mjs", format: "esm" },
})
const workspace = path.resolve(here, "../..")
const sources = result.output
  .flatMap((o) => (o.type === "chunk" ? o.moduleIds : []))
  .filter((id) => path.isAbsolute(id) && !id.includes(`${path.sep}node_modules${path.sep}`) && id.startsWith(workspace))
// The dependencies inside the bundle change with the lockfile and the package manifests.
const manifests = [
  path.join(workspace, "pnpm-lock.yaml"),
  path.join(workspace, "package.json"),
  ...readdirSync(path.join(workspace, "packages")).map((p) => path.join(workspace, "packages", p, "package.json")),
].filter((f) => existsSync(f))
const inputs = [...sources, ...manifests].map((id) => path.relative(here, id)).sort()
writeFileSync(path.join(dist, "inputs.json"), `${JSON.stringify(inputs, null, 1)}\n`)
console.log(`built ${path.relative(workspace, path.join(dist, "tau.mjs"))} from ${sources.length} workspace modules`)
