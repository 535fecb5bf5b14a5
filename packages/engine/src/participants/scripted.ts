/**
 * Participants that follow a fixed list of turns, and the replaying participant that feeds the
 * turns of a recorded conversation back (then hands over to another participant, if any).
 */
import { Effect, Schema } from "effect"
import type { TrajectoryMessage } from "../episode/state.ts"
import { type Participant, ParticipantError, type ParticipantTurn } from "./participant.ts"

export const ScriptTurn = Schema.Struct({
  text: Schema.optional(Schema.NullOr(Schema.String)),
  tool_calls: Schema.optional(Schema.Array(Schema.Struct({ name: Schema.String, arguments: Schema.Record(Schema.String, Schema.Unknown) }))),
})
export const Script = Schema.Array(ScriptTurn)
export type Script = typeof Script.Type

const ownTurns = (trajectory: ReadonlyArray<TrajectoryMessage>, role: "assistant" | "user", fromSeq = 0): number =>
  trajectory.filter((m) => m.role === role && !m.setup && m.seq >= fromSeq).length

/**
 * Plays its script turn by turn. Turn k is the participant's k-th message since the episode (or,
 * in a fork, the branch) started: a script given to a fork plays from its first turn.
 */
export const scriptedParticipant = (spec: string, turns: ReadonlyArray<ParticipantTurn>): Participant => ({
  spec,
  act: ({ role, state }) =>
    Effect.suspend(() => {
      const k = ownTurns(state.trajectory, role === "agent" ? "assistant" : "user", state.started.parent?.seq ?? 0)
      const turn = turns[k]
      if (turn) return Effect.succeed(turn)
      return Effect.fail(new ParticipantError({ kind: "participant", message: `script has no turn ${k + 1}` }))
    }),
})

export const scriptFromJson = (script: Script): ReadonlyArray<ParticipantTurn> =>
  script.map((t) => ({
    text: t.text ?? null,
    toolCalls: (t.tool_calls ?? []).map((c) => ({ name: c.name, argumentsJson: JSON.stringify(c.arguments) })),
  }))

/** The turns a role took in a recorded trajectory, in order. */
export const recordedTurns = (trajectory: ReadonlyArray<TrajectoryMessage>, role: "assistant" | "user"): ParticipantTurn[] =>
  trajectory.flatMap((m) =>
    m.role === role && !m.setup
      ? [{ text: m.content, toolCalls: (m.toolCalls ?? []).map((c) => ({ id: c.id, name: c.name, argumentsJson: c.argumentsJson })) }]
      : [],
  )

/** Replays recorded turns; after the last one, delegates to `then` (or fails). */
export const replayingParticipant = (recorded: ReadonlyArray<ParticipantTurn>, then?: Participant): Participant => ({
  spec: `replay${then ? `+${then.spec}` : ""}`,
  act: (input) =>
    Effect.suspend(() => {
      const k = ownTurns(input.state.trajectory, input.role === "agent" ? "assistant" : "user")
      if (k < recorded.length) return Effect.succeed(recorded[k])
      if (then) return then.act(input)
      return Effect.fail(new ParticipantError({ kind: "participant", message: "the recording has no further turns" }))
    }),
})
