/**
 * What the two catalogs (SQLite: catalog.ts, PostgreSQL: catalog-pg.ts) share: the `Catalog` the
 * routes read, the episodes query and its SQL conditions (each store's dialect fills in its
 * placeholders and substring test), and the pure parts of their answers: a run's summary from its
 * grouped counts, the order of termination reasons and of a lineage tree.
 */
import { formatCost, TERMINATION_REASONS } from "@tau-sim/engine"
import { computeMetrics, type SimulationOutcome } from "@tau-sim/evaluators"
import { episodeLease, runLease } from "@tau-sim/runs"
import { type Effect, Schema } from "effect"
import type { EpisodeListRow, EpisodePage, Facets, RunStatus, RunSummary } from "../wire.ts"

export class CatalogError extends Schema.TaggedError<CatalogError>()("CatalogError", {
  message: Schema.String,
}) {}

export type { RunStatus, RunSummary, EpisodeListRow, EpisodePage, Facets }

/** The lists the routes answer from, over either store. */
export interface Catalog {
  readonly runs: () => Effect.Effect<ReadonlyArray<RunSummary>, CatalogError>
  readonly episodes: (query: EpisodeQuery) => Effect.Effect<EpisodePage, CatalogError>
  readonly facets: () => Effect.Effect<Facets, CatalogError>
  /** Episodes whose parent is `episodeId` (forks, counterfactual branches, retries). */
  readonly children: (episodeId: string) => Effect.Effect<ReadonlyArray<EpisodeListRow>, CatalogError>
  /** The whole family of `episodeId`: its root ancestor and every descendant of it, parents before children. */
  readonly tree: (episodeId: string) => Effect.Effect<ReadonlyArray<EpisodeListRow>, CatalogError>
}

export const EPISODE_SORTS = ["started", "episode", "run", "task", "trial", "reward", "termination", "events"] as const
export type EpisodeSort = (typeof EPISODE_SORTS)[number]

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

/** The column each sort orders by; `order` is the store's write-order column (`rowid`, `id`). */
export const sortColumn = (sort: EpisodeSort, order: string): string =>
  ({
    started: `e.${order}`,
    episode: "e.episode_id",
    run: "e.run_id",
    task: "e.task_id",
    trial: "e.trial",
    reward: "e.reward",
    termination: "e.termination_reason",
    events: "e.version",
  })[sort]

/** What differs between the stores' SQL in a filter: the n-th (1-based) placeholder, and "column holds text". */
export interface Dialect {
  readonly param: (n: number) => string
  readonly contains: (column: string, param: string) => string
}

/** Whether the query filters on facts that come from events (the facts table must be joined). */
export const needsFacts = (q: EpisodeQuery): boolean => q.toolErrors !== undefined || q.agent !== undefined || q.mode !== undefined

/** The WHERE clause of a query over `episodes e` (and `facts f` when `needsFacts`), with its parameters in order. */
export const whereOf = (q: EpisodeQuery, dialect: Dialect): { sql: string; params: Array<string | number> } => {
  const conditions: string[] = []
  const params: Array<string | number> = []
  const p = (value: string | number) => {
    params.push(value)
    return dialect.param(params.length)
  }
  if (q.run !== undefined) conditions.push(`e.run_id = ${p(q.run)}`)
  if (q.domain !== undefined) conditions.push(`e.domain = ${p(q.domain)}`)
  if (q.task !== undefined) conditions.push(dialect.contains("e.task_id", p(q.task)))
  if (q.termination !== undefined) conditions.push(`e.termination_reason = ${p(q.termination)}`)
  if (q.status !== undefined) conditions.push(`e.status = ${p(q.status)}`)
  if (q.rewardMin !== undefined) conditions.push(`e.reward >= ${p(q.rewardMin)}`)
  if (q.rewardMax !== undefined) conditions.push(`e.reward <= ${p(q.rewardMax)}`)
  if (q.toolErrors !== undefined) conditions.push(q.toolErrors ? "f.tool_errors > 0" : "f.tool_errors = 0")
  if (q.agent !== undefined) conditions.push(`f.agent = ${p(q.agent)}`)
  if (q.mode !== undefined) conditions.push(`f.mode = ${p(q.mode)}`)
  if (q.scoredBy !== undefined) {
    const at = q.scoredBy.lastIndexOf("@")
    const [evaluator, version] = at < 0 ? [q.scoredBy, null] : [q.scoredBy.slice(0, at), q.scoredBy.slice(at + 1)]
    conditions.push(
      version === null
        ? `EXISTS (SELECT 1 FROM scores s WHERE s.episode_id = e.episode_id AND s.evaluator = ${p(evaluator)})`
        : `EXISTS (SELECT 1 FROM scores s WHERE s.episode_id = e.episode_id AND s.evaluator = ${p(evaluator)} AND s.evaluator_version = ${p(version)})`,
    )
  }
  return { sql: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, params }
}

/** `ORDER BY` of a page: unscored episodes last either way; the write order makes it total (stable pages). */
export const orderOf = (q: EpisodeQuery, order: string): string => {
  const direction = q.descending ? "DESC" : "ASC"
  const column = sortColumn(q.sort, order)
  const nulls = q.sort === "reward" || q.sort === "termination" ? `${column} IS NULL, ` : ""
  return `ORDER BY ${nulls}${column} ${direction}, e.${order} ${direction}`
}

/** An episodes row joined with its facts, as both stores' SQL selects it. */
export interface JoinedRow {
  readonly episode_id: string
  readonly run_id: string
  readonly domain: string
  readonly task_id: string
  readonly trial: number
  readonly status: "running" | "ended"
  readonly termination_reason: string | null
  readonly reward: number | null
  readonly version: number
  readonly parent_episode_id: string | null
  readonly parent_seq: number | null
  readonly agent: string | null
  readonly user: string | null
  readonly mode: string | null
  readonly tool_errors: number | null
}

export const toListRow = (row: JoinedRow): EpisodeListRow => ({
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

/** A family (rows in start order) from its root, depth first: parents before children, siblings in the order they started. */
export const depthFirst = (family: ReadonlyArray<JoinedRow>, root: string): ReadonlyArray<EpisodeListRow> => {
  const rootRow = family.find((r) => r.episode_id === root)
  if (rootRow === undefined) return []
  const ordered: JoinedRow[] = [rootRow]
  const visit = (id: string) => {
    for (const row of family) {
      if (row.episode_id === id || row.parent_episode_id !== id) continue
      ordered.push(row)
      visit(row.episode_id)
    }
  }
  visit(root)
  return ordered.map(toListRow)
}

/** The termination reasons stored, the engine's in its order first, then any other. */
export const orderTerminations = (stored: ReadonlySet<string>): string[] => [
  ...TERMINATION_REASONS.filter((r) => stored.has(r)),
  ...[...stored].filter((r) => !(TERMINATION_REASONS as ReadonlyArray<string>).includes(r)),
]

export interface RunRow {
  readonly run_id: string
  readonly created_at: string
  readonly config: string
  readonly experiment: string | null
}
export interface OutcomeGroup {
  readonly run_id: string
  readonly task_id: string
  readonly termination_reason: string | null
  readonly reward: number | null
  readonly n: number
}
export interface RunCounts {
  readonly run_id: string
  readonly n: number
  readonly running: number
  readonly infra: number
  readonly max_trial: number
}
export interface RunCost {
  readonly cost: number
  readonly calls: number
  readonly unpriced: number
}

/** What a store says of its runs, grouped by SQL: a few rows per run and task (rewards are mostly 0 or 1). */
export interface RunFacts {
  readonly runs: ReadonlyArray<RunRow>
  readonly outcomes: ReadonlyArray<OutcomeGroup>
  readonly counts: ReadonlyArray<RunCounts>
  readonly costs: ReadonlyMap<string, RunCost>
  /** Names of the leases held. */
  readonly leases: ReadonlySet<string>
  readonly runningEpisodes: ReadonlyArray<{ readonly run_id: string; readonly episode_id: string }>
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

/**
 * The runs list from a store's grouped facts. pass^k comes from the evaluators' `computeMetrics`,
 * recomputed for a run only when its outcomes changed (a live run's, not the other runs'): hence
 * a summarizer with its cache, one per catalog.
 */
export const runSummarizer = () => {
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
  return (facts: RunFacts): ReadonlyArray<RunSummary> => {
    // A run is worked on while a process holds its lease (runs' own names) or one of its running episodes'.
    const worked = new Set<string>()
    for (const e of facts.runningEpisodes) if (facts.leases.has(episodeLease(e.episode_id).name)) worked.add(e.run_id)
    const counts = new Map(facts.counts.map((c) => [c.run_id, c]))
    const outcomesOf = new Map<string, OutcomeGroup[]>()
    for (const o of facts.outcomes) {
      const list = outcomesOf.get(o.run_id) ?? []
      list.push(o)
      outcomesOf.set(o.run_id, list)
    }
    return facts.runs.map((row): RunSummary => {
      const config = parseConfig(row)
      const count = counts.get(row.run_id)
      const groups = outcomesOf.get(row.run_id) ?? []
      const numTrials = typeof config.trials === "number" ? config.trials : (count?.max_trial ?? 0) + 1
      const metrics = groups.length === 0 ? null : metricsOf(row.run_id, groups, numTrials)
      const scored = groups.some((o) => o.reward !== null)
      const running = count?.running ?? 0
      const infra = count?.infra ?? 0
      const cost = facts.costs.get(row.run_id)
      const status: RunStatus =
        running > 0 ? (facts.leases.has(runLease(row.run_id).name) || worked.has(row.run_id) ? "running" : "interrupted") : infra > 0 ? "errored" : "done"
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
        status,
        pass_hat_ks: metrics && scored ? metrics.pass_hat_ks : {},
        avg_reward: metrics && scored ? metrics.avg_reward : null,
        cost: cost?.cost ?? 0,
        model_calls: cost?.calls ?? 0,
        unpriced_calls: cost?.unpriced ?? 0,
        cost_text: formatCost({ known: cost?.cost ?? 0, unpriced: cost?.unpriced ?? 0 }),
      }
    })
  }
}
