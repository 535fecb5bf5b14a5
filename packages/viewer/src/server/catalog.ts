/**
 * The viewer's lists: runs with their numbers, and episodes filtered, sorted and paged, answered
 * by SQL over the store's read models (the `runs`, `episodes` and `scores` tables) so that a
 * store of 100,000 episodes answers a page without reading event logs.
 *
 * Why SQL here rather than the store port: the port's `listEpisodes` returns every row of a run;
 * filtering, sorting and paging 100,000 of them per request in JS costs what a page must not.
 * The catalog opens the same SQLite file read-only (it never writes the store; WAL lets it read
 * while a run appends), checks the file has the schema version this engine writes, and reads
 * events only by primary key: each episode's start (agent, user, mode) and end (tool-error
 * count), with its parent link, once, into a temporary table of its own connection (built when it opens: about a
 * second per 100,000 episodes; then only what is new).
 */
import Database from "better-sqlite3"
import { SQLITE_MODEL_CALLS_INDEX, SQLITE_SCHEMA_VERSION } from "@tau-sim/engine"
import { INFRASTRUCTURE_ERROR } from "@tau-sim/evaluators"
import { Effect, type Scope } from "effect"
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
import type { EpisodeListRow, EpisodePage, Facets, RunSummary } from "../wire.ts"

export * from "./catalog-shared.ts"

/** The SQLite catalog as it answers: synchronously (better-sqlite3), throwing `CatalogError`s. */
export interface SqliteCatalog {
  readonly runs: () => ReadonlyArray<RunSummary>
  readonly episodes: (query: EpisodeQuery) => EpisodePage
  readonly facets: () => Facets
  readonly children: (episodeId: string) => ReadonlyArray<EpisodeListRow>
  readonly tree: (episodeId: string) => ReadonlyArray<EpisodeListRow>
  readonly close: () => void
}

/**
 * The episodes query's parameters are written `+?` (the same value and affinity; the same plans,
 * checked with EXPLAIN QUERY PLAN), like the LIMIT, the joined row lookup and the branches' parent
 * below: SQLite's planner peeks at such a bare `?` (in LIMIT, or beside a join or an ORDER BY) for
 * its estimates and marks the statement to be prepared again when its bindings change, and
 * better-sqlite3 clears the bindings after every call, so every call compiled it anew. (A lone key
 * lookup, like those of `refresh`, is not re-prepared: measured, left as it is.)
 */
const SQLITE: Dialect = { param: () => "+?", contains: (column, param) => `instr(${column}, ${param}) > 0` }

/** Distinct shapes of the episodes query whose statements are kept (filters × sorts × directions; a few are used). */
const EPISODE_SHAPES_KEPT = 64

/** Opens the catalog over the store file at `path` (read-only). Throws a `CatalogError` naming the file. */
export const openCatalog = (path: string): SqliteCatalog => {
  let db: Database.Database
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
  } catch (e) {
    throw new CatalogError({ message: `viewer: cannot open event store ${path}: ${e instanceof Error ? e.message : String(e)}` })
  }
  const version = db.pragma("user_version", { simple: true }) as number
  if (version !== SQLITE_SCHEMA_VERSION) {
    db.close()
    throw new CatalogError({ message: `viewer: event store ${path} has schema version ${version}; this viewer reads version ${SQLITE_SCHEMA_VERSION}` })
  }

  const selectRuns = db.prepare<[], RunRow>("SELECT run_id, created_at, config, experiment FROM runs ORDER BY rowid")
  // Grouped so that 100,000 episodes become a few rows per run and task (rewards are mostly 0 or 1).
  const selectOutcomes = db.prepare<[], OutcomeGroup>(
    `SELECT run_id, task_id, termination_reason, reward, count(*) AS n FROM episodes
     WHERE status = 'ended' GROUP BY run_id, task_id, termination_reason, reward`,
  )
  const selectCounts = db.prepare<[], RunCounts>(
    `SELECT run_id, count(*) AS n, sum(status = 'running') AS running,
       sum(termination_reason = '${INFRASTRUCTURE_ERROR}') AS infra, max(trial) AS max_trial
     FROM episodes GROUP BY run_id`,
  )
  // Model calls are the only events that cost; the partial index of migration 2 holds exactly them.
  const selectCosts = db.prepare<[], RunCost & { run_id: string }>(
    `SELECT e.run_id AS run_id, total(json_extract(m.body, '$.cost')) AS cost, count(*) AS calls,
       sum(
         (json_type(m.body, '$.cost') IS NOT 'real' AND json_type(m.body, '$.cost') IS NOT 'integer')
         -- The engine's callCost: a successful, uncached call recorded at 0 with pricing null had no price.
         OR (json_extract(m.body, '$.cost') = 0 AND coalesce(json_type(m.body, '$.error'), 'null') = 'null'
             AND json_type(m.body, '$.response') = 'object' AND json_type(m.body, '$.response.pricing') = 'null'
             AND json_type(m.body, '$.response.cached') IS NULL)
       ) AS unpriced
     FROM events m INDEXED BY ${SQLITE_MODEL_CALLS_INDEX} JOIN episodes e ON e.episode_id = m.episode_id
     WHERE m.tag = 'ModelCalled' GROUP BY e.run_id`,
  )
  const selectEnd = db.prepare<[string, number], { body: string }>("SELECT body FROM events WHERE episode_id = ? AND seq = ? AND tag = 'EpisodeEnded'")

  const selectLeases = db.prepare<[], { name: string }>("SELECT name FROM leases")
  const selectRunningEpisodes = db.prepare<[], { run_id: string; episode_id: string }>("SELECT run_id, episode_id FROM episodes WHERE status = 'running'")
  const summarize = runSummarizer()
  const runsNow = (): ReadonlyArray<RunSummary> =>
    summarize({
      runs: selectRuns.all(),
      outcomes: selectOutcomes.all(),
      counts: selectCounts.all(),
      costs: new Map(selectCosts.all().map((c) => [c.run_id, c])),
      leases: new Set(selectLeases.all().map((l) => l.name)),
      runningEpisodes: selectRunningEpisodes.all(),
    })

  // Facts the read models do not hold (agent, user and mode from each episode's start, its tool
  // errors from its end), read by primary key once per episode into a temporary table of this
  // read-only connection, and brought up to date before every query: new rows by rowid, and
  // episodes that were running when last seen.
  // The parent link too (the store's episodes table has no index on it, and a read-only connection
  // cannot add one): branches and a lineage are then found by index, not by a scan of every episode.
  db.exec(`CREATE TEMP TABLE facts (episode_id TEXT PRIMARY KEY, agent TEXT, user TEXT, mode TEXT, tool_errors INTEGER, parent TEXT)`)
  db.exec("CREATE INDEX temp.facts_agent ON facts (agent)")
  db.exec("CREATE INDEX temp.facts_mode ON facts (mode)")
  db.exec("CREATE INDEX temp.facts_errors ON facts (tool_errors)")
  db.exec("CREATE INDEX temp.facts_parent ON facts (parent)")
  const setToolErrors = db.prepare<[number | null, string]>("UPDATE temp.facts SET tool_errors = ? WHERE episode_id = ?")
  const selectRow = db.prepare<[string], { status: string; version: number }>("SELECT status, version FROM episodes WHERE episode_id = ?")
  let seenRowid = 0
  const running = new Set<string>()

  const parseBody = (body: string | undefined): Record<string, unknown> => {
    if (body === undefined) return {}
    try {
      return JSON.parse(body) as Record<string, unknown>
    } catch {
      return {}
    }
  }
  const toolErrorsOf = (episodeId: string, version: number): number | null => {
    const end = parseBody(selectEnd.get(episodeId, version - 1)?.body)
    return typeof end.errors === "number" ? end.errors : null
  }

  // New rows in one statement (the JSON is read by SQLite, not parsed in JS): a few seconds per 100,000 episodes once.
  const insertNewFacts = db.prepare<[number]>(
    `INSERT OR REPLACE INTO temp.facts (episode_id, agent, user, mode, tool_errors, parent)
     SELECT e.episode_id, json_extract(s.body, '$.agent'), json_extract(s.body, '$.user'), json_extract(s.body, '$.mode'),
       CASE WHEN e.status = 'ended' THEN json_extract(x.body, '$.errors') END, e.parent_episode_id
     FROM episodes e
     LEFT JOIN events s ON s.episode_id = e.episode_id AND s.seq = 0
     LEFT JOIN events x ON x.episode_id = e.episode_id AND x.seq = e.version - 1 AND x.tag = 'EpisodeEnded'
     WHERE e.rowid > ?`,
  )
  const selectNewRunning = db.prepare<[number], { episode_id: string }>("SELECT episode_id FROM episodes WHERE rowid > ? AND status = 'running'")
  const selectMaxRowid = db.prepare<[], { m: number | null }>("SELECT max(rowid) AS m FROM episodes")

  const refresh = db.transaction(() => {
    const max = selectMaxRowid.get()?.m ?? 0
    // Episodes that were running when last seen and have ended since get their tool errors.
    for (const id of running) {
      const now = selectRow.get(id)
      if (now === undefined || now.status !== "ended") continue
      setToolErrors.run(toolErrorsOf(id, now.version), id)
      running.delete(id)
    }
    if (max <= seenRowid) return
    insertNewFacts.run(seenRowid)
    for (const row of selectNewRunning.all(seenRowid)) running.add(row.episode_id)
    seenRowid = max
  })

  type Joined = JoinedRow
  const FROM = "FROM episodes e JOIN temp.facts f ON f.episode_id = e.episode_id"
  const COLUMNS = "e.*, f.agent, f.user, f.mode, f.tool_errors"

  const selectJoinedRow = db.prepare<[number], Joined>(`SELECT ${COLUMNS} ${FROM} WHERE e.rowid = +?`)

  // The episodes query's statements by shape (its FROM and WHERE, its ORDER BY), prepared once:
  // the values differ per request, the shapes hardly. Bounded: the oldest shape is let go.
  const episodeShapes = new Map<string, { count: Database.Statement<unknown[], { n: number }>; page: Database.Statement<unknown[], { rid: number }> }>()
  const episodeStatements = (fromWhere: string, order: string) => {
    const key = `${fromWhere}\u0000${order}`
    const kept = episodeShapes.get(key)
    if (kept !== undefined) return kept
    // Rows as objects, not plucked: better-sqlite3 then builds a row factory again exactly when
    // SQLite has prepared the statement again, which the catalog's tests count.
    const made = {
      count: db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n ${fromWhere}`),
      page: db.prepare<unknown[], { rid: number }>(`SELECT e.rowid AS rid ${fromWhere} ${order} LIMIT +? OFFSET +?`),
    }
    if (episodeShapes.size >= EPISODE_SHAPES_KEPT) episodeShapes.delete(episodeShapes.keys().next().value as string)
    episodeShapes.set(key, made)
    return made
  }

  const episodesNow = (q: EpisodeQuery): EpisodePage => {
    refresh()
    const where = whereOf(q, SQLITE)
    // The facts are joined only when a filter needs them; the page's rows are then looked up by rowid.
    const from = needsFacts(q) ? FROM : "FROM episodes e"
    const { count, page: pageOf } = episodeStatements(`${from} ${where.sql}`, orderOf(q, "rowid"))
    const total = count.get(...where.params)?.n ?? 0
    const page = pageOf.all(...where.params, q.limit, q.offset)
    const rows = page.map(({ rid }) => selectJoinedRow.get(rid)).filter((r): r is Joined => r !== undefined)
    return { total, offset: q.offset, limit: q.limit, episodes: rows.map(toListRow) }
  }

  /**
   * The runs list and the filter values change only when something is appended: an event (a new
   * episode, one that ends), a score (a rescore changes rewards) or a run, or a lease is taken or
   * given up (a run starts or stops being worked on). Until then they are
   * answered from the last computation (browsing a finished store costs nothing).
   */
  const selectWritten = db.prepare<[], { events: number | null; scores: number | null; runs: number | null; leases: string | null }>(
    "SELECT (SELECT max(rowid) FROM events) AS events, (SELECT max(id) FROM scores) AS scores, (SELECT max(rowid) FROM runs) AS runs, (SELECT group_concat(name || ' ' || holder_id) FROM leases) AS leases",
  )
  const cachedUntilWrite = <A>(compute: () => A): (() => A) => {
    let cached: { key: string; value: A } | undefined
    return () => {
      const w = selectWritten.get()
      const key = `${w?.events}/${w?.scores}/${w?.runs}/${w?.leases}`
      if (cached === undefined || cached.key !== key) cached = { key, value: compute() }
      return cached.value
    }
  }

  const selectChildren = db.prepare<[string], Joined>(`SELECT ${COLUMNS} ${FROM} WHERE f.parent = +? ORDER BY e.rowid`)
  // Up the parent links to the root, then down every branch of it (depth first keeps parents first);
  // the family drives the join (CROSS JOIN keeps that order): ordered by rowid, the planner would
  // otherwise scan every episode and probe the family for each.
  const selectRoot = db.prepare<[string], { id: string }>(
    `WITH RECURSIVE up(id, parent) AS (
       SELECT episode_id, parent_episode_id FROM episodes WHERE episode_id = ?
       UNION SELECT e.episode_id, e.parent_episode_id FROM episodes e JOIN up ON e.episode_id = up.parent)
     SELECT id FROM up WHERE parent IS NULL OR parent NOT IN (SELECT episode_id FROM episodes)`,
  )
  const selectFamily = db.prepare<[string], Joined>(
    `WITH RECURSIVE down(id) AS (SELECT ? UNION SELECT f.episode_id FROM temp.facts f JOIN down ON f.parent = down.id)
     SELECT ${COLUMNS} FROM down CROSS JOIN episodes e ON e.episode_id = down.id JOIN temp.facts f ON f.episode_id = e.episode_id ORDER BY e.rowid`,
  )

  const distinct = (sql: string): string[] => (db.prepare(sql).pluck().all() as Array<string | null>).filter((v): v is string => v !== null)

  const facetsNow = (): Facets => {
    refresh()
    const runs = selectRuns.all()
    const stored = new Set(distinct("SELECT DISTINCT termination_reason FROM episodes"))
    return {
      domains: distinct("SELECT DISTINCT domain FROM episodes ORDER BY domain"),
      terminations: orderTerminations(stored),
      agents: distinct("SELECT DISTINCT agent FROM temp.facts ORDER BY agent"),
      modes: distinct("SELECT DISTINCT mode FROM temp.facts ORDER BY mode"),
      evaluators: distinct("SELECT DISTINCT evaluator || '@' || evaluator_version FROM scores ORDER BY 1"),
      runs: runs.map((r) => r.run_id),
    }
  }

  const guard =
    <A extends ReadonlyArray<unknown>, B>(what: string, f: (...args: A) => B) =>
    (...args: A): B => {
      try {
        return f(...args)
      } catch (e) {
        if (e instanceof CatalogError) throw e
        throw new CatalogError({ message: `viewer: ${what} of event store ${path}: ${e instanceof Error ? e.message : String(e)}` })
      }
    }

  guard("indexing the episodes", refresh)()
  const runs = guard("listing the runs", cachedUntilWrite(runsNow))
  const facets = guard("listing filter values", cachedUntilWrite(facetsNow))
  // Computed while starting, so that the first page a person opens answers at once.
  runs()
  facets()
  return {
    runs,
    episodes: guard("listing episodes", episodesNow),
    facets,
    children: guard("listing branches", (episodeId: string) => {
      refresh()
      return selectChildren.all(episodeId).map(toListRow)
    }),
    tree: guard("listing a lineage", (episodeId: string) => {
      refresh()
      const root = selectRoot.get(episodeId)?.id
      if (root === undefined) return []
      return depthFirst(selectFamily.all(root), root)
    }),
    close: () => {
      if (db.open) db.close()
    },
  }
}

/** The SQLite catalog as the routes read it; closed with the scope. */
export const sqliteCatalog = (path: string): Effect.Effect<Catalog, CatalogError, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.try({ try: () => openCatalog(path), catch: (e) => (e instanceof CatalogError ? e : new CatalogError({ message: String(e) })) }),
      (c) => Effect.sync(c.close),
    ),
    (c): Catalog => {
      const lift =
        <A extends ReadonlyArray<unknown>, B>(f: (...args: A) => B) =>
        (...args: A) =>
          Effect.try({ try: () => f(...args), catch: (e) => (e instanceof CatalogError ? e : new CatalogError({ message: String(e) })) })
      return { runs: lift(c.runs), episodes: lift(c.episodes), facets: lift(c.facets), children: lift(c.children), tree: lift(c.tree) }
    },
  )
