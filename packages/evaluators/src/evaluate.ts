/**
 * `evaluate_simulation` with evaluation type `ALL` (semantics §5.1, §5.6).
 *
 * Premature terminations score 0 and tasks without criteria score 1 without running anything.
 * Otherwise env, action and communicate evaluators always run (their checks are reported even when
 * not in the basis), the NL judge only when `NL_ASSERTION` is in the basis, and the reward is the
 * product of the basis' components in the reference's order: env, action, NL, communicate.
 */
import { type Domain, rewardBasis, type Task } from "@tau-sim/engine"
import { Effect, Result } from "effect"
import { succeededAtHand } from "./at-hand.ts"
import type { EvaluationError } from "./errors.ts"
import { type ActionEvaluation, evaluateActions } from "./action-evaluator.ts"
import { type CommunicateEvaluation, evaluateCommunicate } from "./communicate-evaluator.ts"
import { type EnvEvaluation, evaluateEnvironment } from "./env-evaluator.ts"
import type { Tau2Message } from "./messages.ts"
import { evaluateNlAssertions, type NlEvaluation, type NlJudge } from "./nl-evaluator.ts"
import { emptyRewardInfo, type RewardBreakdown, type RewardInfo } from "./reward-info.ts"

/** Termination reasons after which the trajectory is evaluated; anything else scores 0. */
export const EVALUATED_TERMINATIONS: ReadonlySet<string> = new Set(["agent_stop", "user_stop"])

export interface EvaluateSimulationInput {
  readonly domain: Domain
  readonly task: Task
  /** The full trajectory (it starts with the task's message history, if any). */
  readonly messages: ReadonlyArray<Tau2Message>
  readonly terminationReason: string
  /** Solo mode (agent without user); default false. */
  readonly solo?: boolean
  /** Strict replay: a replayed state-changing call must reproduce its recorded output. Default true, as in live runs. */
  readonly strict?: boolean
  readonly nlJudge: NlJudge
}

/** The parts evaluated without the NL judge (env, action, communicate), combined once the judge has answered (or was not needed). */
const combine = (
  basis: ReturnType<typeof rewardBasis>,
  env: EnvEvaluation,
  action: ActionEvaluation,
  communicate: CommunicateEvaluation,
  nl: NlEvaluation | null,
): RewardInfo => {
  let reward = 1
  const breakdown: RewardBreakdown = {}
  const include = (part: { reward: number; reward_breakdown: RewardBreakdown | null }) => {
    Object.assign(breakdown, part.reward_breakdown)
    reward *= part.reward
  }
  if (basis.includes("DB") || basis.includes("ENV_ASSERTION")) include(env)
  if (basis.includes("ACTION")) include(action)
  if (nl && basis.includes("NL_ASSERTION")) include(nl)
  if (basis.includes("COMMUNICATE")) include(communicate)
  return {
    reward,
    db_check: env.db_check,
    env_assertions: env.env_assertions,
    action_checks: action.action_checks,
    nl_assertions: nl ? nl.nl_assertions : null,
    communicate_checks: communicate.communicate_checks,
    reward_basis: basis,
    reward_breakdown: breakdown,
    info: { env: env.info, nl: nl ? nl.info : null, communicate: communicate.info, action: action.info },
    nl_judge: nl?.judge ?? null,
  }
}

/**
 * Fails with `EvaluationError` where the reference evaluator raises. Everything but the NL judge
 * runs when the evaluation is built; the result is an `Exit` (no fiber needed to run it) unless a
 * judge is asked whose answer is not at hand.
 */
export const evaluateSimulation = (input: EvaluateSimulationInput): Effect.Effect<RewardInfo, EvaluationError> => {
  const { domain, task, messages } = input
  if (!EVALUATED_TERMINATIONS.has(input.terminationReason))
    return Effect.succeed(emptyRewardInfo(0, { note: `Simulation terminated prematurely. Termination reason: ${input.terminationReason}` }))
  if (task.evaluation_criteria == null) return Effect.succeed(emptyRewardInfo(1, { note: "No evaluation criteria" }))

  const basis = rewardBasis(task)
  const env = evaluateEnvironment(domain, task, messages, { strict: input.strict ?? true, solo: input.solo ?? false })
  if (Result.isFailure(env)) return Effect.fail(env.failure)
  const action = evaluateActions(domain, task, messages)
  const communicate = evaluateCommunicate(task, messages)
  if (!basis.includes("NL_ASSERTION")) return Effect.succeed(combine(basis, env.success, action, communicate, null))
  const nl = evaluateNlAssertions(task, messages, input.nlJudge)
  // A judge that answered at once: the result is at hand, no fiber is needed to run the evaluation.
  if (succeededAtHand(nl)) return Effect.succeed(combine(basis, env.success, action, communicate, nl.value))
  return Effect.map(nl, (nl) => combine(basis, env.success, action, communicate, nl))
}
