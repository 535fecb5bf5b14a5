/**
 * Store conformance, episodes read model: the `episodes` rows kept in the append's transaction: status, termination reason, version,
 * parent, filters, start order.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { agentMessage, ended, started, userMessage } from "../sample-events.ts"
import { type StoreFactory, withStore } from "./support.ts"

export const readModelConformance = (name: string, makeStore: StoreFactory): void => {
  const using = withStore(makeStore)

  describe(`${name} store conformance: episodes read model`, () => {
    it.effect("maintains the episodes read model: status, reason, version, parent, filters, start order", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("a", 0, [started("a", { runId: "r1", taskId: "t1", trial: 0 })])
          let a = yield* store.getEpisode("a")
          assert.deepStrictEqual(a, {
            episodeId: "a",
            runId: "r1",
            domain: "airline",
            taskId: "t1",
            trial: 0,
            status: "running",
            terminationReason: null,
            version: 1,
            parentEpisodeId: null,
            parentSeq: null,
            reward: null,
          })
          yield* store.append("a", 1, [agentMessage(), userMessage("hello")])
          a = yield* store.getEpisode("a")
          assert.strictEqual(a?.version, 3)
          assert.strictEqual(a?.status, "running")
          yield* store.append("a", 3, [ended("max_steps")])
          a = yield* store.getEpisode("a")
          assert.deepStrictEqual([a?.status, a?.terminationReason, a?.version], ["ended", "max_steps", 4])

          // A branch started and ended in one append; its parent is recorded.
          yield* store.append("b", 0, [started("b", { runId: "r2", taskId: "t1", trial: 1, parent: { episodeId: "a", seq: 2 } }), ended("too_many_errors")])
          const b = yield* store.getEpisode("b")
          assert.deepStrictEqual(
            [b?.runId, b?.trial, b?.status, b?.terminationReason, b?.version, b?.parentEpisodeId, b?.parentSeq],
            ["r2", 1, "ended", "too_many_errors", 2, "a", 2],
          )
          yield* store.append("c", 0, [started("c", { runId: "r1", taskId: "t2" })])

          const ids = (rows: ReadonlyArray<{ readonly episodeId: string }>) => rows.map((r) => r.episodeId)
          assert.deepStrictEqual(ids(yield* store.listEpisodes()), ["a", "b", "c"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({})), ["a", "b", "c"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({ runId: "r1" })), ["a", "c"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({ status: "ended" })), ["a", "b"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({ status: "running" })), ["c"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({ runId: "r1", status: "ended" })), ["a"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({ runId: "nope" })), [])
          const c = yield* store.getEpisode("c")
          assert.deepStrictEqual(yield* store.listEpisodes({ runId: "r1", status: "running" }), c ? [c] : [])
          assert.isUndefined(yield* store.getEpisode("missing"))
        }),
      ),
    )
  })
}
