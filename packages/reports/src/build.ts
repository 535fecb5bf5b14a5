/**
 * The report model: per-run (cell) metrics with the reference's estimators, mode-vs-mode deltas
 * with paired bootstrap intervals over tasks, and counterfactual comparisons of branches with their
 * parents. Renderers (text, Markdown, HTML, JSON) only format this model.
 */
import type { Mode } from "@tau-sim/engine"
import { computeMetrics, INFRASTRUCTURE_ERROR, isSuccessful, type SimulationOutcome } from "@tau-sim/evaluators"
import { attemptBase, type CriticalResult, type ForkPoint, retriedAttempts, RunPricing } from "@tau-sim/runs"
import { Schema } from "effect"
import { addUsage, PARTICIPANT_KINDS, type ParticipantKind, type ReportEpisode, type ReportRun, type UsageTotals, zeroUsage } from "./collect.ts"
import { average, type BootstrapOptions, bootstrapMean, DEFAULT_BOOTSTRAP, type Interval } from "./stats.ts"
import { type SupportDeskCell, supportDeskCell } from "./support-desk.ts"

export interface TaskRow {
  readonly task_id: string
  readonly simulations: number
  readonly successes: number
  readonly avg_reward: number | null
  /** pass^k for k = 1..max_k of the cell. */
  readonly pass_hat_k: Readonly<Record<number, number>>
}

export interface CheckTally {
  readonly passed: number
  readonly total: number
}

export interface CellReport {
  readonly run_id: string
  readonly label: string
  readonly domain: string
  readonly policy_variant: string
  readonly mode: Mode
  readonly agent: string
  readonly user: string
  /** Configured trials (the reference's `num_trials`). */
  readonly num_trials: number
  readonly episodes: { readonly total: number; readonly finished: number; readonly unfinished: number; readonly unscored: number }
  /** Mean reward over finished simulations (infrastructure errors left out); null when there are none. */
  readonly avg_reward: number | null
  readonly pass_hat_k: Readonly<Record<number, number>>
  readonly max_k: number
  readonly infra_errors: number
  /** Mean of each `reward_breakdown` component over the episodes whose score has it. */
  readonly reward_components: Readonly<Record<string, { readonly mean: number; readonly episodes: number }>>
  /** Individual checks of the stored breakdowns: DB match, env assertions, actions, communicate, NL assertions. */
  readonly checks: Readonly<Record<string, CheckTally>>
  readonly termination_reasons: Readonly<Record<string, number>>
  readonly usage: Readonly<Record<ParticipantKind, UsageTotals>>
  /** The same calls by model (`<provider>:<model>`); absent when the run made none. */
  readonly usage_by_model?: Readonly<Record<string, UsageTotals>>
  /** The prices the run recorded its model calls were costed with (absent: it recorded none). */
  readonly pricing?: RunPricing
  readonly tasks: ReadonlyArray<TaskRow>
  /** Behaviour from the support-desk verdicts; absent when no episode of the cell has one. */
  readonly support_desk?: SupportDeskCell
}

export interface DeltaMetric {
  readonly baseline: number
  readonly value: number
  /** value − baseline, averaged over the common tasks, with its bootstrap interval. */
  readonly delta: Interval
}

export interface ModeDelta {
  readonly domain: string
  readonly agent: string
  readonly baseline_user: string
  readonly user: string
  readonly baseline_mode: Mode
  readonly mode: Mode
  readonly baseline_run: string
  readonly run: string
  /** Tasks both runs have finished simulations of (the bootstrap resamples these). */
  readonly tasks: number
  /** Mean per-task reward. */
  readonly avg_reward: DeltaMetric
  /** Mean per-task success rate (= pass^1). */
  readonly pass_hat_1: DeltaMetric
}

export interface BranchRow {
  readonly task_id: string
  readonly trial: number
  readonly parent_episode_id: string
  readonly episode_id: string
  readonly parent_reward: number | null
  readonly reward: number | null
  readonly parent_termination_reason: string | null
  readonly termination_reason: string | null
}

export interface CounterfactualReport {
  readonly run_id: string
  readonly parent_run_id: string
  readonly at: ForkPoint | null
  readonly agent: string | null
  readonly user: string | null
  readonly mode: Mode | null
  readonly pairs: number
  /** Finished parent episodes without a finished branch (no write action, too short, not run yet). */
  readonly not_branched: ReadonlyArray<{ readonly episode_id: string; readonly task_id: string; readonly trial: number }>
  readonly parent_avg_reward: number | null
  readonly branch_avg_reward: number | null
  /** Per-task mean of (branch − parent) reward, with its bootstrap interval over tasks. */
  readonly delta: Interval
  readonly transitions: { readonly improved: number; readonly regressed: number; readonly still_success: number; readonly still_failure: number }
  readonly termination_changes: Readonly<Record<string, number>>
  readonly rows: ReadonlyArray<BranchRow>
}

/** A critical-turn analysis as a report shows it: the estimate per turn and the critical turn (the samples are the run's episodes). */
export type CriticalReport = Omit<CriticalResult, "samples">

export interface Report {
  readonly kind: "run" | "experiment"
  readonly title: string
  readonly baseline_mode: Mode | null
  readonly bootstrap: BootstrapOptions
  readonly cells: ReadonlyArray<CellReport>
  readonly deltas: ReadonlyArray<ModeDelta>
  readonly counterfactual: CounterfactualReport | null
  /** The critical-turn analyses among the runs (absent when there are none). */
  readonly critical?: ReadonlyArray<CriticalReport>
}

const success = (reward: number | null): boolean => reward !== null && isSuccessful(reward)
const str = (v: unknown, fallback: string): string => (typeof v === "string" ? v : fallback)

const finishedOf = (episodes: ReadonlyArray<ReportEpisode>) => episodes.filter((e) => e.status === "ended")
const evaluatedOf = (episodes: ReadonlyArray<ReportEpisode>) => finishedOf(episodes).filter((e) => e.termination_reason !== INFRASTRUCTURE_ERROR)

const outcome = (e: ReportEpisode): SimulationOutcome => ({
  task_id: e.task_id,
  reward: e.reward,
  termination_reason: e.termination_reason ?? "unknown",
  agent_cost: e.usage.agent.calls > 0 ? e.usage.agent.cost : null,
})

const countBy = <T>(xs: ReadonlyArray<T>, key: (x: T) => string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)))
}

type Breakdown = {
  reward_breakdown?: Record<string, unknown> | null
  db_check?: { db_match?: boolean } | null
  env_assertions?: ReadonlyArray<{ met?: boolean }> | null
  action_checks?: ReadonlyArray<{ action_match?: boolean }> | null
  communicate_checks?: ReadonlyArray<{ met?: boolean }> | null
  nl_assertions?: ReadonlyArray<{ met?: boolean }> | null
}

const asBreakdown = (b: unknown): Breakdown | null => (b !== null && typeof b === "object" ? (b as Breakdown) : null)

const rewardComponents = (episodes: ReadonlyArray<ReportEpisode>) => {
  const sums = new Map<string, { sum: number; n: number }>()
  for (const e of episodes) {
    const breakdown = asBreakdown(e.breakdown)?.reward_breakdown
    if (!breakdown) continue
    for (const [k, v] of Object.entries(breakdown)) {
      const value = typeof v === "number" ? v : Number(v)
      if (!Number.isFinite(value)) continue
      const s = sums.get(k) ?? { sum: 0, n: 0 }
      s.sum += value
      s.n++
      sums.set(k, s)
    }
  }
  return Object.fromEntries([...sums.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, s]) => [k, { mean: s.sum / s.n, episodes: s.n }]))
}

const checkTallies = (episodes: ReadonlyArray<ReportEpisode>): Record<string, CheckTally> => {
  const tallies: Record<string, { passed: number; total: number }> = {}
  const add = (name: string, ok: boolean | undefined) => {
    const t = tallies[name] ?? { passed: 0, total: 0 }
    tallies[name] = t
    t.total++
    if (ok === true) t.passed++
  }
  for (const e of episodes) {
    const b = asBreakdown(e.breakdown)
    if (!b) continue
    if (b.db_check) add("db_match", b.db_check.db_match)
    for (const c of b.env_assertions ?? []) add("env_assertions", c.met)
    for (const c of b.action_checks ?? []) add("actions", c.action_match)
    for (const c of b.communicate_checks ?? []) add("communicate", c.met)
    for (const c of b.nl_assertions ?? []) add("nl_assertions", c.met)
  }
  return tallies
}

const byModelTotals = (episodes: ReadonlyArray<ReportEpisode>): Record<string, UsageTotals> => {
  const out: Record<string, UsageTotals> = {}
  for (const e of episodes) for (const [m, u] of Object.entries(e.usage_by_model)) out[m] = addUsage(out[m] ?? zeroUsage(), u)
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((m) => [m, out[m]]),
  )
}

const decodePricing = Schema.decodeUnknownOption(RunPricing)

const usageTotals = (episodes: ReadonlyArray<ReportEpisode>): Record<ParticipantKind, UsageTotals> => {
  const out = { agent: zeroUsage(), user: zeroUsage(), judge: zeroUsage() }
  for (const e of episodes) for (const p of PARTICIPANT_KINDS) out[p] = addUsage(out[p], e.usage[p])
  return out
}

/** Per task: mean reward (null counted as 0) and success rate over evaluated simulations. */
const perTask = (episodes: ReadonlyArray<ReportEpisode>): Map<string, { reward: number; success: number }> => {
  const groups = new Map<string, ReportEpisode[]>()
  for (const e of evaluatedOf(episodes)) groups.set(e.task_id, [...(groups.get(e.task_id) ?? []), e])
  return new Map(
    [...groups.entries()].map(([task, es]) => [
      task,
      { reward: average(es.map((e) => e.reward ?? 0)), success: average(es.map((e) => (success(e.reward) ? 1 : 0))) },
    ]),
  )
}

export const cellLabel = (domain: string, mode: string, agent: string, user: string): string =>
  `${domain} · ${mode} · ${agent}${user === "none" ? "" : ` / ${user}`}`

/** Episodes of one run that ran with one configuration: what a cell reports on. */
interface CellSource {
  readonly run: ReportRun
  /** The configuration the episodes recorded when they started (null: the run has no episodes). */
  readonly actual: { readonly domain: string; readonly policy_variant: string; readonly mode: Mode; readonly agent: string; readonly user: string } | null
}

/**
 * The episodes that are their unit's result: an errored attempt that was retried (`tau run
 * --retry-errors`) is not, its retry is (issue 14). Its model calls still count in the costs.
 */
const unitResults = (episodes: ReadonlyArray<ReportEpisode>): ReadonlyArray<ReportEpisode> => {
  const retried = retriedAttempts(episodes.map((e) => [e.episode_id, e.parent_episode_id]))
  return retried.size === 0 ? episodes : episodes.filter((e) => !retried.has(e.episode_id))
}
/** A retry of an errored attempt is the same unit (`<id>_r<k>`), not a branch. */
const isBranch = (e: ReportEpisode) => e.parent_episode_id !== null && attemptBase(e.parent_episode_id) !== attemptBase(e.episode_id)

/**
 * Splits a run by the configuration each episode actually ran with (its own start event), so
 * that episodes made by different participants, modes or domains (the forks of a run, or a run
 * id reused by an older version with another agent) are never pooled under one label.
 */
const splitByConfig = (r: ReportRun): CellSource[] => {
  if (r.episodes.length === 0) return [{ run: r, actual: null }]
  const groups = new Map<string, ReportEpisode[]>()
  for (const e of r.episodes) {
    const key = JSON.stringify([e.domain, e.policy_variant, e.mode, e.agent, e.user, isBranch(e)])
    groups.set(key, [...(groups.get(key) ?? []), e])
  }
  // In a stable order (by configuration): episode ids of branches are random.
  const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, episodes]) => episodes)
  return ordered.map((episodes, i) => ({
    run: { ...r, episodes, skipped: i === 0 ? r.skipped : [] },
    actual: {
      domain: episodes[0].domain,
      policy_variant: episodes[0].policy_variant,
      mode: episodes[0].mode,
      agent: episodes[0].agent,
      user: episodes[0].user,
    },
  }))
}

const domainLabelOf = (r: ReportRun, domain: string, variant: string): string => {
  const cell = r.run.config.cell as { domain_label?: unknown } | undefined
  const sameAsRun = str(r.run.config.domain, domain) === domain && str(r.run.config.policyVariant, variant) === variant
  if (typeof cell?.domain_label === "string" && sameAsRun) return cell.domain_label
  return variant === "default" ? domain : `${domain}:${variant}`
}

const buildCell = ({ run: r, actual }: CellSource, bootstrap: BootstrapOptions): CellReport => {
  const config = r.run.config
  const mode = actual?.mode ?? (str(config.mode, "default") as Mode)
  const agent = actual?.agent ?? str(config.agent, "?")
  const user = actual?.user ?? str(config.user, "?")
  const policyVariant = actual?.policy_variant ?? str(config.policyVariant, "default")
  const domain = domainLabelOf(r, actual?.domain ?? str(config.domain, "?"), policyVariant)
  const results = unitResults(r.episodes)
  const finished = finishedOf(results)
  const evaluated = evaluatedOf(results)
  const perTaskCounts = countBy(evaluated, (e) => e.task_id)
  const observedTrials = Math.max(0, ...Object.values(perTaskCounts))
  const numTrials = typeof config.trials === "number" ? config.trials : observedTrials
  const metrics = computeMetrics(finished.map(outcome), { numTrials })
  // A critical-turn analysis's samples are forks at different turns that keep their parent's trial: not trials of a task, so no pass^k.
  const trialsOfTasks = config.kind !== "critical"
  const rewardsByTask = new Map<string, number[]>()
  for (const e of evaluated) rewardsByTask.set(e.task_id, [...(rewardsByTask.get(e.task_id) ?? []), e.reward ?? 0])
  const desk = supportDeskCell(evaluated, bootstrap)
  const byModel = byModelTotals(r.episodes)
  const pricing = decodePricing(config.pricing)
  return {
    run_id: r.run.runId,
    label: cellLabel(domain, mode, agent, user),
    domain,
    policy_variant: policyVariant,
    mode,
    agent,
    user,
    num_trials: numTrials,
    episodes: {
      total: results.length,
      finished: finished.length,
      unfinished: results.length - finished.length,
      unscored: finished.filter((e) => e.reward === null).length,
    },
    avg_reward: metrics.total_simulations > 0 ? metrics.avg_reward : null,
    pass_hat_k: trialsOfTasks ? metrics.pass_hat_ks : {},
    max_k: trialsOfTasks ? metrics.max_k : 0,
    infra_errors: metrics.infra_error_count,
    reward_components: rewardComponents(evaluated),
    checks: checkTallies(evaluated),
    termination_reasons: countBy(finished, (e) => e.termination_reason ?? "unknown"),
    usage: usageTotals(r.episodes),
    // Only runs that call models get these keys: offline reports stay as they were.
    ...(Object.keys(byModel).length > 0 ? { usage_by_model: byModel } : {}),
    ...(pricing._tag === "Some" ? { pricing: pricing.value } : {}),
    tasks: metrics.tasks.map((t) => ({
      task_id: t.task_id,
      simulations: t.num_simulations,
      successes: t.num_successes,
      avg_reward: average(rewardsByTask.get(t.task_id) ?? []),
      pass_hat_k: trialsOfTasks ? t.pass_hat_ks : {},
    })),
    ...(desk === null ? {} : { support_desk: desk }),
  }
}

type TaskOutcome = { reward: number; success: number }

/** The tasks both cells ran, in task order, with each cell's outcome. */
const commonTasks = (base: Map<string, TaskOutcome>, other: Map<string, TaskOutcome>) =>
  [...base]
    .flatMap(([task, b]) => {
      const o = other.get(task)
      return o === undefined ? [] : [{ task, base: b, other: o }]
    })
    .sort((x, y) => (x.task < y.task ? -1 : x.task > y.task ? 1 : 0))

const deltaMetric = (pairs: ReturnType<typeof commonTasks>, pick: (v: TaskOutcome) => number, bootstrap: BootstrapOptions): DeltaMetric => ({
  baseline: average(pairs.map((p) => pick(p.base))),
  value: average(pairs.map((p) => pick(p.other))),
  delta: bootstrapMean(
    pairs.map((p) => pick(p.other) - pick(p.base)),
    bootstrap,
  ),
})

/**
 * Each non-baseline cell against the baseline-mode cell of the same domain and agent (and user;
 * a solo cell has no user and is compared with every baseline user). Paired over common tasks.
 */
const modeDeltas = (sources: ReadonlyArray<CellSource>, cells: ReadonlyArray<CellReport>, baselineMode: Mode, bootstrap: BootstrapOptions): ModeDelta[] => {
  const out: ModeDelta[] = []
  const withTasks = cells.map((cell, i) => ({ cell, tasks: perTask(sources[i].run.episodes) }))
  for (const { cell, tasks: b } of withTasks) {
    if (cell.mode === baselineMode) continue
    const baselines = withTasks.filter(
      ({ cell: base }) =>
        base.mode === baselineMode &&
        base.domain === cell.domain &&
        base.agent === cell.agent &&
        (base.user === cell.user || base.user === "none" || cell.user === "none"),
    )
    for (const { cell: base, tasks: a } of baselines) {
      const common = commonTasks(a, b)
      if (common.length === 0) continue
      out.push({
        domain: cell.domain,
        agent: cell.agent,
        baseline_user: base.user,
        user: cell.user,
        baseline_mode: baselineMode,
        mode: cell.mode,
        baseline_run: base.run_id,
        run: cell.run_id,
        tasks: common.length,
        avg_reward: deltaMetric(common, (v) => v.reward, bootstrap),
        pass_hat_1: deltaMetric(common, (v) => v.success, bootstrap),
      })
    }
  }
  return out
}

/** Branches of a counterfactual run against their parents. */
export const counterfactualReport = (branches: ReportRun, parents: ReportRun, bootstrap: BootstrapOptions): CounterfactualReport => {
  const config = branches.run.config
  const parentById = new Map(parents.episodes.map((e) => [e.episode_id, e]))
  const rows: BranchRow[] = []
  for (const child of finishedOf(branches.episodes)) {
    const parent = child.parent_episode_id ? parentById.get(child.parent_episode_id) : undefined
    if (!parent) continue
    rows.push({
      task_id: child.task_id,
      trial: child.trial,
      parent_episode_id: parent.episode_id,
      episode_id: child.episode_id,
      parent_reward: parent.reward,
      reward: child.reward,
      parent_termination_reason: parent.termination_reason,
      termination_reason: child.termination_reason,
    })
  }
  rows.sort((a, b) => (a.task_id < b.task_id ? -1 : a.task_id > b.task_id ? 1 : a.trial - b.trial))
  const branched = new Set(rows.map((r) => r.parent_episode_id))
  const byTask = new Map<string, number[]>()
  for (const r of rows) byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), (r.reward ?? 0) - (r.parent_reward ?? 0)])
  const transitions = { improved: 0, regressed: 0, still_success: 0, still_failure: 0 }
  for (const r of rows) {
    const before = success(r.parent_reward)
    const after = success(r.reward)
    if (!before && after) transitions.improved++
    else if (before && !after) transitions.regressed++
    else if (before) transitions.still_success++
    else transitions.still_failure++
  }
  return {
    run_id: branches.run.runId,
    parent_run_id: parents.run.runId,
    at: (config.at as ForkPoint | undefined) ?? null,
    agent: (config.agent as string | null | undefined) ?? null,
    user: (config.user as string | null | undefined) ?? null,
    mode: (config.mode as Mode | null | undefined) ?? null,
    pairs: rows.length,
    not_branched: finishedOf(parents.episodes)
      .filter((e) => !branched.has(e.episode_id))
      .map((e) => ({ episode_id: e.episode_id, task_id: e.task_id, trial: e.trial })),
    parent_avg_reward: rows.length ? average(rows.map((r) => r.parent_reward ?? 0)) : null,
    branch_avg_reward: rows.length ? average(rows.map((r) => r.reward ?? 0)) : null,
    delta: bootstrapMean(
      [...byTask].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, deltas]) => average(deltas)),
      bootstrap,
    ),
    transitions,
    termination_changes: countBy(rows, (r) => `${r.parent_termination_reason ?? "-"} -> ${r.termination_reason ?? "-"}`),
    rows,
  }
}

export interface BuildOptions {
  readonly kind: "run" | "experiment"
  readonly title: string
  readonly bootstrap?: BootstrapOptions
  /** Overrides the baseline mode stored with the experiment (undefined: no override). */
  readonly baselineMode?: Mode | undefined
  /** For a counterfactual run: the run its branches came from. */
  readonly parents?: ReportRun
  /** The critical-turn analyses among `runs`. */
  readonly critical?: ReadonlyArray<CriticalReport>
}

export const buildReport = (runs: ReadonlyArray<ReportRun>, options: BuildOptions): Report => {
  const bootstrap = options.bootstrap ?? DEFAULT_BOOTSTRAP
  const sources = runs.flatMap(splitByConfig)
  const cells = sources.map((s) => buildCell(s, bootstrap))
  const stored = runs.map((r) => (r.run.config.cell as { baseline_mode?: unknown } | undefined)?.baseline_mode).find((m): m is Mode => typeof m === "string")
  const modes = [...new Set(cells.map((c) => c.mode))]
  const baselineMode = options.baselineMode ?? stored ?? (modes.includes("default") ? "default" : (modes[0] ?? null))
  return {
    kind: options.kind,
    title: options.title,
    baseline_mode: modes.length > 1 ? baselineMode : null,
    bootstrap,
    cells,
    deltas: modes.length > 1 && baselineMode ? modeDeltas(sources, cells, baselineMode, bootstrap) : [],
    counterfactual: options.parents && runs.length === 1 ? counterfactualReport(runs[0], options.parents, bootstrap) : null,
    ...(options.critical && options.critical.length > 0 ? { critical: options.critical } : {}),
  }
}
