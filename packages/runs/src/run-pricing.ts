/**
 * Recording the prices a run's model calls are costed with (`RunPricing` in its configuration), so
 * that a later report or export knows what was assumed. A run continued with other prices (a
 * resume, another fork into the same forks run) records them over the earlier ones.
 */
import { EventStore } from "@tau-sim/engine"
import { Effect } from "effect"
import { decodeRunConfig, encodeRunConfig, mergePricing, type RunPricing } from "./run-config.ts"

/** Adds `pricing` to the stored configuration of `runId` (nothing when it already says so, or the run is an import or gone). */
export const recordRunPricing = (runId: string, pricing: RunPricing) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const run = yield* store.getRun(runId)
    if (!run) return
    const stored = yield* decodeRunConfig(run)
    if (stored.kind === "import") return
    const merged = mergePricing(stored.pricing, pricing)
    if (JSON.stringify(merged) === JSON.stringify(stored.pricing)) return
    yield* store.putRun({ ...run, config: encodeRunConfig({ ...stored, pricing: merged }) })
  })
