/**
 * `playEpisode` stores whole hops, and a hop that called a model at once; free hops (offline
 * participants, the environment) are stored together. A crash loses only free hops, and resuming
 * from what was stored redoes them exactly: the stream is the one an uninterrupted play stores.
 */
import { Deferred, Effect, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { foldHistory } from "../../src/episode/history.ts"
import { type EpisodeParticipants, playEpisode, setupEvents } from "../../src/episode/orchestrator.ts"
import type { EpisodeEvent } from "../../src/events.ts"
import type { Participant, ParticipantTurn } from "../../src/participants/participant.ts"
import { EventStore } from "../../src/store/event-store.ts"
import { layerMemory } from "../../src/store/index.ts"
import { modelCalled, started } from "../../testing/sample-events.ts"
import { counterDomain, counterTask } from "./counter-domain.ts"

const root = { ...started("ep"), domain: "counter", taskId: "bump" }
const setup = setupEvents(root, counterDomain, counterTask)

/**
 * Says its turns in order, picking the next from the conversation so far (as every participant
 * does: a resumed episode asks for the turn after the stored ones); `dieAt` (0-based) dies
 * instead, as a killed process would stop there.
 */
const turns = (list: ReadonlyArray<ParticipantTurn>, dieAt = -1): Participant => ({
  spec: "turns",
  act: ({ role, state }) => {
    const said = state.trajectory.filter((m) => m.role === (role === "agent" ? "assistant" : "user")).length
    const index = role === "agent" ? said - 1 : said // the agent's greeting is not one of its turns
    return index === dieAt ? Effect.die(new Error("killed")) : Effect.succeed(list[index] ?? { text: "###STOP###", toolCalls: [] })
  },
})
const say = (text: string, costly = false): ParticipantTurn => ({
  text,
  toolCalls: [],
  ...(costly ? { modelCalls: [{ ...modelCalled(), participant: "agent" }] } : {}),
})
const bump: ParticipantTurn = { text: null, toolCalls: [{ name: "increment", argumentsJson: '{"by": 1}' }] }

const conversation = (costlyAgent: boolean, dieAt = -1): EpisodeParticipants => ({
  agent: turns([bump, say("Done, it went up.", costlyAgent), say("Anything else?", costlyAgent), say("Bye.", costlyAgent)]),
  user: turns([say("Please add one."), say("Thanks."), say("No.")], dieAt),
})

/** The memory store, with every append's size recorded. */
const counted = () => {
  const appends: Array<number> = []
  const layer = Layer.effect(
    EventStore,
    Effect.gen(function* () {
      const inner = yield* EventStore
      return {
        ...inner,
        append: (episodeId: string, expected: number, batch: ReadonlyArray<EpisodeEvent>, options?: Parameters<typeof inner.append>[3]) => {
          appends.push(batch.length)
          return inner.append(episodeId, expected, batch, options)
        },
      }
    }),
  ).pipe(Layer.provide(layerMemory))
  return { appends, layer }
}

const play = (participants: EpisodeParticipants) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const stored = yield* store.read("ep")
    const history = stored.length === 0 ? setup : stored.map((s) => s.event)
    if (stored.length === 0) yield* store.append("ep", 0, setup)
    yield* playEpisode("ep", foldHistory(counterDomain, history), counterDomain, counterTask, participants).pipe(Effect.exit)
    return (yield* store.read("ep")).map((s) => s.event)
  })

describe("hops stored by playEpisode", () => {
  it("an offline episode is one append after its setup, of whole hops ending in EpisodeEnded", async () => {
    const { appends, layer } = counted()
    const stream = await Effect.runPromise(play(conversation(false)).pipe(Effect.provide(layer)))
    expect(appends).toEqual([setup.length, stream.length - setup.length])
    expect(stream.at(-1)?._tag).toBe("EpisodeEnded")
  })

  it("a hop that called a model is stored before the next hop starts", async () => {
    const { appends, layer } = counted()
    const stream = await Effect.runPromise(play(conversation(true)).pipe(Effect.provide(layer)))
    const modelHops = stream.filter((e) => e._tag === "ModelCalled").length
    expect(modelHops).toBeGreaterThan(1)
    // After the setup: one append per model-calling hop (with the free hops before it), then the
    // free hops after the last one; every boundary but the last comes right after a model's message.
    let end = setup.length
    const boundaries = appends.slice(1).map((size) => (end += size))
    expect(boundaries.at(-1)).toBe(stream.length)
    expect(boundaries.length).toBe(stream.at(-2)?._tag === "ModelCalled" ? modelHops : modelHops + 1)
    for (const at of boundaries.slice(0, modelHops)) expect(stream.slice(at - 2, at).map((e) => e._tag)).toEqual(["ModelCalled", "MessageSent"])
  })

  it("a crash loses only free hops, and resuming stores the stream an uninterrupted play stores", async () => {
    const straight = await Effect.runPromise(play(conversation(false)).pipe(Effect.provide(layerMemory)))
    for (const dieAt of [0, 1, 2]) {
      const { layer } = counted()
      const resumed = await Effect.runPromise(
        Effect.gen(function* () {
          const crashed = yield* play(conversation(false, dieAt))
          // Nothing of the free hops before the crash was stored: the stream is still its setup.
          expect(crashed).toEqual(setup)
          return yield* play(conversation(false))
        }).pipe(Effect.provide(layer)),
      )
      expect(resumed).toEqual(straight)
    }
  })
})

describe("a stop between hops", () => {
  it("stores the free hops played before it, and resuming stores the uninterrupted stream", async () => {
    const straight = await Effect.runPromise(play(conversation(false)).pipe(Effect.provide(layerMemory)))
    const program = Effect.gen(function* () {
      const store = yield* EventStore
      yield* store.append("ep", 0, setup)
      // The user's third turn never comes (a model call in flight when the stop arrives).
      const asked = yield* Deferred.make<void>()
      const speaks = conversation(false).user as Participant
      const user: Participant = {
        spec: "turns",
        act: (input) =>
          input.state.trajectory.filter((m) => m.role === "user").length === 2
            ? Deferred.succeed(asked, undefined).pipe(Effect.andThen(Effect.never))
            : speaks.act(input),
      }
      const { agent } = conversation(false)
      const fiber = yield* Effect.forkChild(playEpisode("ep", foldHistory(counterDomain, setup), counterDomain, counterTask, { agent, user }))
      yield* Deferred.await(asked)
      yield* Fiber.interrupt(fiber)
      const stopped = (yield* store.read("ep")).map((s) => s.event)
      const resumed = yield* play(conversation(false))
      return { stopped, resumed }
    })
    const { stopped, resumed } = await Effect.runPromise(program.pipe(Effect.provide(layerMemory)))
    // Everything before the third user turn was stored: more than the setup, a prefix of the whole.
    expect(stopped.length).toBeGreaterThan(setup.length)
    expect(stopped).toEqual(straight.slice(0, stopped.length))
    expect(stopped.filter((e) => e._tag === "MessageSent" && e.role === "user")).toHaveLength(2)
    expect(resumed).toEqual(straight)
  })
})
