/**
 * Times recorded as data come from Effect's `Clock`: under a TestClock set to a fixed instant, a
 * run's `createdAt` and the lease its worker holds say that instant (not the machine's time).
 */
import { EventStore, makeMemoryStore } from "@tau-sim/engine"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { domain } from "../../replay/test/core/harness.ts"
import { executeRun, type RunConfig } from "../src/index.ts"
import { runServices, demoRunConfig } from "./services.ts"

const AT = Date.UTC(2031, 0, 2, 3, 4, 5)

const config: RunConfig = demoRunConfig("clocked", [domain.tasks[0].id])

describe("recorded times", () => {
  it("a run's createdAt and its lease's acquiredAt are the Clock's time", async () => {
    const store = makeMemoryStore().store
    let leaseSince: string | undefined
    const program = Effect.gen(function* () {
      yield* TestClock.setTime(AT)
      // What a second worker would be told about the holder, asked while the run is under way.
      const observed = Effect.gen(function* () {
        const r = yield* store.acquireLease("run:clocked", { id: "probe", pid: 1, host: "probe", acquiredAt: "" }, 60_000)
        if (!r.acquired) leaseSince = r.holder.acquiredAt
      })
      const summaries = yield* executeRun(config, () => Effect.runSync(observed))
      return { summaries, run: yield* store.getRun("clocked") }
    })
    const { summaries, run } = await Effect.runPromise(
      program.pipe(Effect.orDie, Effect.provide([Layer.succeed(EventStore, store), runServices(), TestClock.layer()])),
    )
    expect(summaries).toHaveLength(1)
    expect(run?.createdAt).toBe(new Date(AT).toISOString())
    expect(leaseSince).toBe(new Date(AT).toISOString())
  })
})
