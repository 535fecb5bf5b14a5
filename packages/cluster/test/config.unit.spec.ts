/**
 * The cluster's pure parts: the shard count every process must agree on, the units a distributed
 * run submits (exactly a local run's), and which flags differ when a submission joins stored messages.
 */
import { unitsOfRun } from "@tau-sim/runs"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { BadShardCount, DEFAULT_SHARDS, shardCount } from "../src/config.ts"
import { unitsOf } from "../src/distributed.ts"
import { differingSettings } from "../src/pending.ts"

describe("the shard count", () => {
  it("is the default unless TAU_CLUSTER_SHARDS gives a whole number ≥ 1", () => {
    expect(Effect.runSync(shardCount({}))).toBe(DEFAULT_SHARDS)
    expect(Effect.runSync(shardCount({ TAU_CLUSTER_SHARDS: "" }))).toBe(DEFAULT_SHARDS)
    expect(Effect.runSync(shardCount({ TAU_CLUSTER_SHARDS: "7" }))).toBe(7)
    for (const given of ["abc", "0", "-3", "2.5", "1e400"]) {
      const exit = Effect.runSyncExit(shardCount({ TAU_CLUSTER_SHARDS: given }))
      expect(Exit.isFailure(exit), given).toBe(true)
      const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      expect(error?._tag === "Fail" ? error.error : undefined).toBeInstanceOf(BadShardCount)
    }
    expect(new BadShardCount({ given: "abc" }).message).toContain('got "abc"')
  })
})

describe("a distributed run's units", () => {
  it("are the local run's units, in its order and with its seeds, under the run's id", () => {
    const config = { runId: "r1", seed: 300, trials: 3, taskIds: ["a", "b"] } as unknown as Parameters<typeof unitsOf>[0]
    const units = unitsOf(config)
    expect(units.map(({ runId, ...u }) => u)).toEqual(unitsOfRun(config))
    expect(units.map((u) => `${u.runId}/${u.taskId}#${u.trial}`)).toEqual(["r1/a#0", "r1/b#0", "r1/a#1", "r1/b#1", "r1/a#2", "r1/b#2"])
    // Each trial has its own seed, the same for every task of the trial.
    expect(new Set(units.map((u) => u.seed)).size).toBe(3)
  })
})

describe("joining stored messages", () => {
  it("names exactly the flags whose values differ, whatever the key order", () => {
    const stored = { calls: { timeoutMs: 1000, maxRetries: 2, rateLimits: { openai: 5, anthropic: 1 }, cache: false }, retryErrors: false }
    expect(
      differingSettings(stored, { calls: { cache: false, rateLimits: { anthropic: 1, openai: 5 }, maxRetries: 2, timeoutMs: 1000 }, retryErrors: false }),
    ).toEqual([])
    expect(differingSettings(stored, { ...stored, calls: { ...stored.calls, rateLimits: { openai: 6, anthropic: 1 } }, retryErrors: true })).toEqual([
      "--rate-limit",
      "--retry-errors",
    ])
    expect(differingSettings(stored, { ...stored, maxAttempts: 3 })).toEqual(["--max-attempts"])
  })
})
