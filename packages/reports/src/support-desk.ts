/**
 * The support-desk part of a report (the "deep report"): per cell, from the latest support-desk
 * verdict of each episode, every component's mean with a bootstrap interval over the episodes
 * where it applies, median and spread over trials per task, escalation accuracy and
 * over-escalation rate, and the episode ids behind each number. A cell none of whose episodes has
 * a support-desk score has no such part (its report is as before).
 */
import { ESCALATION_OUTCOMES, type EscalationOutcome, type EscalationRates, escalationRates, SupportDeskBreakdown } from "@tau-sim/evaluators"
import type { ReportEpisode } from "./collect.ts"
import { type BootstrapOptions, bootstrapMean, type Interval, quantileSorted } from "./stats.ts"

/** The set's components, in the verdict's order. */
export const SUPPORT_DESK_COMPONENTS = Object.keys(SupportDeskBreakdown.fields) as ReadonlyArray<keyof SupportDeskBreakdown>
export type SupportDeskComponent = keyof SupportDeskBreakdown

/** Components a verdict has only when asked for (an LLM judge's). */
const OPTIONAL_COMPONENTS: ReadonlySet<SupportDeskComponent> = new Set(["policy_adherence"])

/** The components a report shows for these cells: every rule's, and an optional one only where some verdict has it. */
export const shownComponents = (desks: ReadonlyArray<SupportDeskCell>): ReadonlyArray<SupportDeskComponent> =>
  SUPPORT_DESK_COMPONENTS.filter((c) => !OPTIONAL_COMPONENTS.has(c) || desks.some((d) => c in d.components))

export interface RateStat {
  /** Mean over the episodes where it applies, with a percentile bootstrap interval over them. */
  readonly mean: Interval
  /** The episodes where it applies: the ids behind the mean. */
  readonly episodes: ReadonlyArray<string>
  /** Of those, the episodes scored below 1 (the behaviour was not the wanted one). */
  readonly below_one: ReadonlyArray<string>
}

export interface TrialSpread {
  /** Trials where the component applies. */
  readonly trials: number
  readonly median: number
  readonly min: number
  readonly max: number
}

export interface SupportDeskTaskRow {
  readonly task_id: string
  /** Trials of the task with a support-desk verdict. */
  readonly trials: number
  readonly episodes: ReadonlyArray<string>
  /** Median and spread over trials; null where the component applies to no trial. */
  readonly components: Readonly<Record<SupportDeskComponent, TrialSpread | null>>
}

export interface SupportDeskCell {
  /** The evaluator versions of the verdicts (`support-desk@1`). */
  readonly evaluators: ReadonlyArray<string>
  /** Evaluated episodes with a verdict. */
  readonly episodes: ReadonlyArray<string>
  /** Evaluated episodes never scored with support-desk (`tau rescore --evaluator support-desk`). */
  readonly not_scored: ReadonlyArray<string>
  /** Episodes whose latest support-desk score is an evaluator error (left out of every number). */
  readonly failed: ReadonlyArray<{ readonly episode_id: string; readonly error: string }>
  /** The verdicts' reward: mean of the components that apply. */
  readonly reward: RateStat
  /** Every rule's; an optional component (`policy_adherence`) only when some verdict of the cell has it (`shownComponents`). */
  readonly components: Readonly<Record<SupportDeskComponent, RateStat>>
  readonly escalation: EscalationRates & {
    /** Over-escalation with its bootstrap interval over the episodes whose task needs no hand-over. */
    readonly over_escalation: Interval
    readonly outcome_episodes: Readonly<Record<EscalationOutcome, ReadonlyArray<string>>>
  }
  readonly tasks: ReadonlyArray<SupportDeskTaskRow>
}

const rate = (scored: ReadonlyArray<{ readonly id: string; readonly value: number | null }>, bootstrap: BootstrapOptions): RateStat => {
  const applies = scored.filter((s): s is { id: string; value: number } => s.value !== null)
  return {
    mean: bootstrapMean(
      applies.map((s) => s.value),
      bootstrap,
    ),
    episodes: applies.map((s) => s.id),
    below_one: applies.filter((s) => s.value < 1).map((s) => s.id),
  }
}

const spread = (values: ReadonlyArray<number>): TrialSpread | null => {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return { trials: values.length, median: quantileSorted(sorted, 0.5), min: sorted[0], max: sorted[sorted.length - 1] }
}

/** The support-desk part of a cell over its evaluated episodes; null when none has a support-desk score. */
export const supportDeskCell = (evaluated: ReadonlyArray<ReportEpisode>, bootstrap: BootstrapOptions): SupportDeskCell | null => {
  if (!evaluated.some((e) => e.support_desk !== undefined)) return null
  const verdicts = evaluated.flatMap((e) => (e.support_desk?._tag === "Verdict" ? [{ episode: e, verdict: e.support_desk.verdict }] : []))
  const failed = evaluated.flatMap((e) => (e.support_desk?._tag === "Failed" ? [{ episode_id: e.episode_id, error: e.support_desk.error }] : []))
  const present = SUPPORT_DESK_COMPONENTS.filter((c) => !OPTIONAL_COMPONENTS.has(c) || verdicts.some((v) => v.verdict.breakdown[c] !== undefined))
  const components = Object.fromEntries(
    present.map((c) => [
      c,
      rate(
        // An optional component the verdict was not asked for is absent: it does not apply.
        verdicts.map((v) => ({ id: v.episode.episode_id, value: v.verdict.breakdown[c] ?? null })),
        bootstrap,
      ),
    ]),
  ) as Record<SupportDeskComponent, RateStat>
  const escalations = verdicts.map((v) => ({ id: v.episode.episode_id, ...v.verdict.details.escalation }))
  const outcomeEpisodes = Object.fromEntries(ESCALATION_OUTCOMES.map((o) => [o, escalations.filter((e) => e.outcome === o).map((e) => e.id)])) as Record<
    EscalationOutcome,
    string[]
  >
  const byTask = new Map<string, typeof verdicts>()
  for (const v of verdicts) byTask.set(v.episode.task_id, [...(byTask.get(v.episode.task_id) ?? []), v])
  return {
    evaluators: [...new Set(verdicts.map((v) => v.verdict.evaluator))].sort(),
    episodes: verdicts.map((v) => v.episode.episode_id),
    not_scored: evaluated.filter((e) => e.support_desk === undefined).map((e) => e.episode_id),
    failed,
    reward: rate(
      verdicts.map((v) => ({ id: v.episode.episode_id, value: v.verdict.reward })),
      bootstrap,
    ),
    components,
    escalation: {
      ...escalationRates(escalations),
      over_escalation: bootstrapMean(
        escalations.filter((e) => !e.needed).map((e) => (e.outcome === "over_escalated" ? 1 : 0)),
        bootstrap,
      ),
      outcome_episodes: outcomeEpisodes,
    },
    tasks: [...byTask.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([task_id, vs]) => ({
        task_id,
        trials: vs.length,
        episodes: vs.map((v) => v.episode.episode_id),
        components: Object.fromEntries(
          present.map((c) => [c, spread(vs.map((v) => v.verdict.breakdown[c]).filter((x): x is number => typeof x === "number"))]),
        ) as Record<SupportDeskComponent, TrialSpread | null>,
      })),
  }
}
