/**
 * `@tau-sim/viewer`: the server of `tau view`. `startViewer` listens (127.0.0.1 unless told
 * otherwise) and answers until its scope closes; the composition root (the CLI) provides the
 * store and the domains the episode views replay with.
 */
import { createServer } from "node:http"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer, Schema } from "effect"
import { HttpServer } from "effect/http"
import { isPostgresUrl } from "@tau-sim/store-pg/url"
import { sqliteCatalog } from "./catalog.ts"
import { type Forker, makeForkJobs } from "./fork-jobs.ts"
import { readBundle, viewerApp } from "./http.ts"

export * from "./auth.ts"
export * from "./catalog.ts"
export * from "./episode-view.ts"
export * from "./critical-view.ts"
export { CONTENT_SECURITY_POLICY, episodeQueryOf, ForkFailed, type ForkProgress, type ForkRequest, readBundle, ViewerBundleMissing, viewerApp } from "./http.ts"
export type { Forker, ForkJob, ForkJobs, ForkJobState } from "./fork-jobs.ts"

/**
 * Where `vite build` puts the page (packages/viewer/dist), found through the package's own
 * package.json: this module may run from the CLI's bundle (packages/cli/dist), not from here.
 */
export const bundleDir = (): string => join(dirname(createRequire(import.meta.url).resolve("@tau-sim/viewer/package.json")), "dist")

export interface ViewerOptions {
  /** The event store: a SQLite file, or a postgres:// URL. */
  readonly db: string
  readonly host: string
  /** Names besides the loopback ones and `host` that requests may address it by (`--allow-host`). */
  readonly allowedHosts?: ReadonlyArray<string>
  /** 0: any free port. */
  readonly port: number
  /** The per-start token every API call must carry. */
  readonly token: string
  readonly bundleDir?: string
  /** Forking from the page; absent: the viewer only reads. */
  readonly fork?: Forker
}

export interface RunningViewer {
  readonly host: string
  readonly port: number
  /** The address to open, with the token. */
  readonly url: string
}

/** The server could not listen (the port is taken, the address is not this machine's, ...). */
export class ViewerListenError extends Schema.TaggedError<ViewerListenError>()("ViewerListenError", {
  host: Schema.String,
  port: Schema.Number,
  reason: Schema.String,
}) {
  override get message(): string {
    return `tau view cannot listen on ${this.host}:${this.port}: ${this.reason}`
  }
}

const reasonOf = (cause: unknown): string => {
  const code = (cause as { code?: unknown } | null)?.code
  if (code === "EADDRINUSE") return "the port is in use (choose another with --port, or --port 0 for any free one)"
  if (code === "EADDRNOTAVAIL") return "no such address on this machine"
  if (code === "EACCES") return "permission denied (ports below 1024 need privileges)"
  return cause instanceof Error ? cause.message : String(cause)
}

/** Starts the viewer; it stops (connections closed, catalog closed) when the scope closes. */
export const startViewer = (options: ViewerOptions) =>
  Effect.gen(function* () {
    const bundle = yield* readBundle(options.bundleDir ?? bundleDir())
    // Postgres's client is loaded only for a postgres:// store.
    const catalog = isPostgresUrl(options.db)
      ? yield* Effect.flatMap(
          Effect.promise(() => import("./catalog-pg.ts")),
          (pg) => pg.postgresCatalog(options.db),
        )
      : yield* sqliteCatalog(options.db)
    // Port 0 is chosen by the system: known once listening (until then the app accepts nothing).
    let listening = options.port
    // Forks run in this scope: when the viewer stops, they are interrupted (the forker stops its child).
    const forks = options.fork === undefined ? undefined : makeForkJobs(options.fork, yield* Effect.scope)
    const serve = HttpServer.serve(
      viewerApp({ catalog, bundle, token: options.token, port: () => listening, host: options.host, allowedHosts: options.allowedHosts, forks }),
    ).pipe(Layer.provideMerge(NodeHttpServer.layer(createServer, { host: options.host, port: options.port })))
    const context = yield* Layer.build(serve).pipe(
      Effect.mapError((e) => new ViewerListenError({ host: options.host, port: options.port, reason: reasonOf((e as { cause?: unknown }).cause ?? e) })),
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    const port = address._tag === "UnixPathAddress" ? options.port : address.port
    listening = port
    const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host
    const running: RunningViewer = { host: options.host, port, url: `http://${shownHost}:${port}/?token=${options.token}` }
    return running
  })
