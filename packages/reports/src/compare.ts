/**
 * Comparing any runs (`tau report --run A --run B …`): each run's pass^k, average reward and cost,
 * and each run against the first (the baseline) over the tasks both ran, as paired differences
 * with percentile-bootstrap intervals (tasks resampled with the seeded generator, so the same
 * store and options give the same numbers).
 *
 * Counted as τ² counts: a run's finished episodes, except those ended by `infrastructure_error`
 * (they never ran: not in the average, not failures in pass^k) and attempts that were retried
 * (their retry is the result). Per task: its mean reward (unscored as 0), its pass^k estimate
 * C(c,k)/C(n,k), and its mean cost per episode; a delta is the mean over shared tasks of the
 * per-task difference, the bootstrap resampling those tasks (the same draw for every metric).
 */
import type { Mode } from "@tau-sim/engine"
import { computeMetrics, INFRASTRUCTURE_ERROR, isSuccessful, passHatKEstimate } from "@tau-sim/evaluators"
import { requireRun } from "@tau-sim/replay"
import { retriedAttempts } from "@tau-sim/runs"
import { Effect, Result } from "effect"
import { buildReport, type DeltaMetric } from "./build.ts"
import { addUsage, collectRun, PARTICIPANT_KINDS, type ReportEpisode, type ReportRun, type UsageTotals, zeroUsage } from "./collect.ts"
import type { LoadedReport } from "./load.ts"
import { fmt, fmtCost, fmtInterval, type Section } from "./sections.ts"
import { average, type BootstrapOptions, bootstrapMean, DEFAULT_BOOTSTRAP } from "./stats.ts"

export interface ComparedRun {
  readonly run_id: string
  readonly domain: string | null
  readonly mode: Mode | null
  readonly agent: string | null
  readonly user: string | null
  readonly tasks: number
  /** Evaluated episodes: finished, not errored, not superseded by a retry. */
  readonly episodes: number
  /** Finished episodes ended by `infrastructure_error` (left out of every number). */
  readonly errored: number
  readonly avg_reward: number | null
  readonly pass_hat_k: Readonly<Record<number, number>>
  /** Every model call of the run's episodes (errored ones included): what the run cost. */
  readonly cost: UsageTotals
  /** Mean known cost per evaluated episode (null: some call had no price, or no episodes). */
  readonly cost_per_episode: number | null
}

export interface RunDelta {
  readonly baseline_run_id: string
  readonly run_id: string
  /** Tasks both runs have evaluated episodes of: the bootstrap resamples these. */
  readonly shared_tasks: number
  readonly avg_reward: DeltaMetric
  /** For k = 1..the fewest evaluated episodes of any shared task in either run. */
  readonly pass_hat_k: Readonly<Record<number, DeltaMetric>>
  /** Per-task mean cost per episode; null when a call of a shared task had no price. */
  readonly cost_per_episode: DeltaMetric | null
}

export interface RunComparison {
  readonly baseline_run_id: string
  readonly bootstrap: BootstrapOptions
  readonly runs: ReadonlyArray<ComparedRun>
  readonly deltas: ReadonlyArray<RunDelta>
}

/** A report over several runs with their comparison (`tau report --run A --run B …`). */
export type ComparedReport = LoadedReport & { readonly comparison: RunComparison }

const totalUsage = (e: ReportEpisode): UsageTotals => PARTICIPANT_KINDS.reduce((t, p) => addUsage(t, e.usage[p]), zeroUsage())

/** The episodes a run's numbers count, and its errored ones. */
const countedOf = (run: ReportRun) => {
  const retried = retriedAttempts(run.episodes.map((e) => [e.episode_id, e.parent_episode_id]))
  const finished = run.episodes.filter((e) => e.status === "ended" && !retried.has(e.episode_id))
  const evaluated = finished.filter((e) => e.termination_reason !== INFRASTRUCTURE_ERROR)
  return { evaluated, errored: finished.length - evaluated.length }
}

interface TaskStats {
  readonly n: number
  readonly successes: number
  readonly reward: number
  /** Mean cost per episode; null when a call had no price. */
  readonly cost: number | null
}

const byTask = (episodes: ReadonlyArray<ReportEpisode>): Map<string, TaskStats> => {
  const groups = new Map<string, ReportEpisode[]>()
  for (const e of episodes) groups.set(e.task_id, [...(groups.get(e.task_id) ?? []), e])
  return new Map(
    [...groups].map(([task, es]) => {
      const costs = es.map((e) => totalUsage(e).cost)
      return [
        task,
        {
          n: es.length,
          successes: es.filter((e) => e.reward !== null && isSuccessful(e.reward)).length,
          reward: average(es.map((e) => e.reward ?? 0)),
          cost: costs.some((c) => c === null) ? null : average(costs as number[]),
        },
      ]
    }),
  )
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null)

const comparedRun = (run: ReportRun): ComparedRun => {
  const { evaluated, errored } = countedOf(run)
  const config = run.run.config
  const numTrials = typeof config.trials === "number" ? config.trials : Math.max(0, ...[...byTask(evaluated).values()].map((t) => t.n))
  const metrics = computeMetrics(
    evaluated.map((e) => ({ task_id: e.task_id, reward: e.reward, termination_reason: e.termination_reason ?? "unknown" })),
    { numTrials },
  )
  const costs = evaluated.map((e) => totalUsage(e).cost)
  const first = run.episodes[0]
  return {
    run_id: run.run.runId,
    domain: first?.domain ?? str(config.domain),
    mode: first?.mode ?? (str(config.mode) as Mode | null),
    agent: first?.agent ?? str(config.agent),
    user: first?.user ?? str(config.user),
    tasks: metrics.total_tasks,
    episodes: evaluated.length,
    errored,
    avg_reward: metrics.total_simulations > 0 ? metrics.avg_reward : null,
    pass_hat_k: metrics.pass_hat_ks,
    cost: run.episodes.reduce((t, e) => addUsage(t, totalUsage(e)), zeroUsage()),
    cost_per_episode: costs.length === 0 || costs.some((c) => c === null) ? null : average(costs as number[]),
  }
}

type Pair = { readonly base: TaskStats; readonly other: TaskStats }

const deltaOf = (pairs: ReadonlyArray<Pair>, pick: (t: TaskStats) => number, bootstrap: BootstrapOptions): DeltaMetric => ({
  baseline: average(pairs.map((p) => pick(p.base))),
  value: average(pairs.map((p) => pick(p.other))),
  delta: bootstrapMean(
    pairs.map((p) => pick(p.other) - pick(p.base)),
    bootstrap,
  ),
})

const passHatK = (t: TaskStats, k: number): number => Result.getOrThrow(passHatKEstimate(t.n, t.successes, k))

const runDelta = (base: ReportRun, other: ReportRun, bootstrap: BootstrapOptions): RunDelta => {
  const a = byTask(countedOf(base).evaluated)
  const b = byTask(countedOf(other).evaluated)
  // Task order, so that the resampled indices mean the same tasks whatever order the runs stored them in.
  const pairs: Pair[] = [...a.keys()]
    .filter((t) => b.has(t))
    .sort()
    .map((t) => ({ base: a.get(t) as TaskStats, other: b.get(t) as TaskStats }))
  const maxK = pairs.length === 0 ? 0 : Math.min(...pairs.map((p) => Math.min(p.base.n, p.other.n)))
  const passK: Record<number, DeltaMetric> = {}
  for (let k = 1; k <= maxK; k++) passK[k] = deltaOf(pairs, (t) => passHatK(t, k), bootstrap)
  const priced = pairs.every((p) => p.base.cost !== null && p.other.cost !== null)
  return {
    baseline_run_id: base.run.runId,
    run_id: other.run.runId,
    shared_tasks: pairs.length,
    avg_reward: deltaOf(pairs, (t) => t.reward, bootstrap),
    pass_hat_k: passK,
    cost_per_episode: priced && pairs.length > 0 ? deltaOf(pairs, (t) => t.cost as number, bootstrap) : null,
  }
}

/** The comparison of `runs` (the first is the baseline). */
export const compareRuns = (runs: ReadonlyArray<ReportRun>, bootstrap: BootstrapOptions = DEFAULT_BOOTSTRAP): RunComparison => ({
  baseline_run_id: runs[0]?.run.runId ?? "",
  bootstrap,
  runs: runs.map(comparedRun),
  deltas: runs.slice(1).map((r) => runDelta(runs[0], r, bootstrap)),
})

/** The report of several runs (every table of a report, a cell per run) with their comparison. */
export const loadComparison = (runIds: ReadonlyArray<string>, options: { readonly bootstrap?: BootstrapOptions } = {}) =>
  Effect.gen(function* () {
    for (const id of runIds) yield* requireRun(id)
    const runs = yield* Effect.forEach(runIds, (id) => collectRun(id))
    const bootstrap = options.bootstrap ?? DEFAULT_BOOTSTRAP
    const report = buildReport(runs, { kind: "run", title: runIds.join(" vs "), bootstrap })
    return { ...report, skipped: runs.flatMap((r) => r.skipped), comparison: compareRuns(runs, bootstrap) } satisfies ComparedReport
  })

/** The comparison's tables (text, Markdown and HTML reports); none for a report without one. */
export const comparisonSections = (report: object): Section[] => {
  const comparison = (report as Partial<ComparedReport>).comparison
  if (comparison === undefined) return []
  const ks = Array.from({ length: Math.max(0, ...comparison.runs.map((r) => Object.keys(r.pass_hat_k).length)) }, (_, i) => i + 1)
  const conf = Math.round(comparison.bootstrap.confidence * 100)
  const runs: Section = {
    id: "comparison",
    title: "Runs compared",
    note: "Over each run's evaluated episodes (infrastructure errors and retried attempts left out, as τ² counts); cost: every model call of the run.",
    headers: ["run", "domain", "mode", "agent", "user", "tasks", "episodes", "errored", "avg reward", ...ks.map((k) => `pass^${k}`), "cost", "cost/episode"],
    rows: comparison.runs.map((r) => [
      r.run_id,
      r.domain ?? "-",
      r.mode ?? "-",
      r.agent ?? "-",
      r.user ?? "-",
      String(r.tasks),
      String(r.episodes),
      String(r.errored),
      fmt(r.avg_reward),
      ...ks.map((k) => fmt(r.pass_hat_k[k])),
      fmtCost(r.cost),
      r.cost_per_episode === null ? "-" : fmtCost(r.cost_per_episode),
    ]),
  }
  const dks = Array.from({ length: Math.max(0, ...comparison.deltas.map((d) => Object.keys(d.pass_hat_k).length)) }, (_, i) => i + 1)
  const deltas: Section = {
    id: "comparison-deltas",
    title: `Differences from ${comparison.baseline_run_id}`,
    note: `Run − baseline over the tasks both ran: the mean per-task difference [${conf}% paired bootstrap CI, ${comparison.bootstrap.resamples} resamples of the tasks, seed ${comparison.bootstrap.seed}].`,
    headers: ["run", "shared tasks", "Δ avg reward", ...dks.map((k) => `Δ pass^${k}`), "Δ cost/episode"],
    rows: comparison.deltas.map((d) => [
      d.run_id,
      String(d.shared_tasks),
      d.shared_tasks === 0 ? "-" : fmtInterval(d.avg_reward.delta),
      ...dks.map((k) => (d.pass_hat_k[k] === undefined ? "-" : fmtInterval(d.pass_hat_k[k].delta))),
      d.cost_per_episode === null ? "-" : fmtInterval(d.cost_per_episode.delta),
    ]),
  }
  return comparison.deltas.length === 0 ? [runs] : [runs, deltas]
}
