/**
 * The lease around work on a run (in process, in-memory store, TestClock for the heartbeat): a
 * second worker is refused while the first holds it, it is free again once the first is done,
 * and a worker whose lease was taken over stops instead of racing the new holder.
 */
import { EventStore, makeMemoryStore } from "@tau-sim/engine"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { LEASE_STALE_AFTER_MS, LeaseBusy, LeaseLost, runLease, withLease } from "../src/lease.ts"

const inStore = <A, E>(body: Effect.Effect<A, E, EventStore>) => {
  const store = makeMemoryStore().store
  return Effect.runPromise(body.pipe(Effect.provide(Layer.merge(Layer.succeed(EventStore, store), TestClock.layer()))) as Effect.Effect<A, never, never>)
}

describe("withLease", () => {
  it("refuses a second worker while the first holds the lease, and frees it when the first ends", async () => {
    const outcome = await inStore(
      Effect.gen(function* () {
        const lease = runLease("R")
        let inside: () => void = () => {}
        const entered = new Promise<void>((resolve) => (inside = resolve))
        const first = yield* Effect.forkChild(
          Effect.gen(function* () {
            inside()
            yield* Effect.sleep("1 hour")
          }).pipe(withLease(lease)),
        )
        yield* Effect.promise(() => entered)
        const second = yield* Effect.flip(Effect.succeed("ran").pipe(withLease(lease)))
        // Later in the first one's work (heartbeats renewed it meanwhile), still refused.
        yield* TestClock.adjust("30 minutes")
        const third = yield* Effect.flip(Effect.succeed("ran").pipe(withLease(lease)))
        yield* TestClock.adjust("31 minutes")
        yield* Fiber.join(first)
        const afterwards = yield* Effect.succeed("ran").pipe(withLease(lease))
        return { second, third, afterwards }
      }),
    )
    expect(outcome.second).toBeInstanceOf(LeaseBusy)
    expect(outcome.second.message).toContain(`run R is being run or resumed by pid ${process.pid}`)
    expect(outcome.third).toBeInstanceOf(LeaseBusy)
    expect(outcome.afterwards).toBe("ran")
  })

  it("stops the work when another worker took the lease over (our heartbeat had stalled)", async () => {
    const error = await inStore(
      Effect.gen(function* () {
        const store = yield* EventStore
        const lease = runLease("R")
        let inside: () => void = () => {}
        const entered = new Promise<void>((resolve) => (inside = resolve))
        const work = yield* Effect.forkChild(
          Effect.gen(function* () {
            inside()
            yield* Effect.never
          }).pipe(withLease(lease), Effect.flip),
        )
        yield* Effect.promise(() => entered)
        // Another host saw the heartbeat as stale and took over.
        const other = { id: "other", pid: 1, host: "elsewhere", acquiredAt: new Date().toISOString() }
        expect(yield* store.acquireLease(lease.name, other, -1)).toEqual({ acquired: true })
        yield* TestClock.adjust(LEASE_STALE_AFTER_MS)
        const failure = yield* Fiber.join(work)
        // The new holder keeps its lease: the stopped worker does not release it.
        const still = yield* store.acquireLease(lease.name, { ...other, id: "third" }, LEASE_STALE_AFTER_MS)
        return { failure, still }
      }),
    )
    expect(error.failure).toBeInstanceOf(LeaseLost)
    expect(error.still).toMatchObject({ acquired: false, holder: { id: "other" } })
  })
})
