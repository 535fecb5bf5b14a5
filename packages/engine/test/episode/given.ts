/**
 * Emmett-style decider specs for the orchestrator: given a recorded history, when the next hop is
 * decided with these participants, then it is exactly these events; evolving the state by them
 * gives the returned state (which tests assert on). The decider is `nextHop` (one hop from the
 * folded state) and evolve is `evolve`/`foldEvents`; the only effects are the participants' turns.
 */
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import type { Domain } from "../../src/domain.ts"
import type { EpisodeEvent } from "../../src/events.ts"
import { foldHistory } from "../../src/episode/history.ts"
import { type EpisodeParticipants, foldEvents, nextHop } from "../../src/episode/orchestrator.ts"
import type { EpisodeState } from "../../src/episode/state.ts"
import { type Participant, ParticipantError, type ParticipantTurn, type ProposedToolCall } from "../../src/participants/participant.ts"
import type { Task } from "../../src/task.ts"

export const decider = (domain: Domain, task: Task) => ({
  given: (history: ReadonlyArray<EpisodeEvent>) => {
    const state = foldHistory(domain, history)
    return {
      state,
      when: (participants: EpisodeParticipants) => ({
        // biome-ignore lint/suspicious/noThenProperty: the given/when/then shape; this object is yielded from, never awaited.
        then: (expected: ReadonlyArray<EpisodeEvent>): Effect.Effect<EpisodeState> =>
          Effect.gen(function* () {
            const events = yield* nextHop(state, domain, task, participants)
            assert.deepStrictEqual(events, expected)
            const after = foldEvents(state, events)
            // Evolving step by step and folding the whole history from the start agree.
            assert.deepStrictEqual(after, foldHistory(domain, [...history, ...events]))
            return after
          }),
      }),
    }
  },
})

/** A participant whose next turn is always `turn` (the decider asks it at most once per hop). */
export const says = (text: string | null, toolCalls: ReadonlyArray<ProposedToolCall> = []): Participant => ({
  spec: "test",
  act: () => Effect.succeed<ParticipantTurn>({ text, toolCalls }),
})

/** A participant that must not be asked (the hop is the environment's). */
export const silent: Participant = {
  spec: "silent",
  act: () => Effect.die(new Error("this hop must not ask a participant")),
}

export const failsWith = (kind: ParticipantError["kind"], message: string): Participant => ({
  spec: "failing",
  act: () => Effect.fail(new ParticipantError({ kind, message })),
})
