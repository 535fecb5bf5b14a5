/**
 * Modes (semantics §7): the one place that says what each mode means. The orchestrator, the
 * participants, the evaluators and the run checks all derive from `modeTraits`.
 */
import { Schema } from "effect"
import type { Domain } from "./domain.ts"

export const MODES = ["default", "no-user", "oracle-plan", "no-user-oracle-plan", "no-policy"] as const
export const Mode = Schema.Literals(MODES)
export type Mode = typeof Mode.Type

/** What a mode changes. Model-backed participants read the mode from `EpisodeStarted.mode`. */
export interface ModeTraits {
  /** No user simulator: the agent works from the ticket, opens the conversation and also operates the user-side tools. */
  readonly solo: boolean
  /** The agent is shown the task's gold actions as resolution steps. */
  readonly oraclePlan: boolean
  /** The agent's system prompt carries the domain policy. */
  readonly policy: boolean
}

const TRAITS: Readonly<Record<Mode, ModeTraits>> = {
  default: { solo: false, oraclePlan: false, policy: true },
  "no-user": { solo: true, oraclePlan: false, policy: true },
  "oracle-plan": { solo: false, oraclePlan: true, policy: true },
  "no-user-oracle-plan": { solo: true, oraclePlan: true, policy: true },
  "no-policy": { solo: false, oraclePlan: false, policy: false },
}

export const modeTraits = (mode: Mode): ModeTraits => TRAITS[mode]

/** Whether an episode (or a run configuration) has no user: anything that records its mode. */
export const isSolo = (of: { readonly mode: Mode }): boolean => TRAITS[of.mode].solo

/**
 * The policy text the agent is given in a mode: none in `no-policy`; the solo policy in a solo
 * mode (the default one for a domain without it, which mode checks refuse before a run starts).
 */
export const agentPolicy = (domain: Domain, mode: Mode): string | null => {
  const traits = TRAITS[mode]
  if (!traits.policy) return null
  return traits.solo ? (domain.policy.solo ?? domain.policy.default) : domain.policy.default
}
