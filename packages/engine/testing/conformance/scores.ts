/**
 * Store conformance, scores: appended, never overwritten, oldest first, the latest reward on the episode row; scores
 * passed to `append` land with its events or not at all.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type ScoreRecord, StoreError } from "../../src/store/event-store.ts"
import type { ModelCalled } from "../../src/events.ts"
import { ended, fullEpisode, modelCalled, started } from "../sample-events.ts"
import { type StoreFactory, withStore, score, integrityOf } from "./support.ts"

export const scoresConformance = (name: string, makeStore: StoreFactory): void => {
  const using = withStore(makeStore)

  describe(`${name} store conformance: scores`, () => {
    it.effect("keeps every score, oldest first, and puts the latest reward on the episode row", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep"), ended()])
          yield* store.append("other", 0, [started("other")])
          yield* store.appendScore(score("ep", 1))
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 1)
          yield* store.appendScore(score("ep", 0.25, "tau2-rescored"))
          const listed = yield* store.listScores("ep")
          assert.deepStrictEqual(listed, [score("ep", 1), score("ep", 0.25, "tau2-rescored")])
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 0.25)
          assert.isNull((yield* store.getEpisode("other"))?.reward)
          assert.deepStrictEqual(yield* store.listScores("other"), [])
          // Scoring does not touch the stream's version.
          assert.strictEqual((yield* store.getEpisode("ep"))?.version, 2)

          const unknown = yield* Effect.flip(store.appendScore(score("missing", 1)))
          assert.instanceOf(unknown, StoreError)
          assert.match(unknown.message, /missing/)
          const notFinite = yield* Effect.flip(store.appendScore(score("ep", Number.NaN)))
          assert.instanceOf(notFinite, StoreError)
          const notJson = yield* Effect.flip(store.appendScore({ ...score("ep", 0), breakdown: { big: 1n } }))
          assert.instanceOf(notJson, StoreError)
          assert.strictEqual((yield* store.listScores("ep")).length, 2)
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 0.25)
        }),
      ),
    )

    it.effect("only the τ² family's scores are the episode's reward; other evaluator sets are stored beside it", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep"), ended()], { scores: [score("ep", 1), score("ep", 0.2, "support-desk")] })
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 1)
          yield* store.appendScore(score("ep", 0.4, "support-desk"))
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 1)
          yield* store.appendScore(score("ep", 0.5, "tau2-original"))
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 0.5)
          assert.deepStrictEqual(
            (yield* store.listScores("ep")).map((s) => [s.evaluator, s.reward]),
            [
              ["tau2", 1],
              ["support-desk", 0.2],
              ["support-desk", 0.4],
              ["tau2-original", 0.5],
            ],
          )
          // An episode scored only by another set has no reward.
          yield* store.append("other", 0, [started("other"), ended()], { scores: [score("other", 1, "support-desk")] })
          assert.isNull((yield* store.getEpisode("other"))?.reward)
        }),
      ),
    )

    it.effect("appends scores with the events: events, read model and scores together", () =>
      using((store) =>
        Effect.gen(function* () {
          const version = yield* store.append("ep", 0, fullEpisode("ep"), { scores: [score("ep", 1), score("ep", 0.5, "tau2-second")] })
          assert.strictEqual(version, 7)
          assert.deepStrictEqual(yield* store.listScores("ep"), [score("ep", 1), score("ep", 0.5, "tau2-second")])
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 0.5)
          assert.strictEqual((yield* store.getEpisode("ep"))?.version, 7)
          // An empty batch stores its scores too, after the version check.
          assert.strictEqual(yield* store.append("ep", 7, [], { scores: [score("ep", 0.25)] }), 7)
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 0.25)
          assert.deepStrictEqual((yield* integrityOf(store, "ep")).findings, [])
          // Later batches of an existing stream.
          yield* store.append("b", 0, [started("b")])
          yield* store.append("b", 1, [ended()], { scores: [score("b", 0)] })
          assert.deepStrictEqual([(yield* store.getEpisode("b"))?.status, (yield* store.getEpisode("b"))?.reward], ["ended", 0])
        }),
      ),
    )

    it.effect("keeps the model calls behind a score (a judge's) with it, read back exactly; scores without any read as before", () =>
      using((store) =>
        Effect.gen(function* () {
          const judge = (overrides: Partial<ModelCalled>): ModelCalled => ({ ...modelCalled(), participant: "judge", ...overrides })
          const failed = judge({ attempt: 1, error: "server (HTTP 500): down", response: { error: { kind: "server" } }, cost: 0, requestHash: "j".repeat(64) })
          const answered = judge({ attempt: 2, cost: 0.0042, requestHash: "j".repeat(64) })
          const judged: ScoreRecord = { ...score("ep", 0), modelCalls: [failed, answered] }
          yield* store.append("ep", 0, [started("ep"), ended()], { scores: [score("ep", 1)] })
          yield* store.appendScore(judged)
          const listed = yield* store.listScores("ep")
          assert.deepStrictEqual(listed, [score("ep", 1), judged])
          assert.isFalse("modelCalls" in listed[0])
          // The episode's stream is untouched: the judge's calls are not events.
          assert.strictEqual((yield* store.readRaw("ep")).length, 2)
          assert.deepStrictEqual((yield* integrityOf(store, "ep")).findings, [])
          // A score's model calls must be model call events.
          const notACall = yield* Effect.flip(store.appendScore({ ...score("ep", 1), modelCalls: [started("ep") as unknown as ModelCalled] }))
          assert.instanceOf(notACall, StoreError)
          assert.match(notACall.message, /model call 0 is not a valid ModelCalled event/)
          const badCost = yield* Effect.flip(store.appendScore({ ...score("ep", 1), modelCalls: [judge({ cost: Number.NaN })] }))
          assert.instanceOf(badCost, StoreError)
          assert.strictEqual((yield* store.listScores("ep")).length, 2)
        }),
      ),
    )

    it.effect("a judge's recorded answer is found by its request hash (after the streams' calls), its failed attempts never", () =>
      using((store) =>
        Effect.gen(function* () {
          const hash = "q".repeat(64)
          const judge = (overrides: Partial<ModelCalled>): ModelCalled => ({ ...modelCalled(), participant: "judge", requestHash: hash, ...overrides })
          yield* store.append("a", 0, [started("a"), ended()])
          yield* store.append("b", 0, [started("b"), ended()])
          yield* store.appendScore({ ...score("a", 0), modelCalls: [judge({ error: "timeout: no answer", response: { error: "x" } })] })
          assert.isUndefined(yield* store.findModelResponse(hash))
          const first = judge({ attempt: 2, cost: 0.5 })
          yield* store.appendScore({ ...score("b", 1), modelCalls: [judge({ requestHash: "r".repeat(64) }), first] })
          yield* store.appendScore({ ...score("a", 1), modelCalls: [judge({ cost: 0.25 })] })
          assert.deepStrictEqual(yield* store.findModelResponse(hash), first)
          assert.strictEqual((yield* store.findModelResponse("r".repeat(64)))?.requestHash, "r".repeat(64))
          // A call in an episode's stream comes first.
          const inStream: ModelCalled = { ...modelCalled(), requestHash: hash, cost: 9 }
          yield* store.append("c", 0, [started("c"), inStream])
          assert.deepStrictEqual(yield* store.findModelResponse(hash), inStream)
        }),
      ),
    )

    it.effect("an append whose scores cannot be stored stores nothing at all", () =>
      using((store) =>
        Effect.gen(function* () {
          const rejected = (scores: ReadonlyArray<ScoreRecord>, episodeId = "ep", version = 0) =>
            Effect.flip(store.append(episodeId, version, version === 0 ? fullEpisode(episodeId) : [ended()], { scores }))
          const nan = yield* rejected([score("ep", 1), score("ep", Number.NaN)])
          assert.instanceOf(nan, StoreError)
          assert.match(nan.message, /finite/)
          assert.match((yield* rejected([score("ep", 1), score("another", 1)])).message, /another/)
          assert.instanceOf(yield* rejected([{ ...score("ep", 1), breakdown: { big: 1n } }]), StoreError)
          assert.deepStrictEqual(yield* store.readRaw("ep"), [])
          assert.isUndefined(yield* store.getEpisode("ep"))
          assert.deepStrictEqual(yield* store.listScores("ep"), [])
          // On an existing stream: neither the events, the version nor a score change.
          yield* store.append("ep", 0, [started("ep")])
          assert.instanceOf(yield* rejected([score("ep", Number.POSITIVE_INFINITY)], "ep", 1), StoreError)
          const conflict = yield* Effect.flip(store.append("ep", 0, [ended()], { scores: [score("ep", 1)] }))
          assert.strictEqual(conflict._tag, "VersionConflict")
          assert.strictEqual((yield* store.readRaw("ep")).length, 1)
          assert.deepStrictEqual([(yield* store.getEpisode("ep"))?.version, (yield* store.getEpisode("ep"))?.reward], [1, null])
          assert.deepStrictEqual(yield* store.listScores("ep"), [])
          // Scores of a stream with no episode row (written raw) are refused.
          const noRow = yield* Effect.flip(store.append("ghost", 0, [], { scores: [score("ghost", 1)] }))
          assert.match(noRow.message, /no such episode/)
        }),
      ),
    )
  })
}
