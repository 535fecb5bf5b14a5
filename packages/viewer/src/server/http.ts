/**
 * The viewer's HTTP app on Effect's HTTP server: the JSON API under `/api/` (token required) and
 * the bundled single-page app for every other path (deep links: `/runs/<id>`, `/episodes/<id>`).
 * Everything is a GET but one: `POST /api/episodes/<id>/fork`, with the token as a header.
 *
 * Every answer carries a strict Content-Security-Policy (scripts, styles and everything else
 * only from this origin, nothing inline), `nosniff`, and no referrer (the page URL may hold the
 * token). API answers are `application/json`. Untrusted text (messages, tool outputs, model
 * responses) only ever travels as JSON strings; the page renders it as text.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { extname, join, relative } from "node:path"
import type { DomainResolver, EventStore } from "@tau-sim/engine"
import { EpisodeNotFound } from "@tau-sim/replay"
import { Effect, Schema, Stream } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { TOKEN_HEADER, tokenCookie, tokenMatches } from "./auth.ts"
import { type Catalog, EPISODE_SORTS, type EpisodeQuery, type EpisodeSort } from "./catalog.ts"
import { compareBranches, episodeDetail, EventIndexNotFound, rawEvent, TurnNotFound, worldAtTurn } from "./episode-view.ts"
import { criticalOfEpisode } from "./critical-view.ts"
import type { ForkJobs } from "./fork-jobs.ts"
import type { ForkProgress } from "../wire.ts"

export type { ForkProgress }

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "x-frame-options": "DENY",
}

export class ViewerBundleMissing extends Schema.TaggedError<ViewerBundleMissing>()("ViewerBundleMissing", { dir: Schema.String }) {
  override get message(): string {
    return `the viewer's page is not built (no ${this.dir}/index.html): run \`pnpm --filter @tau-sim/viewer build\` (npm test and the install build it)`
  }
}

/** A query parameter that does not parse: 400 naming it. */
class BadQuery extends Schema.TaggedError<BadQuery>()("BadQuery", { message: Schema.String }) {}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
}

export interface Bundle {
  readonly index: Uint8Array
  readonly assets: ReadonlyMap<string, { readonly body: Uint8Array; readonly type: string }>
}

/** The built page (`vite build` output), read once: `index.html` and everything under it. */
export const readBundle = (dir: string): Effect.Effect<Bundle, ViewerBundleMissing> =>
  Effect.suspend(() => {
    const indexPath = join(dir, "index.html")
    if (!existsSync(indexPath)) return Effect.fail(new ViewerBundleMissing({ dir }))
    const assets = new Map<string, { body: Uint8Array; type: string }>()
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name)
        if (statSync(p).isDirectory()) walk(p)
        else assets.set(`/${relative(dir, p).split("\\").join("/")}`, { body: readFileSync(p), type: MIME[extname(p)] ?? "application/octet-stream" })
      }
    }
    walk(dir)
    return Effect.succeed({ index: readFileSync(indexPath), assets })
  })

/** Forking from the page: what the person asked for. */
export interface ForkRequest {
  readonly episodeId: string
  readonly atTurn: number
  /** Participant specs for the branch; absent: the parent's. */
  readonly agent?: string
  readonly user?: string
}

export class ForkFailed extends Schema.TaggedError<ForkFailed>()("ForkFailed", { episodeId: Schema.String, reason: Schema.String }) {
  override get message(): string {
    return `fork of ${this.episodeId} failed: ${this.reason}`
  }
}

export interface AppOptions {
  readonly catalog: Catalog
  readonly bundle: Bundle
  readonly token: string
  /** The port listened on (known once listening; 0 before: then nothing is accepted). */
  readonly port: () => number
  /** The address bound (`--host`): a name the Host header may carry besides the loopback ones. */
  readonly host: string
  /** More names (`--allow-host`) the Host header may carry: how other machines reach a non-loopback `--host`. */
  readonly allowedHosts?: ReadonlyArray<string> | undefined
  /** Forks started from the page; absent: the viewer only reads. */
  readonly forks?: ForkJobs | undefined
}

const ForkBody = Schema.Struct({
  turn: Schema.Int,
  agent: Schema.optionalKey(Schema.String),
  user: Schema.optionalKey(Schema.String),
})

const MAX_FORK_BODY = 4096

/**
 * `POST /api/episodes/<id>/fork` with `{"turn": N, "agent"?: spec, "user"?: spec}`. Mutating, so
 * the token must come as the header (a cookie alone could ride along with another site's form)
 * and the body must be JSON (which a cross-site form cannot send without a preflight we refuse).
 */
const forkRoute = (options: AppOptions, request: HttpServerRequest.HttpServerRequest, episodeId: string) =>
  Effect.gen(function* () {
    const forks = options.forks
    if (forks === undefined) return yield* errorJson(405, "this viewer was started without forking")
    const header = request.headers[TOKEN_HEADER]
    if (!tokenMatches(options.token, typeof header === "string" ? header : undefined))
      return yield* errorJson(403, `forking needs the token in the ${TOKEN_HEADER} header`)
    if (!(request.headers["content-type"] ?? "").startsWith("application/json")) return yield* errorJson(415, "send the fork request as application/json")
    // Refused on its declared length before a byte is read; a body without one is read up to the limit only.
    const declared = Number(request.headers["content-length"] ?? "0")
    if (!(declared <= MAX_FORK_BODY)) return yield* errorJson(413, `fork request too large (over ${MAX_FORK_BODY} bytes)`)
    const text = yield* readCapped(request, MAX_FORK_BODY)
    if (text === undefined) return yield* errorJson(413, `fork request too large (over ${MAX_FORK_BODY} bytes)`)
    const parsed = yield* Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => new BadQuery({ message: "fork request: not JSON" }) }).pipe(
      Effect.flatMap((json) =>
        Schema.decodeUnknownEffect(ForkBody)(json).pipe(Effect.mapError((e) => new BadQuery({ message: `fork request: ${e.message}` }))),
      ),
      Effect.result,
    )
    if (parsed._tag === "Failure") return yield* errorJson(400, parsed.failure.message)
    const body = parsed.success
    if (body.turn < 0) return yield* errorJson(400, "fork request: turn must be ≥ 0")
    // A spec is a value, never a flag: the forker may hand it to a command line.
    for (const [name, spec] of [
      ["agent", body.agent],
      ["user", body.user],
    ] as const)
      if (spec?.trim().startsWith("-"))
        return yield* errorJson(400, `fork request: ${name} ${JSON.stringify(spec)} starts with "-" (a participant spec, not a flag)`)
    const started = yield* forks
      .start({
        episodeId,
        atTurn: body.turn,
        ...(body.agent === undefined || body.agent.trim() === "" ? {} : { agent: body.agent.trim() }),
        ...(body.user === undefined || body.user.trim() === "" ? {} : { user: body.user.trim() }),
      })
      .pipe(Effect.result)
    if (started._tag === "Failure") return yield* errorJson(422, started.failure.message)
    // Answered once the branch is stored: its progress is at /api/forks/<id> (the page follows it there).
    return yield* json({ episode_id: started.success.episode_id, state: started.success.state() })
  })

/** The body as text, or undefined once it passes `max` bytes (reading stops there). An unreadable body is empty. */
const readCapped = (request: HttpServerRequest.HttpServerRequest, max: number): Effect.Effect<string | undefined> => {
  const chunks: Array<Uint8Array> = []
  let size = 0
  return Stream.runForEach(request.stream, (chunk) => {
    size += chunk.length
    if (size > max) return Effect.fail("too large" as const)
    chunks.push(chunk)
    return Effect.void
  }).pipe(
    Effect.map(() => Buffer.concat(chunks).toString("utf8")),
    Effect.catch((e) => Effect.succeed(e === "too large" ? undefined : "")),
  )
}

const json = (body: unknown, status = 200) =>
  HttpServerResponse.json(body, { status, headers: { ...SECURITY_HEADERS, "cache-control": "no-store" } }).pipe(
    Effect.orElseSucceed(() =>
      HttpServerResponse.text('{"error":"unencodable answer"}', { status: 500, contentType: "application/json", headers: SECURITY_HEADERS }),
    ),
  )

const errorJson = (status: number, message: string) => json({ error: message }, status)

const param = (url: URL, name: string): string | undefined => {
  const v = url.searchParams.get(name)
  return v === null || v.trim() === "" ? undefined : v
}

const numberParam = (url: URL, name: string): number | undefined => {
  const v = param(url, name)
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n)) throw new BadQuery({ message: `query parameter ${name}: ${JSON.stringify(v)} is not a number` })
  return n
}

const intParam = (url: URL, name: string, fallback: number, min: number, max: number): number => {
  const n = numberParam(url, name) ?? fallback
  if (!Number.isInteger(n) || n < min || n > max) throw new BadQuery({ message: `query parameter ${name}: ${n} is not a whole number in ${min}..${max}` })
  return n
}

const oneOf = <T extends string>(url: URL, name: string, values: ReadonlyArray<T>): T | undefined => {
  const v = param(url, name)
  if (v === undefined) return undefined
  if (!(values as ReadonlyArray<string>).includes(v))
    throw new BadQuery({ message: `query parameter ${name}: ${JSON.stringify(v)} is not one of ${values.join(", ")}` })
  return v as T
}

export const MAX_PAGE = 500

/** The episodes query of `/api/episodes?...` (every filter optional). */
export const episodeQueryOf = (url: URL): EpisodeQuery => {
  const toolErrors = oneOf(url, "tool_errors", ["yes", "no"])
  return {
    run: param(url, "run"),
    domain: param(url, "domain"),
    task: param(url, "task"),
    termination: param(url, "termination"),
    status: oneOf(url, "status", ["running", "ended"]),
    rewardMin: numberParam(url, "reward_min"),
    rewardMax: numberParam(url, "reward_max"),
    toolErrors: toolErrors === undefined ? undefined : toolErrors === "yes",
    agent: param(url, "agent"),
    mode: param(url, "mode"),
    scoredBy: param(url, "scored_by"),
    sort: oneOf<EpisodeSort>(url, "sort", EPISODE_SORTS) ?? "started",
    descending: oneOf(url, "order", ["asc", "desc"]) === "desc",
    offset: intParam(url, "offset", 0, 0, Number.MAX_SAFE_INTEGER),
    limit: intParam(url, "limit", 50, 1, MAX_PAGE),
  }
}

const sync = <A>(f: () => A) =>
  Effect.try({
    try: f,
    catch: (e) => e,
  })

/**
 * The API: `/api/runs`, `/api/facets`, `/api/episodes`, `/api/episodes/<id>`, `/api/episodes/<id>/world?turn=N`,
 * `/api/episodes/<id>/events/<index>`, `/api/episodes/<id>/branches`, `/api/episodes/<id>/tree`, `/api/compare?a=&b=`.
 */
const api = (options: AppOptions, url: URL): Effect.Effect<unknown, unknown, EventStore | DomainResolver> => {
  const path = url.pathname
  if (path === "/api/runs") return Effect.map(options.catalog.runs(), (runs) => ({ runs }))
  if (path === "/api/facets") return options.catalog.facets()
  if (path === "/api/episodes")
    return Effect.flatMap(
      sync(() => episodeQueryOf(url)),
      options.catalog.episodes,
    )
  const following = /^\/api\/forks\/([^/]+)$/.exec(path)
  if (following) return Effect.flatMap(decodeSegment(following[1]), (id) => forkProgress(options, id, param(url, "wait") === "end"))
  if (path === "/api/compare") {
    const a = param(url, "a")
    const b = param(url, "b")
    if (a === undefined || b === undefined) return Effect.fail(new BadQuery({ message: "compare needs two episodes: ?a=<id>&b=<id>" }))
    return compareBranches(a, b)
  }
  const m = /^\/api\/episodes\/([^/]+)(?:\/(world|events|branches|tree|critical)(?:\/(\d+))?)?$/.exec(path)
  if (m) {
    const [, segment, part, index] = m
    return Effect.flatMap(decodeSegment(segment), (id): Effect.Effect<unknown, unknown, EventStore | DomainResolver> => {
      if (part === undefined) return episodeDetail(id)
      if (part === "branches") return Effect.map(options.catalog.children(id), (children) => ({ episode_id: id, children }))
      if (part === "tree") return Effect.map(options.catalog.tree(id), (nodes) => ({ episode_id: id, nodes }))
      if (part === "critical" && index === undefined) return criticalOfEpisode(options.catalog, id)
      if (part === "world" && index === undefined)
        return Effect.flatMap(
          sync(() => intParam(url, "turn", 0, 0, Number.MAX_SAFE_INTEGER)),
          (turn) => worldAtTurn(id, turn),
        )
      if (part === "events" && index !== undefined) return rawEvent(id, Number(index))
      return Effect.fail(new NotFound({ path }))
    })
  }
  return Effect.fail(new NotFound({ path }))
}

/**
 * A fork started from the page as it stands: the job's state and the branch as stored so far (its
 * own events arrive while it runs). `wait=end`: answered when the fork has ended.
 */
const forkProgress = (options: AppOptions, id: string, waitForEnd: boolean) =>
  Effect.gen(function* () {
    const job = options.forks?.get(id)
    if (job === undefined) return yield* new NotFound({ path: `/api/forks/${id} (no fork of that id was started by this viewer)` })
    if (waitForEnd) yield* job.ended
    const state = job.state()
    const detail = yield* Effect.orElseSucceed(episodeDetail(id), () => null)
    const progress: ForkProgress = { episode_id: id, parent_episode_id: job.parent_episode_id, turn: job.turn, state, error: job.error(), detail }
    return progress
  })

/** An episode id from the path: a malformed `%` escape is the client's error (400), not a defect. */
const decodeSegment = (segment: string): Effect.Effect<string, BadQuery> =>
  Effect.try({
    try: () => decodeURIComponent(segment),
    catch: () => new BadQuery({ message: `path segment ${JSON.stringify(segment)} is not valid percent-encoding` }),
  })

class NotFound extends Schema.TaggedError<NotFound>()("NotFound", { path: Schema.String }) {
  override get message(): string {
    return `no such API path: ${this.path}`
  }
}

const statusOf = (e: unknown): number => {
  if (e instanceof BadQuery) return 400
  if (e instanceof NotFound || e instanceof EpisodeNotFound || e instanceof TurnNotFound || e instanceof EventIndexNotFound) return 404
  return 500
}

const messageOf = (e: unknown): string => (e instanceof Error && e.message ? e.message : String(e))

/** Token of the request: the header, else the cookie. */
const tokenOf = (request: HttpServerRequest.HttpServerRequest, port: number): string | undefined => {
  const header = request.headers[TOKEN_HEADER]
  return typeof header === "string" && header !== "" ? header : request.cookies[tokenCookie(port)]
}

/** The viewer as an HTTP app: the response to the current request. */
export const viewerApp = (options: AppOptions) =>
  answer(options).pipe(
    // A defect still gets an answer with the security headers, not the server's bare 500.
    Effect.catchDefect((defect) => errorJson(500, `internal error: ${messageOf(defect)}`)),
  )

/**
 * DNS rebinding: a page of evil.example whose name was re-pointed at 127.0.0.1 reaches this port
 * with `Host: evil.example:PORT`. Only the loopback names and the bound host, with this port, are
 * this server's.
 */
const hostAllowed = (options: AppOptions, host: string | undefined): boolean => {
  if (host === undefined) return false
  const port = options.port()
  if (port === 0) return false
  const bracketed = (h: string) => (h.includes(":") && !h.startsWith("[") ? `[${h}]` : h).toLowerCase()
  const names = new Set(["127.0.0.1", "localhost", "[::1]", bracketed(options.host), ...(options.allowedHosts ?? []).map(bracketed)])
  const given = host.toLowerCase()
  for (const name of names) if (given === `${name}:${port}` || (port === 80 && given === name)) return true
  return false
}

const answer = (options: AppOptions) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    // Before anything else: not even the page goes to another name.
    if (!hostAllowed(options, request.headers.host))
      return yield* errorJson(
        403,
        "this viewer answers only to 127.0.0.1, localhost, [::1], its --host or an --allow-host name, with its port (Host header refused)",
      )
    const url = new URL(request.url, "http://viewer.invalid")
    const forking = /^\/api\/episodes\/([^/]+)\/fork$/.exec(url.pathname)
    if (forking && request.method === "POST") {
      const id = yield* Effect.result(decodeSegment(forking[1]))
      if (id._tag === "Failure") return yield* errorJson(400, id.failure.message)
      return yield* forkRoute(options, request, id.success)
    }
    if (request.method !== "GET" && request.method !== "HEAD")
      return yield* errorJson(405, `${request.method} is not allowed here (the viewer only reads, but for forking)`)
    if (url.pathname.startsWith("/api/")) {
      if (!tokenMatches(options.token, tokenOf(request, options.port()))) return yield* errorJson(401, "missing or wrong token: open the URL tau view printed")
      return yield* api(options, url).pipe(
        Effect.flatMap((body) => json(body)),
        Effect.catch((e) => errorJson(statusOf(e), messageOf(e))),
      )
    }
    const asset = options.bundle.assets.get(url.pathname)
    if (asset !== undefined && url.pathname !== "/index.html") {
      return HttpServerResponse.uint8Array(asset.body, { contentType: asset.type, headers: { ...SECURITY_HEADERS, "cache-control": "no-cache" } })
    }
    // Any other path is a page of the app (deep links); `?token=` from the printed URL becomes the cookie.
    const page = HttpServerResponse.uint8Array(options.bundle.index, {
      contentType: MIME[".html"],
      headers: { ...SECURITY_HEADERS, "cache-control": "no-store" },
    })
    const given = url.searchParams.get("token") ?? undefined
    return tokenMatches(options.token, given)
      ? page.pipe(HttpServerResponse.setCookieUnsafe(tokenCookie(options.port()), options.token, { path: "/", httpOnly: true, sameSite: "strict" }))
      : page
  })
