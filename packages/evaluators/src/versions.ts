/**
 * Names and versions of the evaluators. A version changes whenever an evaluator's verdict for the
 * same inputs could change, so that cached gold states and stored verdicts can be told apart.
 */
export interface EvaluatorId {
  readonly name: string
  readonly version: string
}

/** DB check + env assertions (semantics §5.2). */
export const ENV_EVALUATOR: EvaluatorId = { name: "tau2.env", version: "1" }
/** Action checks (§5.3). */
export const ACTION_EVALUATOR: EvaluatorId = { name: "tau2.action", version: "1" }
/** Communicate checks (§5.4). */
export const COMMUNICATE_EVALUATOR: EvaluatorId = { name: "tau2.communicate", version: "1" }
/** NL assertions through an injected judge (§5.5). */
export const NL_ASSERTIONS_EVALUATOR: EvaluatorId = { name: "tau2.nl_assertions", version: "1" }
/** The combined `ALL` evaluation (§5.1, §5.6). */
export const TAU2_EVALUATOR: EvaluatorId = { name: "tau2", version: "1" }
/** The support-desk behaviour set: confirm before write, escalation, grounded claims, unsafe actions (`support-desk/`). */
export const SUPPORT_DESK_EVALUATOR: EvaluatorId = { name: "support-desk", version: "1" }
