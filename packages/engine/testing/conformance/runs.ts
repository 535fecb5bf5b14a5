/**
 * Store conformance, runs: `putRun` / `getRun` / `listRuns`, and `createRun`, which inserts once and never
 * overwrites (of racing creators exactly one wins).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { StoreError } from "../../src/store/event-store.ts"
import { type StoreFactory, withStore } from "./support.ts"

export const runsConformance = (name: string, makeStore: StoreFactory): void => {
  const using = withStore(makeStore)

  describe(`${name} store conformance: runs`, () => {
    it.effect("stores runs: put, get, list in first-put order, put again replaces in place", () =>
      using((store) =>
        Effect.gen(function* () {
          const run1 = {
            runId: "r1",
            createdAt: "2025-01-01T00:00:00.000Z",
            config: { domain: "airline", trials: 4, seed: 300, temperature: 0.5, participants: { agent: "llm" } },
            experiment: null,
          }
          const run2 = { runId: "r2", createdAt: "2024-12-31T00:00:00.000Z", config: {}, experiment: "ablation" }
          yield* store.putRun(run1)
          yield* store.putRun(run2)
          assert.deepStrictEqual(yield* store.getRun("r1"), run1)
          assert.deepStrictEqual(yield* store.getRun("r2"), run2)
          assert.isUndefined(yield* store.getRun("r3"))
          assert.deepStrictEqual(yield* store.listRuns(), [run1, run2])
          const updated = { ...run1, config: { ...run1.config, trials: 5 }, experiment: "exp" }
          yield* store.putRun(updated)
          assert.deepStrictEqual(yield* store.listRuns(), [updated, run2])
          const notJson = yield* Effect.flip(store.putRun({ ...run2, config: { f: 1n } }))
          assert.instanceOf(notJson, StoreError)
          assert.deepStrictEqual(yield* store.getRun("r2"), run2)
        }),
      ),
    )

    it.effect("createRun inserts a run once and never overwrites it; of racing creators one wins", () =>
      using((store) =>
        Effect.gen(function* () {
          const run = { runId: "r1", createdAt: "2025-01-01T00:00:00.000Z", config: { domain: "airline", trials: 2 }, experiment: null }
          assert.deepStrictEqual(yield* store.createRun(run), { created: true, run })
          const other = { ...run, createdAt: "2026-01-01T00:00:00.000Z", config: { domain: "retail" }, experiment: "x" }
          assert.deepStrictEqual(yield* store.createRun(other), { created: false, run })
          assert.deepStrictEqual(yield* store.getRun("r1"), run)
          const racers = [0, 1, 2, 3].map((i) => ({ ...run, runId: "r2", config: { racer: i } }))
          const results = yield* Effect.all(
            racers.map((r) => store.createRun(r)),
            { concurrency: "unbounded" },
          )
          assert.strictEqual(results.filter((r) => r.created).length, 1)
          const winner = results.find((r) => r.created)?.run
          assert.isTrue(results.every((r) => JSON.stringify(r.run) === JSON.stringify(winner)))
          assert.deepStrictEqual(yield* store.getRun("r2"), winner)
          assert.instanceOf(yield* Effect.flip(store.createRun({ ...run, runId: "r3", config: { f: 1n } })), StoreError)
          assert.isUndefined(yield* store.getRun("r3"))
        }),
      ),
    )
  })
}
