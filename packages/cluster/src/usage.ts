/**
 * What a distributed submission's units stored while it followed them, read from the event store:
 * the model calls (for the command's totals) and whether anything was played at all. A unit can be
 * played by several deliveries (its runner died or stalled, the shard moved): each one's calls are
 * in the episode's stream, while a reply tells only of the delivery that sent it.
 */
import { callCost, EventStore, type ModelCalled, type StoreError } from "@tau-sim/engine"
import type { UsageTotals } from "@tau-sim/models"
import { attemptId, episodeIdFor } from "@tau-sim/runs"
import { Effect } from "effect"
import type { Unit } from "./submit.ts"

/** Stored version of each attempt of a unit (absent: not stored yet). */
export type Versions = ReadonlyMap<string, number>

/** The versions of the unit's attempts now (its episode, then its retries `_r1`, `_r2`, ...). */
export const versionsOf = (unit: Unit): Effect.Effect<Versions, StoreError, EventStore> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const base = episodeIdFor(unit.runId, unit.taskId, unit.trial)
    const versions = new Map<string, number>()
    for (let k = 0; ; k++) {
      const row = yield* store.getEpisode(attemptId(base, k))
      if (row === undefined) return versions
      versions.set(row.episodeId, row.version)
    }
  })

export interface StoredSince {
  /** Events stored in any attempt of the unit since `before`. */
  readonly events: number
  readonly usage: Pick<UsageTotals, "calls" | "failedCalls" | "cachedCalls" | "promptTokens" | "completionTokens" | "cost" | "unpricedCalls">
}

/** What the unit's attempts stored since `before` (its versions when the submission started). */
export const storedSince = (unit: Unit, before: Versions): Effect.Effect<StoredSince, StoreError, EventStore> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const usage = { calls: 0, failedCalls: 0, cachedCalls: 0, promptTokens: 0, completionTokens: 0, cost: 0, unpricedCalls: 0 }
    let events = 0
    for (const [episodeId, version] of yield* versionsOf(unit)) {
      const from = before.get(episodeId) ?? 0
      if (version <= from) continue
      for (const { event } of yield* store.read(episodeId, { fromSeq: from })) {
        events++
        if (event._tag !== "ModelCalled") continue
        const call = event as ModelCalled
        usage.calls++
        if (call.error !== null) usage.failedCalls++
        else if ((call.response as { cached?: unknown } | null)?.cached !== undefined) usage.cachedCalls++
        else {
          usage.promptTokens += call.usage.promptTokens
          usage.completionTokens += call.usage.completionTokens
          const cost = callCost(call)
          if (cost === null) usage.unpricedCalls++
          else usage.cost += cost
        }
      }
    }
    return { events, usage }
  })
