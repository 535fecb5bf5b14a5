/**
 * Store conformance, lifecycle: a closed store fails every operation with a `StoreError`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { StoreError } from "../../src/store/event-store.ts"
import { ended, started } from "../sample-events.ts"
import { closeStore, openStore, type StoreFactory, score, holder } from "./support.ts"

export const lifecycleConformance = (name: string, makeStore: StoreFactory): void => {
  describe(`${name} store conformance: lifecycle`, () => {
    it.effect("fails every operation with a StoreError once closed", () =>
      Effect.gen(function* () {
        const handle = yield* openStore(makeStore)
        yield* handle.store.append("ep", 0, [started("ep")])
        yield* closeStore(handle)
        yield* closeStore(handle)
        const errors = yield* Effect.all([
          Effect.flip(handle.store.append("ep", 1, [ended()])),
          Effect.flip(handle.store.read("ep")),
          Effect.flip(handle.store.listEpisodes()),
          Effect.flip(handle.store.listRuns()),
          Effect.flip(handle.store.appendScore(score("ep", 1))),
          Effect.flip(handle.store.readRaw("ep")),
          Effect.flip(handle.store.createRun({ runId: "r", createdAt: "x", config: {}, experiment: null })),
          Effect.flip(handle.store.acquireLease("l", holder("a"), 1000)),
        ])
        for (const error of errors) assert.instanceOf(error, StoreError)
      }),
    )
  })
}
