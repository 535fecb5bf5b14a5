import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { EventStore } from "../../src/store/event-store.ts"
import { layerMemory, makeMemoryStore } from "../../src/store/memory.ts"
import { runEventStoreConformance, started } from "@tau-sim/engine/testing"

runEventStoreConformance("memory", makeMemoryStore)

describe("layerMemory", () => {
  it.effect("provides an empty store to each program it is provided to", () =>
    Effect.gen(function* () {
      const appendOne = Effect.gen(function* () {
        const store = yield* EventStore
        return yield* store.append("ep", 0, [started("ep")])
      })
      assert.strictEqual(yield* Effect.provide(appendOne, layerMemory), 1)
      assert.strictEqual(yield* Effect.provide(appendOne, layerMemory), 1)
    }),
  )
})
