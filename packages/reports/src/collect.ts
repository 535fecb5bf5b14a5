/**
 * Reading what a report needs from the store: runs (one, or all of an experiment), their episodes
 * with the configuration each ran under (from its own start event), the latest score with its
 * breakdown, the latest support-desk verdict beside it (if the episode was scored with that set),
 * and model usage by participant (from `ModelCalled` events, and the judge calls stored with the
 * scores; zero for offline runs).
 */
import {
  addCost,
  callCost,
  type CostTotal,
  EventStore,
  type EpisodeEvent,
  type EpisodeStarted,
  isRewardEvaluator,
  type ModelCalled,
  type Mode,
  type RunRecord,
  type ScoreRecord,
  sumCosts,
  ZERO_COST,
} from "@tau-sim/engine"
import { Effect, Schema } from "effect"
import { latestSupportDesk, type StoredSupportDesk, TAU2_EVALUATOR } from "@tau-sim/evaluators"
import { scanEpisodes, type SkippedEpisode } from "@tau-sim/replay"

export const PARTICIPANT_KINDS = ["agent", "user", "judge"] as const
export type ParticipantKind = (typeof PARTICIPANT_KINDS)[number]

export interface UsageTotals {
  readonly calls: number
  readonly prompt_tokens: number
  readonly completion_tokens: number
  /** USD; null when some calls' cost is unknown (their model had no price): never shown as complete. */
  readonly cost: number | null
  /** With a null `cost`: the USD of the calls whose cost is known (a lower bound of the total). */
  readonly known_cost?: number
  /** With a null `cost`: how many calls had an unknown cost. */
  readonly unpriced_calls?: number
}

export const zeroUsage = (): UsageTotals => ({ calls: 0, prompt_tokens: 0, completion_tokens: 0, cost: 0 })

/** The cost part of `u`: what is known and how many calls are not. */
export const usageCost = (u: UsageTotals): CostTotal => ({ known: u.cost ?? u.known_cost ?? 0, unpriced: u.unpriced_calls ?? 0 })

const withCost = (u: Omit<UsageTotals, "cost" | "known_cost" | "unpriced_calls">, cost: CostTotal): UsageTotals =>
  cost.unpriced === 0 ? { ...u, cost: cost.known } : { ...u, cost: null, known_cost: cost.known, unpriced_calls: cost.unpriced }

export const addUsage = (a: UsageTotals, b: UsageTotals): UsageTotals =>
  withCost(
    { calls: a.calls + b.calls, prompt_tokens: a.prompt_tokens + b.prompt_tokens, completion_tokens: a.completion_tokens + b.completion_tokens },
    sumCosts(usageCost(a), usageCost(b)),
  )

const callUsage = (event: ModelCalled): UsageTotals =>
  withCost({ calls: 1, prompt_tokens: event.usage.promptTokens, completion_tokens: event.usage.completionTokens }, addCost(ZERO_COST, callCost(event)))

/** Model usage by model (`<provider>:<model>`) of `events`, costs read with `callCost`. */
export const usageByModel = (events: ReadonlyArray<EpisodeEvent>): Record<string, UsageTotals> => {
  const out: Record<string, UsageTotals> = {}
  for (const event of events) {
    if (event._tag !== "ModelCalled") continue
    const key = `${event.provider}:${event.model}`
    out[key] = addUsage(out[key] ?? zeroUsage(), callUsage(event))
  }
  return out
}

/** Model usage by participant of `events` (their `ModelCalled` ones), costs read with `callCost`. */
export const usageOfEvents = (events: ReadonlyArray<EpisodeEvent>): Record<ParticipantKind, UsageTotals> => {
  const usage: Record<ParticipantKind, UsageTotals> = { agent: zeroUsage(), user: zeroUsage(), judge: zeroUsage() }
  for (const event of events) {
    if (event._tag !== "ModelCalled") continue
    usage[event.participant] = addUsage(usage[event.participant], callUsage(event))
  }
  return usage
}

export interface ReportEpisode {
  readonly run_id: string
  readonly episode_id: string
  readonly domain: string
  readonly policy_variant: string
  readonly task_id: string
  readonly trial: number
  readonly mode: Mode
  readonly agent: string
  readonly user: string
  readonly status: "running" | "ended"
  readonly termination_reason: string | null
  /** Reward of the latest score (null: never scored). */
  readonly reward: number | null
  /** Breakdown of the latest score (the reference's RewardInfo for τ² evaluators). */
  readonly breakdown: unknown
  /** Model usage of this episode's own events and of the judge calls stored with its scores (a branch does not re-count its parent's prefix). */
  readonly usage: Readonly<Record<ParticipantKind, UsageTotals>>
  /** The same calls by model (`<provider>:<model>`); empty for offline runs. */
  readonly usage_by_model: Readonly<Record<string, UsageTotals>>
  readonly parent_episode_id: string | null
  /** The latest support-desk score (absent: never scored with that set); never the reward above. */
  readonly support_desk?: StoredSupportDesk
}

export interface ReportRun {
  readonly run: RunRecord
  readonly episodes: ReadonlyArray<ReportEpisode>
  /** Episodes left out because they cannot be read (named with the row and the reason). */
  readonly skipped: ReadonlyArray<SkippedEpisode>
}

export class ReportSourceError extends Schema.TaggedError<ReportSourceError>()("ReportSourceError", { message: Schema.String }) {}

/**
 * The score a report shows as the reward: the latest τ² evaluation, else the latest of the reward
 * family (an import's `tau2-original`). Behavioural sets (support-desk) never stand in for it.
 */
export const reportedScore = (scores: ReadonlyArray<ScoreRecord>): ScoreRecord | undefined =>
  scores.filter((s) => s.evaluator === TAU2_EVALUATOR.name).at(-1) ?? scores.filter((s) => isRewardEvaluator(s.evaluator)).at(-1)

const collectEpisode = (runId: string, episodeId: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const row = yield* store.getEpisode(episodeId)
    const events = yield* store.read(episodeId)
    const started = events[0]?.event as EpisodeStarted | undefined
    if (!row || !started || started._tag !== "EpisodeStarted") {
      return yield* new ReportSourceError({ message: `episode ${episodeId} of run ${runId} has no start event` })
    }
    const scores = yield* store.listScores(episodeId)
    // A judge's calls are stored with the scores they produced: every score's count (what judging this episode cost).
    const calls = [...events.map((e) => e.event), ...scores.flatMap((s) => s.modelCalls ?? [])]
    const usage = usageOfEvents(calls)
    const byModel = usageByModel(calls)
    const score = reportedScore(scores)
    const desk = latestSupportDesk(scores)
    const episode: ReportEpisode = {
      run_id: runId,
      episode_id: episodeId,
      domain: started.domain,
      policy_variant: started.policyVariant,
      task_id: started.taskId,
      trial: started.trial,
      mode: started.mode,
      agent: started.agent,
      user: started.user,
      status: row.status,
      termination_reason: row.terminationReason,
      reward: score?.reward ?? null,
      breakdown: score?.breakdown ?? null,
      usage,
      usage_by_model: byModel,
      parent_episode_id: row.parentEpisodeId,
      ...(desk === undefined ? {} : { support_desk: desk }),
    }
    return episode
  })

/** A run's episodes, limited to the tasks and trials it is configured for (when it says). */
export const collectRun = (runId: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const run = yield* store.getRun(runId)
    if (!run) return yield* new ReportSourceError({ message: `run ${runId} not found` })
    const rows = yield* store.listEpisodes({ runId })
    const taskIds = Array.isArray(run.config.taskIds) ? new Set(run.config.taskIds as string[]) : null
    const trials = typeof run.config.trials === "number" ? run.config.trials : null
    const wanted = rows.filter((r) => (taskIds === null || taskIds.has(r.taskId)) && (trials === null || r.trial < trials))
    // One unreadable episode is named and left out; the report covers the others.
    const { done: episodes, skipped } = yield* scanEpisodes(
      wanted,
      (r) => r.episodeId,
      (r) => collectEpisode(runId, r.episodeId),
    )
    const sorted = [...episodes].sort((a, b) => cmp(a.task_id, b.task_id) || a.trial - b.trial || cmp(a.episode_id, b.episode_id))
    return { run, episodes: sorted, skipped } satisfies ReportRun
  })

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const cellIndex = (run: RunRecord): number => {
  const cell = run.config.cell as { index?: unknown } | undefined
  return typeof cell?.index === "number" ? cell.index : Number.MAX_SAFE_INTEGER
}

/** Every run of an experiment, in the experiment file's cell order. */
export const collectExperiment = (name: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const runs = (yield* store.listRuns()).filter((r) => r.experiment === name)
    if (runs.length === 0) return yield* new ReportSourceError({ message: `no runs of experiment ${name} in the store` })
    runs.sort((a, b) => cellIndex(a) - cellIndex(b) || cmp(a.runId, b.runId))
    return yield* Effect.forEach(runs, (r) => collectRun(r.runId))
  })

/** The run a counterfactual run branched from, if `run` is one. */
export const counterfactualParentOf = (run: RunRecord): string | null =>
  typeof run.config.counterfactual_of === "string" ? run.config.counterfactual_of : null
