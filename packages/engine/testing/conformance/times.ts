/**
 * Store conformance, times: what a store records as a time (an event's `recordedAt`, a lease's heartbeat) is Effect's
 * `Clock`, never the machine's, so a test fixes it with a `TestClock`.
 */
import { hostname } from "node:os"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { started, userMessage } from "../sample-events.ts"
import { holder, type StoreFactory, withStore } from "./support.ts"

const AT = Date.UTC(2031, 0, 2, 3, 4, 5)

export const timesConformance = (name: string, makeStore: StoreFactory): void => {
  const using = withStore(makeStore)

  describe(`${name} store conformance: times`, () => {
    it.effect("under a TestClock, an append's recordedAt and a lease's heartbeat are the Clock's time", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* TestClock.setTime(AT)
          yield* store.append("ep-t", 0, [started("ep-t")])
          yield* TestClock.adjust(1000)
          yield* store.append("ep-t", 1, [userMessage("hi"), userMessage("again")])
          const stored = yield* store.read("ep-t")
          assert.deepStrictEqual(
            stored.map((s) => s.recordedAt),
            [new Date(AT).toISOString(), new Date(AT + 1000).toISOString(), new Date(AT + 1000).toISOString()],
          )

          // A holder on another host cannot be checked for life: only its heartbeat's age on the Clock makes it stale.
          const staleAfterMs = 60_000
          const remote = holder("remote", { host: `not-${hostname()}` })
          const other = holder("local")
          assert.deepStrictEqual(yield* store.acquireLease("run:t", remote, staleAfterMs), { acquired: true })
          yield* TestClock.adjust(staleAfterMs)
          assert.deepStrictEqual(yield* store.acquireLease("run:t", other, staleAfterMs), { acquired: false, holder: remote })
          // A renewal heartbeats at the Clock's time: the lease is fresh for staleAfterMs from now, and stale just after.
          assert.isTrue(yield* store.renewLease("run:t", "remote"))
          yield* TestClock.adjust(staleAfterMs)
          assert.deepStrictEqual(yield* store.acquireLease("run:t", other, staleAfterMs), { acquired: false, holder: remote })
          yield* TestClock.adjust(1)
          assert.deepStrictEqual(yield* store.acquireLease("run:t", other, staleAfterMs), { acquired: true })
        }),
      ),
    )
  })
}
