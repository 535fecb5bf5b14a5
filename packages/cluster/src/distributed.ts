/**
 * `--distributed`: a run's (or an experiment cell's) units played by the cluster's runners instead
 * of this process, with the same checks first (the domain, the participants, the run's identity:
 * `ensureRun`) and the same progress after (each episode's summary as it ends, the model-call
 * totals added to this process's runtime, so a command prints what a local run prints).
 */
import { type Domain, DomainResolver, EventStore } from "@tau-sim/engine"
import { ModelRuntime, type UsageTotals } from "@tau-sim/models"
import { describeUrl } from "@tau-sim/store-pg/url"
import { type EpisodeSummary, ensureRun, participantsFor, type RunConfig, type RunUnitsOptions, unitsOfRun } from "@tau-sim/runs"
import { Effect } from "effect"
import { layerClient, layerPg } from "./layers.ts"
import { pendingUnits, RunOnCluster } from "./pending.ts"
import type { CallOptions, UnitOutcome } from "./protocol.ts"
import { cleanUp, DistributedUnitsFailed, submitUnits, type Unit, type UnitFailure } from "./submit.ts"
import { storedSince, type Versions, versionsOf } from "./usage.ts"

export interface DistributedOptions {
  /** The Postgres URL of the store, which the cluster's tables share. */
  readonly url: string
  readonly calls: CallOptions
  /** Told of each unit that came back failed (the command's progress line). */
  readonly onFailure?: (failure: UnitFailure) => void
  /** Told of units joined with other settings than this submission's (submit.ts). */
  readonly onWarning?: (line: string) => void
}

/** The units of a run, trial-major as a local run enumerates them. */
export const unitsOf = (config: RunConfig): ReadonlyArray<Unit> => unitsOfRun(config).map((unit) => ({ runId: config.runId, ...unit }))

const addUsage = (totals: UsageTotals, usage: StoredUsage) => {
  totals.calls += usage.calls
  totals.cachedCalls += usage.cachedCalls
  totals.failedCalls += usage.failedCalls
  totals.promptTokens += usage.promptTokens
  totals.completionTokens += usage.completionTokens
  totals.cost += usage.cost
  totals.unpricedCalls += usage.unpricedCalls
}
type StoredUsage = Effect.Success<ReturnType<typeof storedSince>>["usage"]

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
      const store = yield* EventStore
      const units = unitsOf(config)
      const order = new Map(units.map((u, i) => [`${u.taskId}\u0000${u.trial}`, i]))
      const key = (u: { readonly taskId: string; readonly trial: number }) => `${u.taskId}\u0000${u.trial}`
      // What each unit had stored before this submission: its calls and plays since then are this submission's.
      const before = new Map<string, Versions>()
      for (const u of units) before.set(key(u), yield* versionsOf(u).pipe(Effect.provideService(EventStore, store)))
      const ranHere = new Set<string>()
      const { outcomes, failures } = yield* Effect.scoped(
        Effect.gen(function* () {
          const result = yield* submitUnits(
            units,
            { calls: options.calls, retryErrors: unitOptions.retryErrors ?? false, maxAttempts: config.maxAttempts },
            {
              onOutcome: (o) =>
                Effect.gen(function* () {
                  const unit = units[order.get(key(o)) ?? 0]
                  // Totals from the stored calls: every delivery's (a reply tells of its own only).
                  const since = yield* storedSince(unit, before.get(key(o)) ?? new Map())
                  addUsage(runtime.totals, since.usage)
                  // Played during this submission, by whichever delivery: reported as a local run reports it.
                  // (A unit already finished before it is not reported, as a local resume does not.)
                  const ran = o.ran || since.events > 0
                  if (ran) ranHere.add(key(o))
                  if (ran) onEpisode({ ...summaryOf(o), ran })
                }).pipe(
                  Effect.provideService(EventStore, store),
                  Effect.orElseSucceed(() => {
                    if (o.ran) onEpisode(summaryOf(o))
                  }),
                ),
              onFailure: (f) => options.onFailure?.(f),
              ...(options.onWarning ? { onWarning: options.onWarning } : {}),
            },
          )
          yield* cleanUp(units)
          return result
        }).pipe(Effect.provide(layerClient(options.url))),
      )
      if (failures.length > 0) return yield* new DistributedUnitsFailed({ failed: failures.length, total: units.length, first: failures[0].reason })
      // In the run's unit order, as a local run returns them.
      return outcomes
        .map((o) => ({ ...summaryOf(o), ran: o.ran || ranHere.has(key(o)) }))
        .sort((a, b) => (order.get(`${a.task_id}\u0000${a.trial}`) ?? 0) - (order.get(`${b.task_id}\u0000${b.trial}`) ?? 0))
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

/**
 * Refuses (`RunOnCluster`) a local `--resume` of a run the cluster still has unanswered units of:
 * the workers and this process would play the same episodes at once (the episode lease would stop
 * one of them midway; this says so before anything starts).
 */
export const refuseIfOnCluster = (url: string, config: RunConfig) =>
  Effect.gen(function* () {
    const pending = yield* pendingUnits(unitsOf(config))
    if (pending.length > 0) return yield* new RunOnCluster({ runId: config.runId, pending: pending.length, store: describeUrl(url) })
  }).pipe(Effect.provide(layerPg(url)))
