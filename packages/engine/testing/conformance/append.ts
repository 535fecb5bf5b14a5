/**
 * Store conformance, append: `append(episodeId, expectedVersion, events)` numbers events from 0 without gaps and returns the new
 * version; optimistic concurrency: a stale or future expected version is a typed `VersionConflict` and writes nothing, and
 * a batch that breaks the stream's shape or holds invalid events writes nothing.
 */
import * as fc from "fast-check"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type { EpisodeEvent } from "../../src/events.ts"
import { StoreError, VersionConflict } from "../../src/store/event-store.ts"
import { agentMessage, arbLaterEvent, ended, fullEpisode, splitAt, started, toolExecuted, userMessage, wellFormed } from "../sample-events.ts"
import { type StoreFactory, withStore, events, seqs } from "./support.ts"

export const appendConformance = (name: string, makeStore: StoreFactory): void => {
  const using = withStore(makeStore)

  describe(`${name} store conformance: append`, () => {
    it.effect("round-trips one event of every type, with seq 0.. and one recordedAt per append", () =>
      using((store) =>
        Effect.gen(function* () {
          const episode = fullEpisode("ep-1")
          const version = yield* store.append("ep-1", 0, episode)
          assert.strictEqual(version, episode.length)
          const stored = yield* store.read("ep-1")
          assert.deepStrictEqual(events(stored), episode)
          assert.deepStrictEqual(seqs(stored), [0, 1, 2, 3, 4, 5, 6])
          assert.isTrue(stored.every((s) => s.episodeId === "ep-1"))
          assert.strictEqual(new Set(stored.map((s) => s.recordedAt)).size, 1)
          // An ISO 8601 instant (which one is the Clock's: see the times suite).
          assert.strictEqual(new Date(Date.parse(stored[0].recordedAt)).toISOString(), stored[0].recordedAt)
        }),
      ),
    )

    it.effect("keeps seq gapless across appends and returns the new version each time", () =>
      using((store) =>
        Effect.gen(function* () {
          assert.strictEqual(yield* store.append("ep", 0, [started("ep")]), 1)
          assert.strictEqual(yield* store.append("ep", 1, [agentMessage(), userMessage("hi"), agentMessage(null)]), 4)
          assert.strictEqual(yield* store.append("ep", 4, []), 4)
          assert.strictEqual(yield* store.append("ep", 4, [toolExecuted(), ended()]), 6)
          const stored = yield* store.read("ep")
          assert.deepStrictEqual(seqs(stored), [0, 1, 2, 3, 4, 5])
          assert.deepStrictEqual(
            stored.map((s) => s.event._tag),
            ["EpisodeStarted", "MessageSent", "MessageSent", "MessageSent", "ToolExecuted", "EpisodeEnded"],
          )
          assert.deepStrictEqual(yield* store.read("other"), [])
        }),
      ),
    )

    it.effect("rejects a stale or future expected version with a typed VersionConflict and loses nothing", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep"), agentMessage()])
          for (const expected of [0, 1, 3]) {
            const error = yield* Effect.flip(store.append("ep", expected, [userMessage(`stale ${expected}`)]))
            assert.instanceOf(error, VersionConflict)
            assert.strictEqual(error._tag, "VersionConflict")
            if (error._tag === "VersionConflict") {
              assert.deepStrictEqual([error.episodeId, error.expected, error.actual], ["ep", expected, 2])
            }
          }
          const fresh = yield* Effect.flip(store.append("new", 1, [started("new")]))
          assert.strictEqual(fresh._tag, "VersionConflict")
          // An empty append still checks the version.
          assert.strictEqual((yield* Effect.flip(store.append("ep", 5, [])))._tag, "VersionConflict")
          assert.deepStrictEqual(events(yield* store.read("ep")), [started("ep"), agentMessage()])
          assert.strictEqual((yield* store.getEpisode("ep"))?.version, 2)
          assert.deepStrictEqual(yield* store.read("new"), [])
          assert.isUndefined(yield* store.getEpisode("new"))
        }),
      ),
    )

    it.effect("lets exactly one of two writers with the same expected version win", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep")])
          const results = yield* Effect.all([store.append("ep", 1, [userMessage("writer A")]), store.append("ep", 1, [userMessage("writer B")])], {
            concurrency: "unbounded",
            mode: "result",
          })
          const winners = results.filter((r) => r._tag === "Success")
          const losers = results.filter((r) => r._tag === "Failure")
          assert.strictEqual(winners.length, 1)
          assert.strictEqual(losers.length, 1)
          assert.strictEqual(losers[0]._tag === "Failure" && losers[0].failure._tag, "VersionConflict")
          const stored = yield* store.read("ep")
          assert.strictEqual(stored.length, 2)
          const winner = results[0]._tag === "Success" ? "writer A" : "writer B"
          assert.deepStrictEqual(stored[1].event, userMessage(winner))
        }),
      ),
    )

    it.effect("serialises many concurrent writers that retry on conflict: every event lands exactly once", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep")])
          const writer = (id: number) =>
            Effect.forEach(
              [0, 1, 2, 3, 4],
              (i) => {
                const attempt: Effect.Effect<number, StoreError> = Effect.flatMap(store.read("ep"), (current) =>
                  store.append("ep", current.length, [userMessage(`w${id}-${i}`)]),
                ).pipe(Effect.catchTag("VersionConflict", () => Effect.yieldNow.pipe(Effect.flatMap(() => attempt))))
                return attempt
              },
              { discard: true },
            )
          yield* Effect.all([0, 1, 2, 3].map(writer), { concurrency: "unbounded" })
          const stored = yield* store.read("ep")
          assert.deepStrictEqual(
            seqs(stored),
            Array.from({ length: 21 }, (_, i) => i),
          )
          const texts = stored.slice(1).map((s) => (s.event._tag === "MessageSent" ? s.event.text : null))
          const expected = [0, 1, 2, 3].flatMap((w) => [0, 1, 2, 3, 4].map((i) => `w${w}-${i}`))
          assert.deepStrictEqual([...texts].sort(), [...expected].sort())
          // Each writer's own events keep their order.
          for (let w = 0; w < 4; w++) {
            const own = texts.filter((t) => t?.startsWith(`w${w}-`))
            assert.deepStrictEqual(
              own,
              [0, 1, 2, 3, 4].map((i) => `w${w}-${i}`),
            )
          }
          assert.strictEqual((yield* store.getEpisode("ep"))?.version, 21)
        }),
      ),
    )

    it.effect("rejects appends that break the stream's shape or hold invalid events, writing nothing", () =>
      using((store) =>
        Effect.gen(function* () {
          const rejected = (effect: Effect.Effect<number, VersionConflict | StoreError>) =>
            Effect.map(Effect.flip(effect), (error) => {
              assert.instanceOf(error, StoreError)
              return error.message
            })
          assert.match(yield* rejected(store.append("ep", 0, [agentMessage()])), /start with EpisodeStarted/)
          assert.match(yield* rejected(store.append("ep", 0, [started("someone-else")])), /someone-else/)
          assert.match(yield* rejected(store.append("ep", -1, [started("ep")])), /non-negative/)
          yield* store.append("ep", 0, [started("ep")])
          assert.match(yield* rejected(store.append("ep", 1, [agentMessage(), started("ep")])), /seq 2/)
          const invalid = { ...agentMessage(), role: "robot" } as unknown as EpisodeEvent
          assert.match(yield* rejected(store.append("ep", 1, [agentMessage(), invalid])), /event 1 of the append/)
          // Nothing follows an EpisodeEnded: not in the same batch, nor in a later one.
          assert.match(yield* rejected(store.append("ep", 1, [ended(), agentMessage()])), /ep has ended: MessageSent at seq 2/)
          assert.match(yield* rejected(store.append("ep", 1, [ended(), ended()])), /has ended/)
          assert.deepStrictEqual(events(yield* store.read("ep")), [started("ep")])
          assert.strictEqual((yield* store.getEpisode("ep"))?.version, 1)
          yield* store.append("ep", 1, [ended()])
          assert.match(yield* rejected(store.append("ep", 2, [userMessage("too late")])), /has ended/)
          assert.deepStrictEqual(events(yield* store.read("ep")), [started("ep"), ended()])
          assert.strictEqual((yield* store.getEpisode("ep"))?.status, "ended")
        }),
      ),
    )

    it.effect("property: any events split into any batches read back exactly, in order and by range", () =>
      using((store) =>
        Effect.promise(() => {
          let n = 0
          return fc.assert(
            fc.asyncProperty(
              fc.array(arbLaterEvent, { maxLength: 25 }),
              fc.array(fc.nat(), { maxLength: 6 }),
              fc.nat(),
              fc.nat(),
              async (later, cuts, a, b) => {
                const episodeId = `prop-${n++}`
                const all = wellFormed(started(episodeId), later)
                let version = 0
                for (const batch of splitAt(all, cuts)) {
                  const next = await Effect.runPromise(store.append(episodeId, version, batch))
                  assert.strictEqual(next, version + batch.length)
                  version = next
                }
                const stored = await Effect.runPromise(store.read(episodeId))
                assert.deepStrictEqual(events(stored), all)
                assert.deepStrictEqual(
                  seqs(stored),
                  all.map((_, i) => i),
                )
                const [from, to] = [a % (all.length + 1), b % (all.length + 1)].sort((x, y) => x - y)
                const range = await Effect.runPromise(store.read(episodeId, { fromSeq: from, toSeq: to }))
                assert.deepStrictEqual(events(range), all.slice(from, to))
                const row = await Effect.runPromise(store.getEpisode(episodeId))
                const lastEnd = all.find((e) => e._tag === "EpisodeEnded")
                assert.strictEqual(row?.version, all.length)
                assert.strictEqual(row?.status, lastEnd ? "ended" : "running")
                assert.strictEqual(row?.terminationReason, lastEnd?._tag === "EpisodeEnded" ? lastEnd.reason : null)
              },
            ),
            { numRuns: 60 },
          )
        }),
      ),
    )

    it.effect("property: a batch appended at a stale version never changes the stream", () =>
      using((store) =>
        Effect.promise(() => {
          let n = 0
          return fc.assert(
            fc.asyncProperty(
              fc.array(arbLaterEvent, { minLength: 1, maxLength: 10 }),
              fc.array(arbLaterEvent, { minLength: 1, maxLength: 5 }),
              fc.nat(),
              async (first, intruder, stale) => {
                const episodeId = `stale-${n++}`
                const all = wellFormed(started(episodeId), first)
                await Effect.runPromise(store.append(episodeId, 0, all))
                const expected = stale % all.length // always behind the stream
                const exit = await Effect.runPromiseExit(store.append(episodeId, expected, intruder))
                assert.isTrue(Exit.isFailure(exit))
                assert.deepStrictEqual(events(await Effect.runPromise(store.read(episodeId))), all)
              },
            ),
            { numRuns: 40 },
          )
        }),
      ),
    )
  })
}
