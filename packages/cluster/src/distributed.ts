/**
 * `--distributed`: a run's (or an experiment cell's) units played by the cluster's runners instead
 * of this process, with the same checks first (the domain, the participants, the run's identity:
 * `ensureRun`) and the same progress after (each episode's summary as it ends, the model-call
 * totals added to this process's runtime, so a command prints what a local run prints).
 */
import { type Domain, DomainResolver } from "@tau-sim/engine"
import { ModelRuntime, type UsageTotals } from "@tau-sim/models"
import { type EpisodeSummary, ensureRun, participantsFor, type RunConfig, type RunUnitsOptions, trialSeeds } from "@tau-sim/runs"
import { Effect } from "effect"
import { layerClient } from "./layers.ts"
import type { CallOptions, UnitOutcome } from "./protocol.ts"
import { cleanUp, DistributedUnitsFailed, submitUnits, type Unit, type UnitFailure } from "./submit.ts"

export interface DistributedOptions {
  /** The Postgres URL of the store, which the cluster's tables share. */
  readonly url: string
  readonly calls: CallOptions
  /** Told of each unit that came back failed (the command's progress line). */
  readonly onFailure?: (failure: UnitFailure) => void
}

/** The units of a run, trial-major as a local run enumerates them. */
export const unitsOf = (config: RunConfig): ReadonlyArray<Unit> =>
  trialSeeds(config.seed, config.trials).flatMap((seed, trial) => config.taskIds.map((taskId) => ({ runId: config.runId, taskId, trial, seed })))

const addUsage = (totals: UsageTotals, usage: UnitOutcome["usage"]) => {
  totals.calls += usage.calls
  totals.cachedCalls += usage.cachedCalls
  totals.failedCalls += usage.failedCalls
  totals.cost += usage.cost
  totals.unpricedCalls += usage.unpricedCalls
}

const summaryOf = (o: UnitOutcome): EpisodeSummary => ({
  run_id: o.runId,
  episode_id: o.episodeId,
  task_id: o.taskId,
  trial: o.trial,
  termination_reason: o.terminationReason,
  reward: o.reward,
  ran: o.ran,
})

/**
 * Plays the units of a run already created as `config` on the cluster and waits for them (the
 * distributed `executeRunUnits`). Every unit that came back is reported; if some failed, it fails
 * with `DistributedUnitsFailed` after the others are done and the cluster's rows are cleaned up.
 */
export const executeUnitsOnCluster =
  (options: DistributedOptions) =>
  (config: RunConfig, _domain: Domain, onEpisode: (s: EpisodeSummary) => void, unitOptions: RunUnitsOptions = {}) =>
    Effect.gen(function* () {
      const runtime = yield* ModelRuntime
      const units = unitsOf(config)
      const order = new Map(units.map((u, i) => [`${u.taskId}\u0000${u.trial}`, i]))
      const { outcomes, failures } = yield* Effect.scoped(
        Effect.gen(function* () {
          const result = yield* submitUnits(
            units,
            options.calls,
            {
              onOutcome: (o) => {
                addUsage(runtime.totals, o.usage)
                // A unit already finished before this submission is reported as a local run reports it: not at all.
                if (o.ran) onEpisode(summaryOf(o))
              },
              onFailure: (f) => options.onFailure?.(f),
            },
            unitOptions.retryErrors ?? false,
          )
          yield* cleanUp(units)
          return result
        }).pipe(Effect.provide(layerClient(options.url))),
      )
      if (failures.length > 0) return yield* new DistributedUnitsFailed({ failed: failures.length, total: units.length, first: failures[0].reason })
      // In the run's unit order, as a local run returns them.
      return outcomes.map(summaryOf).sort((a, b) => (order.get(`${a.task_id}\u0000${a.trial}`) ?? 0) - (order.get(`${b.task_id}\u0000${b.trial}`) ?? 0))
    })

/** The distributed `executeRun`: checks and creates the run here, then plays its units on the cluster. */
export const executeRunOnCluster =
  (options: DistributedOptions) =>
  (config: RunConfig, onEpisode: (s: EpisodeSummary) => void, unitOptions: RunUnitsOptions = {}) =>
    Effect.gen(function* () {
      const domain = yield* (yield* DomainResolver).resolve(config)
      yield* participantsFor(config)
      yield* ensureRun(config, domain)
      return yield* executeUnitsOnCluster(options)(config, domain, onEpisode, unitOptions)
    })
