/**
 * `escalation`: does the agent hand over the cases that need a human, and only those?
 *
 * A task *needs* a hand-over when its gold actions include `transfer_to_human_agents`. The agent
 * *handed over* when it called that tool itself (any arguments, successful or not; calls from the
 * task's message history do not count). Outcomes: `handed_over` (needed, done), `missed` (needed,
 * not done), `over_escalated` (not needed, done), `not_needed` (neither). The score is 1 for
 * `handed_over` and `not_needed`, else 0. Always applicable.
 */
import type { Task } from "@tau-sim/engine"
import { Schema } from "effect"
import { agentCalls } from "./calls.ts"
import type { SupportDeskEpisode } from "./episode.ts"

export const HANDOVER_TOOL = "transfer_to_human_agents"

export const ESCALATION_OUTCOMES = ["handed_over", "missed", "over_escalated", "not_needed"] as const
export type EscalationOutcome = (typeof ESCALATION_OUTCOMES)[number]

export const Escalation = Schema.Struct({
  score: Schema.Number,
  /** The task's gold actions include a hand-over. */
  needed: Schema.Boolean,
  handed_over: Schema.Boolean,
  outcome: Schema.Literals(ESCALATION_OUTCOMES),
  /** Turn (message index) of the agent's first hand-over, if any. */
  turn: Schema.NullOr(Schema.Int),
})
export type Escalation = typeof Escalation.Type

export const needsHandover = (task: Task): boolean => (task.evaluation_criteria?.actions ?? []).some((a) => a.name === HANDOVER_TOOL)

export const escalation = (task: Task, episode: SupportDeskEpisode): Escalation => {
  const needed = needsHandover(task)
  const first = agentCalls(episode).find((c) => c.call.name === HANDOVER_TOOL)
  const handed_over = first !== undefined
  const outcome: EscalationOutcome = needed ? (handed_over ? "handed_over" : "missed") : handed_over ? "over_escalated" : "not_needed"
  return { score: outcome === "handed_over" || outcome === "not_needed" ? 1 : 0, needed, handed_over, outcome, turn: first?.turn ?? null }
}

export interface EscalationRates {
  readonly episodes: number
  /** Episodes whose task needs a hand-over / does not. */
  readonly needed: number
  readonly not_needed: number
  /** Correct decisions (`handed_over` + `not_needed`) / episodes; null without episodes. */
  readonly accuracy: number | null
  /** `over_escalated` / episodes whose task does not need a hand-over; null when there are none. */
  readonly over_escalation_rate: number | null
  /** `handed_over` / episodes whose task needs one; null when there are none. */
  readonly handover_rate: number | null
  readonly outcomes: Readonly<Record<EscalationOutcome, number>>
}

/** Run-level escalation figures over the episodes' verdicts (one per episode, trials included). */
export const escalationRates = (verdicts: ReadonlyArray<Pick<Escalation, "outcome">>): EscalationRates => {
  const outcomes: Record<EscalationOutcome, number> = { handed_over: 0, missed: 0, over_escalated: 0, not_needed: 0 }
  for (const v of verdicts) outcomes[v.outcome]++
  const needed = outcomes.handed_over + outcomes.missed
  const notNeeded = outcomes.over_escalated + outcomes.not_needed
  const ratio = (a: number, b: number) => (b === 0 ? null : a / b)
  return {
    episodes: verdicts.length,
    needed,
    not_needed: notNeeded,
    accuracy: ratio(outcomes.handed_over + outcomes.not_needed, verdicts.length),
    over_escalation_rate: ratio(outcomes.over_escalated, notNeeded),
    handover_rate: ratio(outcomes.handed_over, needed),
    outcomes,
  }
}
