/**
 * Store conformance, hash chain: every row's hash covers its episode, seq, tag, version, body and the
 * previous hash, and a stream written only through `append` has no integrity findings.
 */
import * as fc from "fast-check"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { agentMessage, arbLaterEvent, ended, modelCalled, splitAt, started, toolExecuted, userMessage, wellFormed } from "../sample-events.ts"
import { type StoreFactory, withStore, score, expectedHashes, integrityOf } from "./support.ts"

export const chainConformance = (name: string, makeStore: StoreFactory): void => {
  const using = withStore(makeStore)

  describe(`${name} store conformance: hash chain`, () => {
    it.effect("chains every row: each stored hash covers its episode, seq, tag, version, body and the previous hash", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep"), agentMessage()])
          yield* store.append("ep", 2, [])
          yield* store.append("ep", 2, [userMessage("hi"), toolExecuted(), modelCalled(), ended()])
          yield* store.append("other", 0, [started("other"), agentMessage()])
          const rows = yield* store.readRaw("ep")
          assert.deepStrictEqual(
            rows.map((r) => r.seq),
            [0, 1, 2, 3, 4, 5],
          )
          assert.isTrue(rows.every((r) => r.episodeId === "ep" && typeof r.hash === "string" && /^[0-9a-f]{64}$/.test(r.hash)))
          assert.deepStrictEqual(
            rows.map((r) => r.hash),
            expectedHashes(rows),
          )
          // The rows are the stored ones: reading them decoded gives the same events.
          assert.deepStrictEqual(
            rows.map((r) => JSON.parse(r.body)._tag),
            rows.map((r) => r.tag),
          )
          // Same content in another episode hashes differently (the episode is part of the chain).
          const other = yield* store.readRaw("other")
          assert.notStrictEqual(other[1].hash, rows[1].hash)
          assert.deepStrictEqual(yield* store.readRaw("missing"), [])
          // Appended through the store, nothing was hashed at an upgrade.
          assert.isUndefined(yield* store.chainSeal("ep"))
          assert.deepStrictEqual((yield* integrityOf(store, "ep")).findings, [])
        }),
      ),
    )

    it.effect("property: a stream written only through append has no integrity findings", () =>
      using((store) =>
        Effect.promise(() => {
          let n = 0
          return fc.assert(
            fc.asyncProperty(
              fc.array(arbLaterEvent, { maxLength: 25 }),
              fc.array(fc.nat(), { maxLength: 6 }),
              fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
              async (later, cuts, rewards) => {
                const episodeId = `check-${n++}`
                let version = 0
                const batches = splitAt(wellFormed(started(episodeId, { parent: n % 2 ? { episodeId: "p", seq: 3 } : null }), later), cuts)
                for (const [i, batch] of batches.entries()) {
                  const scores = i === batches.length - 1 ? rewards.map((r) => score(episodeId, r)) : []
                  version = await Effect.runPromise(store.append(episodeId, version, batch, { scores }))
                }
                const report = await Effect.runPromise(integrityOf(store, episodeId))
                assert.deepStrictEqual(report.findings, [])
                assert.strictEqual(report.events, version)
              },
            ),
            { numRuns: 60 },
          )
        }),
      ),
    )
  })
}
