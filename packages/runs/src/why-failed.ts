/**
 * Why an episode failed, for `tau show` and the viewer: the failed parts of its reported score's
 * breakdown, and, when it says `db_match: false`, which database paths differ from the gold,
 * computed now by today's evaluator from the episode's log (the stored breakdown does not say).
 */
import { episodeDbDifferences, failureReasons, dbMismatched, type FailureReasons } from "@tau-sim/evaluators"
import type { EventStore } from "@tau-sim/engine"
import { Effect, Result } from "effect"
import { type ReplayedEpisode, taskOfEpisode } from "@tau-sim/replay"

/** A task that cannot be found or an evaluator that raises leaves the paths uncomputed, saying why; the rest stands. */
export const whyItFailed = (loaded: ReplayedEpisode, breakdown: unknown): Effect.Effect<FailureReasons, never, EventStore> =>
  Effect.gen(function* () {
    if (!dbMismatched(breakdown)) return failureReasons(breakdown)
    const task = yield* Effect.result(taskOfEpisode(loaded))
    if (Result.isFailure(task)) return failureReasons(breakdown, task.failure.message)
    const differences = episodeDbDifferences(loaded.domain, task.success, loaded.final)
    return failureReasons(breakdown, Result.isFailure(differences) ? differences.failure.message : differences.success)
  })
