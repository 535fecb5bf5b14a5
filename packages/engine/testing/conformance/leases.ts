/**
 * Store conformance, leases: one holder at a time; a live holder is refused and named, a dead one on this host
 * is taken over, one on another host is trusted while its heartbeat is fresh.
 */
import { hostname } from "node:os"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type StoreFactory, withStore, deadPid, holder } from "./support.ts"

export const leasesConformance = (name: string, makeStore: StoreFactory): void => {
  const using = withStore(makeStore)

  describe(`${name} store conformance: leases`, () => {
    it.effect("leases: one holder at a time; a live holder is refused, a dead one on this host is taken over", () =>
      using((store) =>
        Effect.gen(function* () {
          const day = 24 * 60 * 60 * 1000
          assert.deepStrictEqual(yield* store.acquireLease("run:r1", holder("a"), day), { acquired: true })
          // Another holder while "a" (this live process) heartbeats: refused, told who holds it.
          assert.deepStrictEqual(yield* store.acquireLease("run:r1", holder("b", { acquiredAt: "later" }), day), {
            acquired: false,
            holder: holder("a"),
          })
          // Re-acquiring one's own lease succeeds and keeps the first acquisition time.
          assert.deepStrictEqual(yield* store.acquireLease("run:r1", holder("a", { acquiredAt: "again" }), day), { acquired: true })
          assert.isTrue(yield* store.renewLease("run:r1", "a"))
          assert.isFalse(yield* store.renewLease("run:r1", "b"))
          assert.isFalse(yield* store.renewLease("run:other", "a"))
          // Other names are independent.
          assert.deepStrictEqual(yield* store.acquireLease("run:r2", holder("b"), day), { acquired: true })
          // Releasing someone else's lease does nothing; one's own frees it.
          yield* store.releaseLease("run:r1", "b")
          assert.isFalse((yield* store.acquireLease("run:r1", holder("c"), day)).acquired)
          yield* store.releaseLease("run:r1", "a")
          assert.isFalse(yield* store.renewLease("run:r1", "a"))
          assert.deepStrictEqual(yield* store.acquireLease("run:r1", holder("c"), day), { acquired: true })

          // A holder on this host whose process is gone is taken over at once, however fresh its heartbeat.
          const dead = holder("dead", { pid: deadPid() })
          assert.deepStrictEqual(yield* store.acquireLease("run:r3", dead, day), { acquired: true })
          assert.deepStrictEqual(yield* store.acquireLease("run:r3", holder("next"), day), { acquired: true })
          assert.isFalse(yield* store.renewLease("run:r3", "dead"))
          // A holder on another host cannot be checked: its fresh heartbeat is trusted.
          const remote = holder("remote", { pid: deadPid(), host: `not-${hostname()}` })
          assert.deepStrictEqual(yield* store.acquireLease("run:r4", remote, day), { acquired: true })
          assert.deepStrictEqual(yield* store.acquireLease("run:r4", holder("local"), day), { acquired: false, holder: remote })
        }),
      ),
    )
  })
}
