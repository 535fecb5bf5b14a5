/**
 * What a runner (`tau worker`) does with a `RunUnit` message: plays the unit as a local run would
 * (`runUnit` of @tau-sim/runs: the latest attempt resumed from its last stored event, or started;
 * retried on infrastructure errors; scored), on the run's configuration read from the store, with
 * the model calls made as the submission asked and limited across the cluster (limits.ts).
 *
 * A drain (SIGTERM) lets every episode finish the hop it is in: a participant's next turn does not
 * start (it parks), and once every episode has parked or ended, the runner leaves the cluster and
 * its shards, with their unfinished messages, go to the other runners.
 */
import { type Domain, DomainResolver, EventStore, type Participant, ParticipantFactory, type ParticipantFactoryShape, type StoreError } from "@tau-sim/engine"
import { isModelSpec, makeModelRuntime, ModelRuntime, modelParticipants, pricesOfRecord, redactText, storeResponseCache, unlimited } from "@tau-sim/models"
import {
  decodeRunConfig,
  type EpisodeSummary,
  episodeIdFor,
  episodeLease,
  LeaseBusy,
  type LeaseLost,
  mismatchOf,
  type RunConfig,
  runUnit,
  storedRunConfig,
  withLease,
} from "@tau-sim/runs"
import { Cause, Effect, type Layer, Semaphore } from "effect"
import { CLUSTER_TIMINGS } from "./config.ts"
import { ClusterLimits } from "./limits.ts"
import { type CallOptions, EpisodeEntity, UnitFailed, type UnitOutcome } from "./protocol.ts"

export interface RunnerOptions {
  /** This runner's address, `host:port` (in logs and replies). */
  readonly runner: string
  /** Units played at once on this runner; further deliveries wait for a turn. */
  readonly maxConcurrency: number
  /** Where the runner says what it does (one line each). */
  readonly log: (line: string) => void
}

/** The state of a drain: once started, participants park before their next turn. */
export interface Drain {
  /** Starts the drain; completes when no episode on this runner is between hops any more. */
  readonly drain: Effect.Effect<void>
  /** Episodes being played now (not parked). */
  readonly busy: () => number
}

interface DrainState {
  draining: boolean
  busy: number
  /** Called whenever `busy` drops (the drain waits for 0). */
  wake: (() => void) | null
}

/** A participant whose turns park once the drain started: its episode stops at the hop boundary it reached. */
const parkingParticipant = (p: Participant, state: DrainState, onPark: Effect.Effect<void>): Participant => ({
  spec: p.spec,
  act: (input) => Effect.suspend(() => (state.draining ? Effect.andThen(onPark, Effect.never) : p.act(input))),
})

/** The provider of a model spec (`openai`, `anthropic`, `compat`), for its concurrency cap. */
const providerOf = (spec: string): string | null => (isModelSpec(spec) ? spec.slice(0, spec.indexOf(":")) : null)

/** Participants over `runtime` whose model turns hold a cluster slot of their provider when it has a cap. */
const cappedParticipants = (
  base: ParticipantFactoryShape,
  calls: CallOptions,
  limits: typeof ClusterLimits.Service,
  wrap: (p: Participant) => Participant,
): ParticipantFactoryShape => ({
  publicSpec: base.publicSpec,
  make: (spec, side) =>
    Effect.map(base.make(spec, side), (p) => {
      const provider = providerOf(spec)
      const cap = provider === null ? undefined : calls.concurrency[provider]
      const capped: Participant = cap === undefined || provider === null ? p : { spec: p.spec, act: (input) => limits.withSlot(provider, cap, p.act(input)) }
      return wrap(capped)
    }),
})

/** The entity's layer on a runner, and its drain. */
export const makeRunner = (options: RunnerOptions) =>
  Effect.gen(function* () {
    const state: DrainState = { draining: false, busy: 0, wake: null }
    const permits = yield* Semaphore.make(options.maxConcurrency)
    // One domain per run and data, loaded once per runner (a base database is loaded once, then shared).
    const domains = new Map<string, Domain>()

    const handle = (payload: {
      readonly runId: string
      readonly taskId: string
      readonly trial: number
      readonly seed: number
      readonly calls: CallOptions
      readonly retryErrors: boolean
      readonly maxAttempts?: number | undefined
    }): Effect.Effect<UnitOutcome, UnitFailed, EventStore | DomainResolver | ClusterLimits> => {
      const episodeId = episodeIdFor(payload.runId, payload.taskId, payload.trial)
      const label = `episode ${episodeId} (run ${payload.runId}, task ${payload.taskId}, trial ${payload.trial})`
      // Counted as busy from its permit until it ends or parks (a drain waits for none busy).
      let counted = false
      const enter = () => {
        counted = true
        state.busy++
      }
      const leave = () => {
        if (!counted) return
        counted = false
        state.busy--
        state.wake?.()
      }
      const fail = (reason: string) => new UnitFailed({ episodeId, runId: payload.runId, runner: options.runner, reason: redactText(reason) })
      const play = Effect.gen(function* () {
        const store = yield* EventStore
        const limits = yield* ClusterLimits
        const record = yield* store.getRun(payload.runId)
        if (!record) return yield* fail(`no run ${payload.runId} in the store`)
        const stored = yield* decodeRunConfig(record)
        if (stored.kind !== "run" && stored.kind !== "cell") return yield* fail(`run ${payload.runId} is ${stored.kind}, not a run or an experiment cell`)
        const { kind: _kind, ...config } = stored
        // A submission's --max-attempts (a resume's override) is how this process runs it, not what the run is.
        const runConfig: RunConfig = { ...(config as RunConfig), ...(payload.maxAttempts === undefined ? {} : { maxAttempts: payload.maxAttempts }) }
        const key = `${payload.runId}\u0000${runConfig.dataDir ?? ""}`
        let domain = domains.get(key)
        if (!domain) {
          domain = yield* (yield* DomainResolver).resolve(runConfig)
          // This runner's data must be the run's (another machine may have other data).
          const mismatch = mismatchOf(payload.runId, stored, storedRunConfig(runConfig, domain), domain)
          if (mismatch) return yield* mismatch
          domains.set(key, domain)
        }
        const runtime = makeModelRuntime({
          timeoutMs: payload.calls.timeoutMs,
          maxRetries: payload.calls.maxRetries,
          cache: payload.calls.cache ? storeResponseCache(store) : null,
          userPrices: runConfig.pricing ? pricesOfRecord(runConfig.pricing.user) : {},
        })
        // The rate limits hold across the cluster: the runtime's limiter is the shared bucket.
        const limited = {
          ...runtime,
          limiter: (rateKey: string, provider: string) => {
            const rate = payload.calls.rateLimits[rateKey] ?? payload.calls.rateLimits[provider]
            return rate === undefined ? unlimited : limits.rateLimiter(rateKey, rate)
          },
        }
        let parked = false
        const onPark = Effect.sync(() => {
          parked = true
          options.log(`${label}: handed over after its current hop (draining)`)
          leave()
        })
        const participants = cappedParticipants(modelParticipants(limited), payload.calls, limits, (p) => parkingParticipant(p, state, onPark))
        const before = yield* store.getEpisode(episodeId)
        options.log(
          `${label}: ${before === undefined ? "started" : before.status === "ended" ? "scoring or checking (already ended)" : `resumed from event ${before.version}`}`,
        )
        const unit = { taskId: payload.taskId, trial: payload.trial, seed: payload.seed }
        const playUnit = runUnit(runConfig, domain, unit, () => {}, { retryErrors: payload.retryErrors }).pipe(
          Effect.provideService(ParticipantFactory, participants),
          Effect.provideService(ModelRuntime, limited),
        )
        const summary = yield* playHeld(episodeId, label, playUnit, options.log).pipe(
          // Said in the log too: a shard that moved to a joining runner takes its episodes with it.
          Effect.onInterrupt(() =>
            parked
              ? Effect.void
              : Effect.sync(() =>
                  options.log(`${label}: interrupted (its shard moved, or this runner stops); another runner continues it from its last event`),
                ),
          ),
        )
        const t = limited.totals
        options.log(`${label}: ${summary.termination_reason}, reward ${summary.reward ?? "-"}${t.calls > 0 ? ` (${t.calls} model calls)` : ""}`)
        return {
          runId: payload.runId,
          episodeId: summary.episode_id,
          taskId: summary.task_id,
          trial: summary.trial,
          terminationReason: summary.termination_reason,
          reward: summary.reward,
          ran: summary.ran,
          runner: options.runner,
          usage: { calls: t.calls, cachedCalls: t.cachedCalls, failedCalls: t.failedCalls, cost: t.cost, unpricedCalls: t.unpricedCalls },
        } satisfies UnitOutcome
      })
      return permits
        .withPermits(1)(
          Effect.suspend(() => {
            if (state.draining) return Effect.never
            enter()
            return Effect.ensuring(play, Effect.sync(leave))
          }),
        )
        .pipe(
          // An interruption (the entity moved, the runner drains or stops) is not an outcome: the message stays unprocessed and is delivered again.
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.failCause(cause as Cause.Cause<never>)
              : Effect.fail(
                  cause.reasons.some((r) => r._tag === "Fail" && r.error instanceof UnitFailed) ? (Cause.squash(cause) as UnitFailed) : fail(describe(cause)),
                ),
          ),
        )
    }

    const drain: Effect.Effect<void> = Effect.callback<void>((resume) => {
      state.draining = true
      const check = () => {
        if (state.busy <= 0) {
          state.wake = null
          resume(Effect.void)
        }
      }
      state.wake = check
      check()
    })

    const layer = EpisodeEntity.toLayer(
      EpisodeEntity.of({
        RunUnit: (envelope) => handle(envelope.payload),
      }),
      { maxIdleTime: CLUSTER_TIMINGS.entityMaxIdleTime },
    )
    return { layer, drain: { drain, busy: () => state.busy } satisfies Drain }
  })

/** How often a delivery waiting for an episode another process plays asks again. */
const LEASE_POLL_MS = 1_000
/** Re-reads after a conflict before the delivery gives up (each follows another writer's progress, so a few suffice). */
const MAX_REREADS = 20

/**
 * Plays a unit holding its episode lease, the one a local `tau run|--resume` takes too: two
 * processes never play one episode at once. The lease held by a live process (a local resume, or
 * a runner that stalled past its shard lock, so the unit was delivered again here) is waited for.
 * A `VersionConflict` or `LeaseLost` says that another delivery moved the episode on meanwhile: the
 * episode is read again (`runUnit` reads it from the store): ended and scored, its outcome is the
 * reply (not played by this delivery); else it continues from the new last event.
 */
const playHeld = <E, R>(
  episodeId: string,
  label: string,
  play: Effect.Effect<EpisodeSummary, E, R>,
  log: (line: string) => void,
): Effect.Effect<EpisodeSummary, E | LeaseBusy | LeaseLost | StoreError, R | EventStore> => {
  let waitingLogged = false
  const attempt = (rereads: number): Effect.Effect<EpisodeSummary, E | LeaseBusy | LeaseLost | StoreError, R | EventStore> =>
    play.pipe(
      withLease(episodeLease(episodeId)),
      Effect.catch((error): Effect.Effect<EpisodeSummary, E | LeaseBusy | LeaseLost | StoreError, R | EventStore> => {
        if (error instanceof LeaseBusy) {
          if (!waitingLogged) log(`${label}: waiting: ${error.message}`)
          waitingLogged = true
          return Effect.andThen(Effect.sleep(LEASE_POLL_MS), attempt(rereads))
        }
        const tag = (error as { readonly _tag?: unknown })._tag
        if ((tag === "VersionConflict" || tag === "LeaseLost") && rereads < MAX_REREADS) {
          log(`${label}: another delivery moved it on (${tag}); reading it again`)
          return attempt(rereads + 1)
        }
        return Effect.fail(error)
      }),
    )
  return attempt(0)
}

/** The one line a failure says (its message), for a `UnitFailed`. */
const describe = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  return error instanceof Error && error.message ? error.message : String(error)
}

export type RunnerLayer = Layer.Layer<never, never, EventStore | DomainResolver | ClusterLimits | import("effect/cluster").Sharding.Sharding>
