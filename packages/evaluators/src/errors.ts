/**
 * Why an evaluation could not produce a RewardInfo. The reference raises in these situations
 * (the simulation attempt then fails and is retried, §5.1, §8.3); we raise this typed error.
 */
export type EvaluationStage =
  /** The trajectory's tool calls and tool messages do not pair up (reference `set_state`). */
  | "trajectory"
  /** A state-changing call replayed to a different output than recorded (strict replay). */
  | "replay"
  /** The task's own initial state could not be applied. */
  | "initial_state"
  /** An env assertion raised or did not return a boolean. */
  | "env_assertion"
  /** The NL judge failed or answered something unusable. */
  | "nl_judge"

export class EvaluationError extends Error {
  readonly stage: EvaluationStage
  /** The Python exception type the reference raises here (`ValueError`, `AssertionError`, ...). */
  readonly pythonType: string
  /** The message of the underlying exception (the part after `<Type>: ` in the reference). */
  readonly detail: string
  constructor(stage: EvaluationStage, pythonType: string, detail: string, options?: { cause?: unknown }) {
    super(`${stage}: ${pythonType}: ${detail}`, options)
    this.name = "EvaluationError"
    this.stage = stage
    this.pythonType = pythonType
    this.detail = detail
  }
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))
