/**
 * Why an evaluation could not produce a RewardInfo. The reference raises in these situations
 * (the simulation attempt then fails and is retried, §5.1, §8.3); our evaluators fail with this
 * typed error (returned, never thrown).
 */
import { Schema } from "effect"

export const EVALUATION_STAGES = [
  /** The trajectory's tool calls and tool messages do not pair up (reference `set_state`). */
  "trajectory",
  /** A state-changing call replayed to a different output than recorded (strict replay). */
  "replay",
  /** The task's own initial state could not be applied. */
  "initial_state",
  /** An env assertion raised or did not return a boolean. */
  "env_assertion",
  /** The NL judge failed or answered something unusable. */
  "nl_judge",
] as const
export type EvaluationStage = (typeof EVALUATION_STAGES)[number]

export class EvaluationError extends Schema.TaggedError<EvaluationError>()("EvaluationError", {
  stage: Schema.Literals(EVALUATION_STAGES),
  /** The Python exception type the reference raises here (`ValueError`, `AssertionError`, ...). */
  pythonType: Schema.String,
  /** The message of the underlying exception (the part after `<Type>: ` in the reference). */
  detail: Schema.String,
}) {
  override get message(): string {
    return `${this.stage}: ${this.pythonType}: ${this.detail}`
  }
}

/**
 * An `EvaluationError` (the reference's `raise <pythonType>(detail)` at `stage`). Built without a
 * stack trace, as effect builds its SchemaError: it is an expected outcome, reported by its message,
 * and capturing the stack was most of its cost (one per evaluation the reference raises on).
 */
export const evaluationError = (stage: EvaluationStage, pythonType: string, detail: string): EvaluationError => {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return new EvaluationError({ stage, pythonType, detail })
  } finally {
    Error.stackTraceLimit = limit
  }
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))
