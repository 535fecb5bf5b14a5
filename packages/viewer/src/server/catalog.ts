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
 * count), once, into a temporary table of its own connection (built when it opens: about a
 * second per 100,000 episodes; then only what is new).
 */
import Database from "better-sqlite3"
import { formatCost, SQLITE_SCHEMA_VERSION, TERMINATION_REASONS } from "@tau-sim/engine"
import { computeMetrics, INFRASTRUCTURE_ERROR, type SimulationOutcome } from "@tau-sim/evaluators"
import { Schema } from "effect"
import type { RunStatus, RunSummary, EpisodeListRow, EpisodePage, Facets } from "../wire.ts"

export class CatalogError extends Schema.TaggedError<CatalogError>()("CatalogError", {
  message: Schema.String,
}) {}

export type { RunStatus, RunSummary, EpisodeListRow, EpisodePage, Facets }

export const EPISODE_SORTS = ["started", "episode", "run", "task", "trial", "reward", "termination", "events"] as const
export type EpisodeSort = (typeof EPISODE_SORTS)[number]

const SORT_COLUMNS: Record<EpisodeSort, string> = {
  started: "e.rowid",
  episode: "e.episode_id",
  run: "e.run_id",
  task: "e.task_id",
  trial: "e.trial",
  reward: "e.reward",
  termination: "e.termination_reason",
  events: "e.version",
}

export interface EpisodeQuery {
  readonly run?: string | undefined
  readonly domain?: string | undefined
  /** Substring of the task id. */
  readonly task?: string | undefined
  readonly termination?: string | undefined
  readonly status?: "running" | "ended" | undefined
  readonly rewardMin?: number | undefined
  readonly rewardMax?: number | undefined
  /** true: episodes with a tool error (outside setup); false: without. */
  readonly toolErrors?: boolean | undefined
  readonly agent?: string | undefined
  readonly mode?: string | undefined
  /** `evaluator@version`: episodes with a score of that evaluator version. */
  readonly scoredBy?: string | undefined
  readonly sort: EpisodeSort
  readonly descending: boolean
  readonly offset: number
  readonly limit: number
}

export interface Catalog {
  readonly runs: () => ReadonlyArray<RunSummary>
  readonly episodes: (query: EpisodeQuery) => EpisodePage
  readonly facets: () => Facets
  /** Episodes whose parent is `episodeId` (forks, counterfactual branches, retries). */
  readonly children: (episodeId: string) => ReadonlyArray<EpisodeListRow>
  /** The whole family of `episodeId`: its root ancestor and every descendant of it, parents before children. */
  readonly tree: (episodeId: string) => ReadonlyArray<EpisodeListRow>
  readonly close: () => void
}

interface RunRow {
  run_id: string
  created_at: string
  config: string
  experiment: string | null
}

interface EpisodeSqlRow {
  episode_id: string
  run_id: string
  domain: string
  task_id: string
  trial: number
  status: "running" | "ended"
  termination_reason: string | null
  reward: number | null
  version: number
  parent_episode_id: string | null
  parent_seq: number | null
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null)

const parseConfig = (row: RunRow): Record<string, unknown> => {
  try {
    const v = JSON.parse(row.config) as unknown
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** Opens the catalog over the store file at `path` (read-only). Throws a `CatalogError` naming the file. */
export const openCatalog = (path: string): Catalog => {
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
  const selectOutcomes = db.prepare<[], { run_id: string; task_id: string; termination_reason: string | null; reward: number | null; n: number }>(
    `SELECT run_id, task_id, termination_reason, reward, count(*) AS n FROM episodes
     WHERE status = 'ended' GROUP BY run_id, task_id, termination_reason, reward`,
  )
  const selectCounts = db.prepare<[], { run_id: string; n: number; running: number; infra: number; max_trial: number }>(
    `SELECT run_id, count(*) AS n, sum(status = 'running') AS running,
       sum(termination_reason = '${INFRASTRUCTURE_ERROR}') AS infra, max(trial) AS max_trial
     FROM episodes GROUP BY run_id`,
  )
  // Model calls are the only events that cost; the partial index of migration 2 holds exactly them.
  const selectCosts = db.prepare<[], { run_id: string; cost: number; calls: number; unpriced: number }>(
    `SELECT e.run_id AS run_id, total(json_extract(m.body, '$.cost')) AS cost, count(*) AS calls,
       sum(
         (json_type(m.body, '$.cost') IS NOT 'real' AND json_type(m.body, '$.cost') IS NOT 'integer')
         -- The engine's callCost: a successful, uncached call recorded at 0 with pricing null had no price.
         OR (json_extract(m.body, '$.cost') = 0 AND coalesce(json_type(m.body, '$.error'), 'null') = 'null'
             AND json_type(m.body, '$.response') = 'object' AND json_type(m.body, '$.response.pricing') = 'null'
             AND json_type(m.body, '$.response.cached') IS NULL)
       ) AS unpriced
     FROM events m INDEXED BY events_model_request JOIN episodes e ON e.episode_id = m.episode_id
     WHERE m.tag = 'ModelCalled' GROUP BY e.run_id`,
  )
  const selectEnd = db.prepare<[string, number], { body: string }>("SELECT body FROM events WHERE episode_id = ? AND seq = ? AND tag = 'EpisodeEnded'")

  type OutcomeGroup = { task_id: string; termination_reason: string | null; reward: number | null; n: number }
  // pass^k of a run is recomputed only when its outcomes changed (a live run's, not the other runs').
  const metricsCache = new Map<string, { key: string; metrics: ReturnType<typeof computeMetrics> }>()
  const metricsOf = (runId: string, groups: ReadonlyArray<OutcomeGroup>, numTrials: number) => {
    const key = `${numTrials}|${groups.map((g) => `${g.task_id}\u0000${g.termination_reason}\u0000${g.reward}\u0000${g.n}`).join("\u0001")}`
    const hit = metricsCache.get(runId)
    if (hit !== undefined && hit.key === key) return hit.metrics
    const outcomes: SimulationOutcome[] = []
    for (const g of groups)
      for (let i = 0; i < g.n; i++) outcomes.push({ task_id: g.task_id, reward: g.reward, termination_reason: g.termination_reason ?? "" })
    const metrics = computeMetrics(outcomes, { numTrials })
    metricsCache.set(runId, { key, metrics })
    return metrics
  }

  const selectLeases = db.prepare<[], { name: string }>("SELECT name FROM leases")
  const selectRunningEpisodes = db.prepare<[], { run_id: string; episode_id: string }>("SELECT run_id, episode_id FROM episodes WHERE status = 'running'")

  const runsNow = (): ReadonlyArray<RunSummary> => {
    const rows = selectRuns.all()
    const leases = new Set(selectLeases.all().map((l) => l.name))
    const worked = new Set<string>()
    for (const e of selectRunningEpisodes.all()) if (leases.has(`episode:${e.episode_id}`)) worked.add(e.run_id)
    const counts = new Map(selectCounts.all().map((c) => [c.run_id, c]))
    const costs = new Map(selectCosts.all().map((c) => [c.run_id, c]))
    const outcomesOf = new Map<string, OutcomeGroup[]>()
    for (const o of selectOutcomes.all()) {
      const list = outcomesOf.get(o.run_id) ?? []
      list.push(o)
      outcomesOf.set(o.run_id, list)
    }
    return rows.map((row): RunSummary => {
      const config = parseConfig(row)
      const count = counts.get(row.run_id)
      const groups = outcomesOf.get(row.run_id) ?? []
      const numTrials = typeof config.trials === "number" ? config.trials : (count?.max_trial ?? 0) + 1
      const metrics = groups.length === 0 ? null : metricsOf(row.run_id, groups, numTrials)
      const scored = groups.some((o) => o.reward !== null)
      const running = count?.running ?? 0
      const infra = count?.infra ?? 0
      return {
        run_id: row.run_id,
        created_at: row.created_at,
        kind: str(config.kind) ?? "run",
        experiment: row.experiment,
        domain: str(config.domain),
        mode: str(config.mode),
        agent: str(config.agent),
        user: str(config.user),
        // The run or episode it branches: a forks or counterfactual run's parent run, a critical-turn analysis's episode.
        branches_of: str(config.forksOf) ?? str(config.counterfactual_of) ?? str(config.critical_of),
        episodes: count?.n ?? 0,
        running,
        infrastructure_errors: infra,
        status: running > 0 ? (leases.has(`run:${row.run_id}`) || worked.has(row.run_id) ? "running" : "interrupted") : infra > 0 ? "errored" : "done",
        pass_hat_ks: metrics && scored ? metrics.pass_hat_ks : {},
        avg_reward: metrics && scored ? metrics.avg_reward : null,
        cost: costs.get(row.run_id)?.cost ?? 0,
        model_calls: costs.get(row.run_id)?.calls ?? 0,
        unpriced_calls: costs.get(row.run_id)?.unpriced ?? 0,
        cost_text: formatCost({ known: costs.get(row.run_id)?.cost ?? 0, unpriced: costs.get(row.run_id)?.unpriced ?? 0 }),
      }
    })
  }

  // Facts the read models do not hold (agent, user and mode from each episode's start, its tool
  // errors from its end), read by primary key once per episode into a temporary table of this
  // read-only connection, and brought up to date before every query: new rows by rowid, and
  // episodes that were running when last seen.
  db.exec(`CREATE TEMP TABLE facts (episode_id TEXT PRIMARY KEY, agent TEXT, user TEXT, mode TEXT, tool_errors INTEGER)`)
  db.exec("CREATE INDEX temp.facts_agent ON facts (agent)")
  db.exec("CREATE INDEX temp.facts_mode ON facts (mode)")
  db.exec("CREATE INDEX temp.facts_errors ON facts (tool_errors)")
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
    `INSERT OR REPLACE INTO temp.facts (episode_id, agent, user, mode, tool_errors)
     SELECT e.episode_id, json_extract(s.body, '$.agent'), json_extract(s.body, '$.user'), json_extract(s.body, '$.mode'),
       CASE WHEN e.status = 'ended' THEN json_extract(x.body, '$.errors') END
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

  const whereOf = (q: EpisodeQuery): { sql: string; params: Array<string | number> } => {
    const conditions: string[] = []
    const params: Array<string | number> = []
    const add = (sql: string, ...values: Array<string | number>) => {
      conditions.push(sql)
      params.push(...values)
    }
    if (q.run !== undefined) add("e.run_id = ?", q.run)
    if (q.domain !== undefined) add("e.domain = ?", q.domain)
    if (q.task !== undefined) add("instr(e.task_id, ?) > 0", q.task)
    if (q.termination !== undefined) add("e.termination_reason = ?", q.termination)
    if (q.status !== undefined) add("e.status = ?", q.status)
    if (q.rewardMin !== undefined) add("e.reward >= ?", q.rewardMin)
    if (q.rewardMax !== undefined) add("e.reward <= ?", q.rewardMax)
    if (q.toolErrors !== undefined) add(q.toolErrors ? "f.tool_errors > 0" : "f.tool_errors = 0")
    if (q.agent !== undefined) add("f.agent = ?", q.agent)
    if (q.mode !== undefined) add("f.mode = ?", q.mode)
    if (q.scoredBy !== undefined) {
      const at = q.scoredBy.lastIndexOf("@")
      const [evaluator, version] = at < 0 ? [q.scoredBy, null] : [q.scoredBy.slice(0, at), q.scoredBy.slice(at + 1)]
      if (version === null) add("EXISTS (SELECT 1 FROM scores s WHERE s.episode_id = e.episode_id AND s.evaluator = ?)", evaluator)
      else add("EXISTS (SELECT 1 FROM scores s WHERE s.episode_id = e.episode_id AND s.evaluator = ? AND s.evaluator_version = ?)", evaluator, version)
    }
    return { sql: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, params }
  }

  type Joined = EpisodeSqlRow & { agent: string | null; user: string | null; mode: string | null; tool_errors: number | null }
  const FROM = "FROM episodes e JOIN temp.facts f ON f.episode_id = e.episode_id"
  const COLUMNS = "e.*, f.agent, f.user, f.mode, f.tool_errors"

  const toListRow = (row: Joined): EpisodeListRow => ({
    episode_id: row.episode_id,
    run_id: row.run_id,
    domain: row.domain,
    task_id: row.task_id,
    trial: row.trial,
    status: row.status,
    termination_reason: row.termination_reason,
    reward: row.reward,
    events: row.version,
    parent_episode_id: row.parent_episode_id,
    parent_seq: row.parent_seq,
    agent: row.agent,
    user: row.user,
    mode: row.mode,
    tool_errors: row.tool_errors,
  })

  const selectJoinedRow = db.prepare<[number], Joined>(`SELECT ${COLUMNS} ${FROM} WHERE e.rowid = ?`)

  const episodesNow = (q: EpisodeQuery): EpisodePage => {
    refresh()
    const where = whereOf(q)
    // The facts are joined only when a filter needs them; the page's rows are then looked up by rowid.
    const from = q.toolErrors !== undefined || q.agent !== undefined || q.mode !== undefined ? FROM : "FROM episodes e"
    const total = (db.prepare(`SELECT count(*) AS n ${from} ${where.sql}`).get(...where.params) as { n: number }).n
    const direction = q.descending ? "DESC" : "ASC"
    // Unscored episodes sort last either way; the rowid makes the order total (stable pages).
    const nulls = q.sort === "reward" || q.sort === "termination" ? `${SORT_COLUMNS[q.sort]} IS NULL, ` : ""
    const page = db
      .prepare(`SELECT e.rowid AS rid ${from} ${where.sql} ORDER BY ${nulls}${SORT_COLUMNS[q.sort]} ${direction}, e.rowid ${direction} LIMIT ? OFFSET ?`)
      .pluck()
      .all(...where.params, q.limit, q.offset) as number[]
    const rows = page.map((rid) => selectJoinedRow.get(rid)).filter((r): r is Joined => r !== undefined)
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

  const distinct = (sql: string): string[] => (db.prepare(sql).pluck().all() as Array<string | null>).filter((v): v is string => v !== null)

  const facetsNow = (): Facets => {
    refresh()
    const runs = selectRuns.all()
    const stored = new Set(distinct("SELECT DISTINCT termination_reason FROM episodes"))
    return {
      domains: distinct("SELECT DISTINCT domain FROM episodes ORDER BY domain"),
      terminations: [
        ...TERMINATION_REASONS.filter((r) => stored.has(r)),
        ...[...stored].filter((r) => !(TERMINATION_REASONS as ReadonlyArray<string>).includes(r)),
      ],
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
      return (db.prepare(`SELECT ${COLUMNS} ${FROM} WHERE e.parent_episode_id = ? ORDER BY e.rowid`).all(episodeId) as Joined[]).map(toListRow)
    }),
    tree: guard("listing a lineage", (episodeId: string) => {
      refresh()
      // Up the parent links to the root, then down every branch of it (depth first keeps parents first).
      const root = db
        .prepare(
          `WITH RECURSIVE up(id, parent) AS (
             SELECT episode_id, parent_episode_id FROM episodes WHERE episode_id = ?
             UNION SELECT e.episode_id, e.parent_episode_id FROM episodes e JOIN up ON e.episode_id = up.parent)
           SELECT id FROM up WHERE parent IS NULL OR parent NOT IN (SELECT episode_id FROM episodes)`,
        )
        .pluck()
        .get(episodeId) as string | undefined
      if (root === undefined) return []
      const family = db
        .prepare(
          `WITH RECURSIVE down(id) AS (SELECT ? UNION SELECT e.episode_id FROM episodes e JOIN down ON e.parent_episode_id = down.id)
           SELECT ${COLUMNS} ${FROM} JOIN down ON down.id = e.episode_id ORDER BY e.rowid`,
        )
        .all(root) as Joined[]
      // Depth first from the root, siblings in the order they were started.
      const ordered: Joined[] = []
      const visit = (id: string) => {
        for (const row of family) {
          if (row.episode_id === id || row.parent_episode_id !== id) continue
          ordered.push(row)
          visit(row.episode_id)
        }
      }
      const rootRow = family.find((r) => r.episode_id === root)
      if (rootRow === undefined) return []
      ordered.push(rootRow)
      visit(root)
      return ordered.map(toListRow)
    }),
    close: () => {
      if (db.open) db.close()
    },
  }
}
