/**
 * The viewer's lists over a PostgreSQL store (store-pg's tables): the SQLite catalog's queries in
 * Postgres's dialect, on one connection of this viewer's own, read-only but for a temporary table.
 *
 * As in catalog.ts, the facts a filter needs but the read models lack (agent, user, mode from an
 * episode's start, its tool errors from its end) are read once per episode into a temporary
 * table, and brought up to date before each query. Bodies are `text` (the chain hashes their
 * bytes): Postgres reads them as JSON only where it can (`jsonb` refuses a lone surrogate escape or
 * `\u0000`, which JSON.stringify writes), and the few it cannot are parsed here instead.
 *
 * Write order: Postgres's identity columns are given out at insert, not at commit, so a row with a
 * lower id may become visible after a higher one. New episodes are therefore found by what the
 * facts table lacks (checked by count first), not by "id above the last seen".
 */
import { PgClient } from "@effect/sql-pg"
import { callCost, type ModelCalled } from "@tau-sim/engine"
import { INFRASTRUCTURE_ERROR } from "@tau-sim/evaluators"
import { POSTGRES_SCHEMA_VERSION } from "@tau-sim/store-pg"
import { describeUrl } from "@tau-sim/store-pg/url"
import { Effect, Redacted, type Scope, Semaphore } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import type { SqlError } from "effect/sql/SqlError"
import {
  type Catalog,
  CatalogError,
  type Dialect,
  depthFirst,
  type EpisodeQuery,
  type JoinedRow,
  needsFacts,
  orderOf,
  orderTerminations,
  type OutcomeGroup,
  type RunCost,
  type RunCounts,
  type RunRow,
  runSummarizer,
  toListRow,
  whereOf,
} from "./catalog-shared.ts"

const POSTGRES: Dialect = { param: (n) => `$${n}`, contains: (column, param) => `strpos(${column}, ${param}) > 0` }

/** A body Postgres's `jsonb` refuses (a lone surrogate or a NUL escape); a false positive only sends it to JS. */
const NOT_JSONB = "\\\\u(0000|[dD][89abAB])"

const COLUMNS = `e.episode_id, e.run_id, e.domain, e.task_id, e.trial, e.status, e.termination_reason, e.reward, e.version,
  e.parent_episode_id, e.parent_seq, f.agent, f."user", f.mode, f.tool_errors`

const parse = (body: unknown): Record<string, unknown> => {
  if (typeof body !== "string") return {}
  try {
    const v = JSON.parse(body) as unknown
    return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
const text = (v: unknown): string | null => (typeof v === "string" ? v : null)

/** Opens the catalog over the Postgres store at `url`; its connection closes with the scope. */
export const postgresCatalog = (url: string): Effect.Effect<Catalog, CatalogError, Scope.Scope> =>
  Effect.gen(function* () {
    const name = describeUrl(url)
    const fail = (what: string) => (e: unknown) =>
      new CatalogError({ message: `viewer: ${what} of event store ${name}: ${(e as SqlError).message ?? String(e)}` })
    const client = yield* PgClient.make({ url: Redacted.make(url), maxConnections: 1, applicationName: "tau-sim view" }).pipe(
      Effect.provide(Reactivity.layer),
      Effect.mapError(fail("connecting")),
    )
    // One connection for the catalog's life: its temporary table lives there.
    const conn = yield* Effect.mapError(client.reserve, fail("connecting"))
    const q = <A = Record<string, unknown>>(sql: string, params: ReadonlyArray<unknown> = []) =>
      conn.execute(sql, params, undefined) as Effect.Effect<ReadonlyArray<A>, SqlError>

    yield* Effect.gen(function* () {
      const [present] = yield* q<{ exists: boolean }>(`SELECT to_regclass('tau_schema') IS NOT NULL AS exists`)
      if (!present.exists) return yield* new CatalogError({ message: `no event store at ${name}` })
      const [row] = yield* q<{ version: number }>(`SELECT version FROM tau_schema`)
      if (row?.version !== POSTGRES_SCHEMA_VERSION)
        return yield* new CatalogError({
          message: `viewer: event store ${name} has schema version ${row?.version}; this viewer reads version ${POSTGRES_SCHEMA_VERSION}`,
        })
      yield* q(`CREATE TEMP TABLE facts (episode_id text PRIMARY KEY, agent text, "user" text, mode text, tool_errors integer,
        ended boolean NOT NULL, unreadable boolean NOT NULL)`)
      yield* q(`CREATE INDEX facts_agent ON facts (agent)`)
      yield* q(`CREATE INDEX facts_mode ON facts (mode)`)
      yield* q(`CREATE INDEX facts_running ON facts (episode_id) WHERE NOT ended`)
      // The viewer never writes the store: every later statement of this session is read-only (but for its temporary table).
      yield* q(`SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`)
    }).pipe(Effect.mapError((e) => (e instanceof CatalogError ? e : fail("opening")(e))))

    let factsCount = 0
    // New episodes: those the facts table lacks (whatever their id), read by Postgres where it can.
    const insertFacts = `INSERT INTO facts (episode_id, agent, "user", mode, tool_errors, ended, unreadable)
      SELECT e.episode_id,
        CASE WHEN s.body !~ $1 THEN (s.body::jsonb)->>'agent' END,
        CASE WHEN s.body !~ $1 THEN (s.body::jsonb)->>'user' END,
        CASE WHEN s.body !~ $1 THEN (s.body::jsonb)->>'mode' END,
        CASE WHEN e.status = 'ended' AND x.body !~ $1 AND jsonb_typeof((x.body::jsonb)->'errors') = 'number' THEN ((x.body::jsonb)->>'errors')::integer END,
        e.status = 'ended',
        coalesce(s.body ~ $1, false) OR coalesce(e.status = 'ended' AND x.body ~ $1, false)
      FROM episodes e
      LEFT JOIN events s ON s.episode_id = e.episode_id AND s.seq = 0
      LEFT JOIN events x ON x.episode_id = e.episode_id AND x.seq = e.version - 1 AND x.tag = 'EpisodeEnded'
      WHERE NOT EXISTS (SELECT 1 FROM facts f WHERE f.episode_id = e.episode_id)
      ON CONFLICT (episode_id) DO NOTHING`
    // Episodes seen running that have ended since: their tool errors.
    const updateEnded = `UPDATE facts f SET ended = true,
        tool_errors = CASE WHEN x.body !~ $1 AND jsonb_typeof((x.body::jsonb)->'errors') = 'number' THEN ((x.body::jsonb)->>'errors')::integer END,
        unreadable = f.unreadable OR coalesce(x.body ~ $1, false)
      FROM episodes e LEFT JOIN events x ON x.episode_id = e.episode_id AND x.seq = e.version - 1 AND x.tag = 'EpisodeEnded'
      WHERE NOT f.ended AND e.episode_id = f.episode_id AND e.status = 'ended'`

    const refresh = Effect.gen(function* () {
      const [count] = yield* q<{ n: number }>(`SELECT count(*)::integer AS n FROM episodes`)
      if (count.n !== factsCount) {
        yield* q(insertFacts, [NOT_JSONB])
        const [now] = yield* q<{ n: number }>(`SELECT count(*)::integer AS n FROM facts`)
        factsCount = now.n
      }
      yield* q(updateEnded, [NOT_JSONB])
      // The bodies Postgres could not read as JSON, read here.
      const unreadable = yield* q<{ episode_id: string; status: string; start: string | null; end: string | null }>(
        `SELECT e.episode_id, e.status, s.body AS start, x.body AS "end" FROM facts f JOIN episodes e ON e.episode_id = f.episode_id
         LEFT JOIN events s ON s.episode_id = e.episode_id AND s.seq = 0
         LEFT JOIN events x ON x.episode_id = e.episode_id AND x.seq = e.version - 1 AND x.tag = 'EpisodeEnded'
         WHERE f.unreadable`,
      )
      for (const r of unreadable) {
        const start = parse(r.start)
        const end = parse(r.end)
        yield* q(`UPDATE facts SET agent = $2, "user" = $3, mode = $4, tool_errors = $5, unreadable = false WHERE episode_id = $1`, [
          r.episode_id,
          text(start.agent),
          text(start.user),
          text(start.mode),
          r.status === "ended" && typeof end.errors === "number" ? end.errors : null,
        ])
      }
    })

    const summarize = runSummarizer()
    const costsNow = Effect.gen(function* () {
      // The engine's callCost in SQL (a successful, uncached call recorded at 0 with pricing null had no price).
      const rows = yield* q<RunCost & { run_id: string; unreadable: number }>(
        `SELECT e.run_id, coalesce(sum(CASE WHEN jsonb_typeof(b.j->'cost') = 'number' THEN (b.j->>'cost')::float8 END), 0)::float8 AS cost,
           count(*)::integer AS calls,
           sum(CASE WHEN b.j IS NULL THEN 0
             WHEN jsonb_typeof(b.j->'cost') IS DISTINCT FROM 'number' THEN 1
             WHEN (b.j->>'cost')::float8 = 0 AND coalesce(jsonb_typeof(b.j->'error'), 'null') = 'null' AND jsonb_typeof(b.j->'response') = 'object'
               AND jsonb_typeof(b.j->'response'->'pricing') = 'null' AND (b.j->'response'->'cached') IS NULL THEN 1
             ELSE 0 END)::integer AS unpriced,
           sum(CASE WHEN b.j IS NULL THEN 1 ELSE 0 END)::integer AS unreadable
         FROM events m JOIN episodes e ON e.episode_id = m.episode_id
         CROSS JOIN LATERAL (SELECT CASE WHEN m.body !~ $1 THEN m.body::jsonb END AS j) b
         WHERE m.tag = 'ModelCalled' GROUP BY e.run_id`,
        [NOT_JSONB],
      )
      const costs = new Map<string, { cost: number; calls: number; unpriced: number }>(
        rows.map((r) => [r.run_id, { cost: r.cost, calls: r.calls, unpriced: r.unpriced }]),
      )
      if (rows.some((r) => r.unreadable > 0)) {
        const bodies = yield* q<{ run_id: string; body: string }>(
          `SELECT e.run_id, m.body FROM events m JOIN episodes e ON e.episode_id = m.episode_id WHERE m.tag = 'ModelCalled' AND m.body ~ $1`,
          [NOT_JSONB],
        )
        for (const b of bodies) {
          const c = costs.get(b.run_id)
          if (c === undefined) continue
          const cost = callCost(parse(b.body) as unknown as ModelCalled)
          if (cost === null) c.unpriced++
          else c.cost += cost
        }
      }
      return costs
    })

    const runsNow = Effect.gen(function* () {
      return summarize({
        runs: yield* q<RunRow>(`SELECT run_id, created_at, config, experiment FROM runs ORDER BY id`),
        outcomes: yield* q<OutcomeGroup>(
          `SELECT run_id, task_id, termination_reason, reward, count(*)::integer AS n FROM episodes WHERE status = 'ended' GROUP BY run_id, task_id, termination_reason, reward`,
        ),
        counts: yield* q<RunCounts>(
          `SELECT run_id, count(*)::integer AS n, sum(CASE WHEN status = 'running' THEN 1 ELSE 0 END)::integer AS running,
             sum(CASE WHEN termination_reason = $1 THEN 1 ELSE 0 END)::integer AS infra, max(trial) AS max_trial
           FROM episodes GROUP BY run_id`,
          [INFRASTRUCTURE_ERROR],
        ),
        costs: yield* costsNow,
        leases: new Set((yield* q<{ name: string }>(`SELECT name FROM leases`)).map((l) => l.name)),
        runningEpisodes: yield* q<{ run_id: string; episode_id: string }>(`SELECT run_id, episode_id FROM episodes WHERE status = 'running'`),
      })
    })

    /**
     * The runs list and the filter values change only when something is written (an event, a
     * score, a run, a lease taken or given up, a new episode): until then the last answer stands.
     * A row committed late under a lower id is seen with the next write.
     */
    const writtenKey = Effect.map(
      q<{ key: string }>(
        `SELECT concat_ws('/', (SELECT max(id) FROM events), (SELECT max(id) FROM scores), (SELECT max(id) FROM runs),
           (SELECT count(*) FROM episodes), (SELECT string_agg(name || ' ' || holder_id, ',' ORDER BY name) FROM leases)) AS key`,
      ),
      (rows) => rows[0]?.key ?? "",
    )
    const cachedUntilWrite = <A>(compute: Effect.Effect<A, SqlError | CatalogError>) => {
      let cached: { key: string; value: A } | undefined
      return Effect.gen(function* () {
        const key = yield* writtenKey
        if (cached === undefined || cached.key !== key) cached = { key, value: yield* compute }
        return cached.value
      })
    }

    const distinct = (sql: string) => Effect.map(q<{ v: string | null }>(sql), (rows) => rows.flatMap((r) => (r.v === null ? [] : [r.v])))
    const facetsNow = Effect.gen(function* () {
      yield* refresh
      const stored = new Set(yield* distinct(`SELECT DISTINCT termination_reason AS v FROM episodes`))
      return {
        domains: yield* distinct(`SELECT DISTINCT domain AS v FROM episodes ORDER BY 1`),
        terminations: orderTerminations(stored),
        agents: yield* distinct(`SELECT DISTINCT agent AS v FROM facts ORDER BY 1`),
        modes: yield* distinct(`SELECT DISTINCT mode AS v FROM facts ORDER BY 1`),
        evaluators: yield* distinct(`SELECT DISTINCT evaluator || '@' || evaluator_version AS v FROM scores ORDER BY 1`),
        runs: (yield* q<{ run_id: string }>(`SELECT run_id FROM runs ORDER BY id`)).map((r) => r.run_id),
      }
    })

    const FROM = "FROM episodes e JOIN facts f ON f.episode_id = e.episode_id"
    const episodesNow = (query: EpisodeQuery) =>
      Effect.gen(function* () {
        yield* refresh
        const where = whereOf(query, POSTGRES)
        const from = needsFacts(query) ? FROM : "FROM episodes e"
        const [total] = yield* q<{ n: number }>(`SELECT count(*)::integer AS n ${from} ${where.sql}`, where.params)
        const n = where.params.length
        const rows = yield* q<JoinedRow>(
          `SELECT ${COLUMNS} FROM episodes e LEFT JOIN facts f ON f.episode_id = e.episode_id ${where.sql} ${orderOf(query, "id")} LIMIT $${n + 1} OFFSET $${n + 2}`,
          [...where.params, query.limit, query.offset],
        )
        return { total: total.n, offset: query.offset, limit: query.limit, episodes: rows.map(toListRow) }
      })

    const treeNow = (episodeId: string) =>
      Effect.gen(function* () {
        yield* refresh
        // Up the parent links to the root, then down every branch of it.
        const [root] = yield* q<{ id: string }>(
          `WITH RECURSIVE up(id, parent) AS (
             SELECT episode_id, parent_episode_id FROM episodes WHERE episode_id = $1
             UNION SELECT e.episode_id, e.parent_episode_id FROM episodes e JOIN up ON e.episode_id = up.parent)
           SELECT id FROM up WHERE parent IS NULL OR parent NOT IN (SELECT episode_id FROM episodes)`,
          [episodeId],
        )
        if (root === undefined) return []
        const family = yield* q<JoinedRow>(
          `WITH RECURSIVE down(id) AS (SELECT $1::text UNION SELECT e.episode_id FROM episodes e JOIN down ON e.parent_episode_id = down.id)
           SELECT ${COLUMNS} FROM episodes e JOIN facts f ON f.episode_id = e.episode_id JOIN down ON down.id = e.episode_id ORDER BY e.id`,
          [root.id],
        )
        return depthFirst(family, root.id)
      })

    // One statement at a time on the one connection (requests come concurrently).
    const lock = yield* Semaphore.make(1)
    const guard =
      <A extends ReadonlyArray<unknown>, B>(what: string, f: (...args: A) => Effect.Effect<B, SqlError | CatalogError>) =>
      (...args: A): Effect.Effect<B, CatalogError> =>
        lock
          .withPermits(1)(f(...args))
          .pipe(Effect.mapError((e) => (e instanceof CatalogError ? e : fail(what)(e))))

    const runs = cachedUntilWrite(runsNow)
    const facets = cachedUntilWrite(facetsNow)
    const catalog: Catalog = {
      runs: guard("listing the runs", () => runs),
      facets: guard("listing filter values", () => facets),
      episodes: guard("listing episodes", episodesNow),
      children: guard("listing branches", (episodeId: string) =>
        Effect.gen(function* () {
          yield* refresh
          return (yield* q<JoinedRow>(
            `SELECT ${COLUMNS} FROM episodes e JOIN facts f ON f.episode_id = e.episode_id WHERE e.parent_episode_id = $1 ORDER BY e.id`,
            [episodeId],
          )).map(toListRow)
        }),
      ),
      tree: guard("listing a lineage", treeNow),
    }
    // Indexed and computed while starting, so that the first page a person opens answers at once.
    yield* guard("indexing the episodes", () => refresh)()
    yield* catalog.runs()
    yield* catalog.facets()
    return catalog
  })
