/**
 * The critical-turn analyses of an episode (`tau critical`: runs of kind `critical` whose samples
 * branch it), read as they stand by the runs package's `readCritical`: the estimate of success
 * per turn with its exact interval, and the critical turn, for the episode page's chart.
 */
import { formatCost } from "@tau-sim/engine"
import { readCritical } from "@tau-sim/runs"
import { Effect } from "effect"
import type { CriticalView, EpisodeCritical } from "../wire.ts"
import type { Catalog } from "./catalog.ts"

export type { CriticalView, EpisodeCritical }

/** Every analysis of `episodeId`, the latest first. */
export const criticalOfEpisode = (catalog: Catalog, episodeId: string) =>
  Effect.gen(function* () {
    const runs = (yield* catalog.runs()).filter((r) => r.kind === "critical" && r.branches_of === episodeId)
    const analyses: CriticalView[] = []
    for (const run of [...runs].reverse()) {
      const { samples: _samples, cost, ...result } = yield* readCritical(run.run_id)
      analyses.push({ ...result, cost_text: formatCost(cost) })
    }
    const out: EpisodeCritical = { episode_id: episodeId, analyses }
    return out
  })
