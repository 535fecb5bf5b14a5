/**
 * The participant port: a policy that looks at the episode so far and produces its next message
 * (text and/or tool calls). Agents and users, LLM-backed or scripted, all implement it.
 */
import { Context, type Effect, Schema } from "effect"
import type { Domain, Side } from "../domain.ts"
import type { EpisodeState } from "../episode/state.ts"
import { ModelCalled } from "../events.ts"
import type { Task } from "../task.ts"

export interface ProposedToolCall {
  /** Provider call id; the orchestrator assigns one when it is missing or not unique. */
  readonly id?: string
  readonly name: string
  /** Raw argument JSON text, exactly as produced (may be invalid: that is recorded, not thrown). */
  readonly argumentsJson: string
}

export interface ParticipantTurn {
  readonly text: string | null
  readonly toolCalls: ReadonlyArray<ProposedToolCall>
  /** Model calls made to produce this turn, recorded before the message. */
  readonly modelCalls?: ReadonlyArray<ModelCalled>
}

export interface TurnInput {
  readonly role: Side
  readonly state: EpisodeState
  readonly domain: Domain
  readonly task: Task
}

/**
 * `participant`: the participant misbehaved (e.g. an empty reply) — the episode ends with
 * `agent_error` / `user_error`. `infrastructure`: the world around it failed (network, provider
 * outage) — the episode is errored, excluded from metrics and can be resumed.
 */
export class ParticipantError extends Schema.TaggedError<ParticipantError>()("ParticipantError", {
  /** `context_window`: the conversation no longer fits the model (`context_window_exceeded`). */
  kind: Schema.Literals(["participant", "infrastructure", "context_window"]),
  message: Schema.String,
  /** Model calls made before giving up; recorded so that nothing paid for is lost. */
  modelCalls: Schema.optional(Schema.Array(ModelCalled)),
}) {}

export interface Participant {
  /** The spec it was built from (`oracle`, `scripted`, `openai:gpt-4.1`, ...). */
  readonly spec: string
  readonly act: (input: TurnInput) => Effect.Effect<ParticipantTurn, ParticipantError>
}

/**
 * Where a participant's model calls go as each attempt ends, before its turn returns them: a turn
 * the episode's time limit cuts never returns, and what it asked (and may be billed for) is stored
 * from here. The orchestrator listens only to a turn under a time limit; elsewhere nothing does.
 */
export const TurnCallLog = Context.Reference<{
  /** Whether what is recorded here is stored (only a turn under a time limit). */
  readonly listening: boolean
  readonly record: (call: ModelCalled) => void
}>("@tau-sim/engine/TurnCallLog", {
  defaultValue: () => ({ listening: false, record: () => {} }),
})
