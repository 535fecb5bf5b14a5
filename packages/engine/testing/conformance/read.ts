/**
 * Store conformance, read: `read` (whole stream or a `[fromSeq, toSeq)` range, old versions upcast, an unreadable row a
 * `StoreError` naming episode and seq), `readRaw` (rows exactly as written) and `listStreamIds`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { chainHash } from "../../src/store/chain.ts"
import { StoreError } from "../../src/store/event-store.ts"
import { agentMessage, ended, episodeStartedV1Json, fullEpisode, started } from "../sample-events.ts"
import { type StoreFactory, withStore, writeRaw, events, seqs, integrityOf } from "./support.ts"

export const readConformance = (name: string, makeStore: StoreFactory): void => {
  const using = withStore(makeStore)

  describe(`${name} store conformance: read`, () => {
    it.effect("reads ranges with an inclusive start and exclusive end", () =>
      using((store) =>
        Effect.gen(function* () {
          const episode = fullEpisode("ep")
          yield* store.append("ep", 0, episode)
          assert.deepStrictEqual(seqs(yield* store.read("ep", { fromSeq: 2 })), [2, 3, 4, 5, 6])
          assert.deepStrictEqual(seqs(yield* store.read("ep", { toSeq: 3 })), [0, 1, 2])
          assert.deepStrictEqual(seqs(yield* store.read("ep", { fromSeq: 1, toSeq: 4 })), [1, 2, 3])
          assert.deepStrictEqual(events(yield* store.read("ep", { fromSeq: 5, toSeq: 6 })), [episode[5]])
          assert.deepStrictEqual(yield* store.read("ep", { fromSeq: 3, toSeq: 3 }), [])
          assert.deepStrictEqual(yield* store.read("ep", { fromSeq: 7 }), [])
          assert.deepStrictEqual(yield* store.read("ep", { fromSeq: 4, toSeq: 2 }), [])
          assert.deepStrictEqual(seqs(yield* store.read("ep", { fromSeq: 0, toSeq: 100 })), [0, 1, 2, 3, 4, 5, 6])
        }),
      ),
    )

    it.effect("upcasts a stored v1 EpisodeStarted to v2 on read", () =>
      using((store, handle) =>
        Effect.gen(function* () {
          yield* writeRaw(handle, {
            episodeId: "old",
            seq: 0,
            recordedAt: "2024-06-01T00:00:00.000Z",
            tag: "EpisodeStarted",
            v: 1,
            body: episodeStartedV1Json("old"),
          })
          const [first] = yield* store.read("old")
          assert.strictEqual(first.recordedAt, "2024-06-01T00:00:00.000Z")
          assert.deepStrictEqual(first.event, {
            _tag: "EpisodeStarted",
            v: 2,
            runId: "run-old",
            episodeId: "old",
            domain: "retail",
            taskId: "3",
            trial: 2,
            hashes: { task: "a", policy: "b", data: "c" },
            dataDir: null,
            policyVariant: "default",
            mode: "default",
            agent: "llm:gpt-4o",
            user: "llm:gpt-4o",
            seed: 42,
            limits: { maxSteps: 200, maxErrors: 10 },
            engineVersion: "0.0.1",
            parent: null,
          })
          // The old stream continues at the next seq.
          assert.strictEqual(yield* store.append("old", 1, [ended()]), 2)
        }),
      ),
    )

    it.effect("fails a read of an unreadable row with a StoreError naming episode and seq", () =>
      using((store, handle) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep"), agentMessage()])
          const raw = { episodeId: "ep", recordedAt: "2025-01-01T00:00:00.000Z", tag: "MessageSent", v: 1 }
          yield* writeRaw(handle, { ...raw, seq: 2, body: '{"_tag":"MessageSent","v":1,"role":"agent"' })
          const error = yield* Effect.flip(store.read("ep"))
          assert.instanceOf(error, StoreError)
          assert.deepStrictEqual([error.episodeId, error.seq], ["ep", 2])
          assert.match(error.message, /ep#2/)
          // The rows before it are still readable.
          assert.strictEqual((yield* store.read("ep", { toSeq: 2 })).length, 2)
          yield* writeRaw(handle, { ...raw, seq: 3, tag: "Teleported", body: '{"_tag":"Teleported","v":1}' })
          const unknownTag = yield* Effect.flip(store.read("ep", { fromSeq: 3 }))
          assert.deepStrictEqual([unknownTag.episodeId, unknownTag.seq], ["ep", 3])
        }),
      ),
    )

    it.effect("listStreamIds names every stream with events, in first-write order, read model or not", () =>
      using((store, handle) =>
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* store.listStreamIds(), [])
          yield* store.append("b", 0, [started("b")])
          yield* store.append("a", 0, [started("a")])
          yield* store.append("b", 1, [agentMessage()])
          // A row written raw (no read-model row) is still a stream.
          yield* writeRaw(handle, { episodeId: "orphan", seq: 0, recordedAt: "2026-01-01T00:00:00.000Z", tag: "MessageSent", v: 1, body: "{}" })
          assert.deepStrictEqual(yield* store.listStreamIds(), ["b", "a", "orphan"])
          assert.deepStrictEqual(
            (yield* store.listEpisodes()).map((e) => e.episodeId),
            ["b", "a"],
          )
        }),
      ),
    )

    it.effect("readRaw returns raw rows as written, unreadable ones included, with their hash or null", () =>
      using((store, handle) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep")])
          const raw = { episodeId: "ep", recordedAt: "2025-01-01T00:00:00.000Z", tag: "MessageSent", v: 1 }
          yield* writeRaw(handle, { ...raw, seq: 1, body: "not json" })
          yield* writeRaw(handle, { ...raw, seq: 2, body: "{}", hash: "f".repeat(64) })
          const rows = yield* store.readRaw("ep")
          assert.deepStrictEqual(rows.slice(1), [
            { ...raw, seq: 1, body: "not json", hash: null },
            { ...raw, seq: 2, body: "{}", hash: "f".repeat(64) },
          ])
          // The checker reports them instead of failing.
          const report = yield* integrityOf(store, "ep")
          assert.deepStrictEqual(
            report.findings.filter((f) => f.kind !== "read-model").map((f) => [f.seq, f.kind, f.looksLike]),
            [
              [1, "unreadable", undefined],
              [2, "unreadable", undefined],
              [1, "chain", "unsealed"],
              [2, "chain", "edited"],
            ],
          )
          // A stream continues after an unsealed row, chaining from the start value.
          yield* store.append("ep", 3, [ended()])
          const last = (yield* store.readRaw("ep"))[3]
          assert.strictEqual(last.hash, chainHash("ep", "f".repeat(64), 3, last.tag, last.v, last.body))
        }),
      ),
    )
  })
}
