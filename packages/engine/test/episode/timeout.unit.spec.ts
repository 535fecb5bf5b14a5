/**
 * The episode time limit (`limits.timeoutMs`, `tau run --episode-timeout`) on Effect's Clock, run
 * on the TestClock: a participant turn still running at the limit is cut and the episode ends as
 * `timeout` (what was played before is kept); time spent outside a turn counts too, checked
 * before the next turn as τ² checks after a step; an episode that ends in time ends as it would.
 */
import { Deferred, Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { foldHistory, playedMs } from "../../src/episode/history.ts"
import { type EpisodeParticipants, playEpisode, setupEvents } from "../../src/episode/orchestrator.ts"
import type { EpisodeEvent, EpisodeStarted } from "../../src/events.ts"
import type { Participant, ParticipantTurn } from "../../src/participants/participant.ts"
import { EventStore } from "../../src/store/event-store.ts"
import { layerMemory } from "../../src/store/index.ts"
import { modelCalled, started } from "../../testing/sample-events.ts"
import { counterDomain, counterTask } from "./counter-domain.ts"

const LIMIT_MS = 60_000
const root: EpisodeStarted = { ...started("ep"), domain: "counter", taskId: "bump", limits: { maxSteps: 200, maxErrors: 10, timeoutMs: LIMIT_MS } }

const say = (text: string): ParticipantTurn => ({ text, toolCalls: [] })

/**
 * Says `list` in order (each turn as if a model made it, so each hop is stored at once); the turn
 * at `wedge.at` (0-based) never answers, as a hung model call, and says so through `wedge.reached`.
 */
const turns = (list: ReadonlyArray<ParticipantTurn>, wedge?: { at: number; reached: Deferred.Deferred<void> }): Participant & { calls: number } => {
  const p = {
    spec: "turns",
    calls: 0,
    act: () =>
      Effect.suspend(() => {
        const index = p.calls++
        if (index === wedge?.at) return Effect.andThen(Deferred.succeed(wedge.reached, undefined), Effect.never)
        return Effect.succeed({ ...(list[index] ?? say("###STOP###")), modelCalls: [{ ...modelCalled(), participant: "agent" as const }] })
      }),
  }
  return p
}

/** Plays `root` with `participants` over a memory store (whose appends may take `appendMs` of clock time), the clock driven by `drive`; `playedMs`: time already played, as a resume passes it. */
const play = (participants: EpisodeParticipants, drive: Effect.Effect<void>, appendMs = 0, start: EpisodeStarted = root, playedMs = 0) =>
  Effect.gen(function* () {
    const setup = setupEvents(start, counterDomain, counterTask)
    const store = yield* EventStore
    yield* store.append("ep", 0, setup)
    const fiber = yield* Effect.forkChild(playEpisode("ep", foldHistory(counterDomain, setup), counterDomain, counterTask, participants, { playedMs }))
    yield* drive
    const final = yield* Fiber.join(fiber)
    return { final, stream: (yield* store.read("ep")).map((s) => s.event) }
  }).pipe(Effect.provide(Layer.merge(slowAppends(appendMs), TestClock.layer())))

/** The memory store; each append takes `ms` of the (test) clock's time, as a slow disk would. */
const slowAppends = (ms: number) =>
  Layer.effect(
    EventStore,
    Effect.gen(function* () {
      const inner = yield* EventStore
      return {
        ...inner,
        append: (episodeId: string, expected: number, batch: ReadonlyArray<EpisodeEvent>, options?: Parameters<typeof inner.append>[3]) =>
          Effect.flatMap(inner.append(episodeId, expected, batch, options), (v) => (ms > 0 ? Effect.as(TestClock.adjust(ms), v) : Effect.succeed(v))),
      }
    }),
  ).pipe(Layer.provide(layerMemory))

const ended = (stream: ReadonlyArray<EpisodeEvent>) => stream.filter((e) => e._tag === "EpisodeEnded")

describe("the episode time limit", () => {
  it("a turn that never answers is cut at the limit: the episode ends as timeout, the turns before it stored", async () => {
    const reached = Deferred.makeUnsafe<void>()
    const agent = turns([say("Hello, what can I do?")], { at: 1, reached })
    const user = turns([say("Please add one."), say("Still there?")])
    // The clock moves only once the agent's second turn hangs.
    const { final, stream } = await Effect.runPromise(play({ agent, user }, Effect.andThen(Deferred.await(reached), TestClock.adjust(LIMIT_MS))))
    expect(final.ended).toBe("timeout")
    expect(ended(stream)).toEqual([expect.objectContaining({ reason: "timeout", note: expect.stringContaining("60 s") })])
    // The user's two turns and the agent's first were played and stored before the wedged turn.
    expect(stream.filter((e) => e._tag === "MessageSent" && !e.setup).map((e) => (e._tag === "MessageSent" ? e.text : null))).toEqual([
      "Please add one.",
      "Hello, what can I do?",
      "Still there?",
    ])
    expect(agent.calls).toBe(2)
  })

  it("time spent between turns counts: past the limit, the next turn is not asked for", async () => {
    // Every append takes 40 s of clock time: after the second stored hop the limit has passed.
    const agent = turns([say("Hello."), say("Anything else?")])
    const user = turns([say("Hi."), say("Thanks."), say("Bye.")])
    const { final, stream } = await Effect.runPromise(play({ agent, user }, Effect.void, 40_000))
    expect(final.ended).toBe("timeout")
    expect(ended(stream)).toHaveLength(1)
    // The user's turn (40 s), the agent's (80 s); the user is not asked again.
    expect([user.calls, agent.calls]).toEqual([1, 1])
  })

  it("an episode that ends within its limit ends as it would without one", async () => {
    const agent = turns([say("Hello.")])
    const user = turns([say("Hi."), say("###STOP###")])
    const { final } = await Effect.runPromise(play({ agent, user }, Effect.void))
    expect(final.ended).toBe("user_stop")
  })

  it("time the stored history was already played counts: a resumed episode does not get its whole limit again", async () => {
    // Each append takes 40 s; 30 s were played before (another process or worker): the limit passes after the first stored hop.
    const agent = turns([say("Hello."), say("Anything else?")])
    const user = turns([say("Hi."), say("Thanks."), say("Bye.")])
    const fresh = await Effect.runPromise(
      play({ agent: turns([say("Hello."), say("Anything else?")]), user: turns([say("Hi."), say("Thanks.")]) }, Effect.void, 40_000),
    )
    const resumed = await Effect.runPromise(play({ agent, user }, Effect.void, 40_000, root, 30_000))
    expect(resumed.final.ended).toBe("timeout")
    // Fresh: two turns fit (40 s, 80 s); with 30 s already played, only the user's first (70 s).
    expect(fresh.stream.filter((e) => e._tag === "MessageSent" && !e.setup)).toHaveLength(2)
    expect([user.calls, agent.calls]).toEqual([1, 0])
  })

  it("playedMs sums the stored stream's gaps; an inherited prefix, a clock gone backwards and a pause longer than the limit do not count", () => {
    const at = (seq: number, recordedAt: string) => ({ episodeId: "ep", seq, recordedAt, event: root })
    const own = [at(1, "2026-12-01T10:00:00.000Z"), at(2, "2026-12-01T10:00:30.000Z"), at(3, "2026-12-01T10:00:42.500Z")]
    expect(playedMs({ episodeId: "ep", inherited: [at(1, "2026-11-30T10:00:00.000Z")], own })).toBe(42_500)
    expect(playedMs({ episodeId: "ep", inherited: [], own: [own[0]] })).toBe(0)
    expect(playedMs({ episodeId: "ep", inherited: [], own: [...own].reverse() })).toBe(0)
    // Played 30 s, stopped, resumed the next day and played 10 s: a 60 s limit sees 40 s played, not a day.
    const twice = [...own.slice(0, 2), at(3, "2026-12-02T10:00:00.000Z"), at(4, "2026-12-02T10:00:10.000Z")]
    expect(playedMs({ episodeId: "ep", inherited: [], own: twice }, LIMIT_MS)).toBe(40_000)
  })
})
