/**
 * Runs: domains × tasks × trials as one resumable unit.
 *
 * Every (task, trial) has a deterministic episode id, so `--resume` can tell what is finished
 * (skipped), what is half-way (resumed from its last stored event) and what never started.
 * A run's configuration is fixed when it is created (`run-config.ts`); one process at a time
 * works on it (`lease.ts`). Each episode goes through the lifecycle in `lifecycle.ts`.
 */
import { createHash } from "node:crypto"
import {
  allEvents,
  type Domain,
  DomainResolver,
  type DomainRef,
  type EpisodeEvent,
  type EpisodeStarted,
  EventStore,
  type Mode,
  readHistory,
  type Task,
  taskHash,
  nowIso,
} from "@tau-sim/engine"
import { Effect, Random } from "effect"
import { episodeLease, runLease, withLease } from "./lease.ts"
import { branchEpisode, findTask, participantsFor, resumeEpisode, startEpisode } from "./lifecycle.ts"
import { decodeRunConfig, encodeRunConfig, mismatchOf, type PlainRunConfig, RUN_DEFAULTS, runHashes, type RunHashes, type RunPricing } from "./run-config.ts"
import { recordRunPricing } from "./run-pricing.ts"
import { trialSeeds } from "./seeds.ts"

export const ENGINE_VERSION = "0.1.0"

export interface RunConfig extends DomainRef {
  readonly runId: string
  readonly agent: string
  readonly user: string
  readonly mode: Mode
  readonly trials: number
  readonly seed: number
  readonly maxSteps: number
  readonly maxErrors: number
  readonly taskIds: ReadonlyArray<string>
  readonly maxConcurrency: number
  readonly experiment?: string | null
  /** Attempts per unit when an episode ends with `infrastructure_error` (default `RUN_DEFAULTS.maxAttempts`; not the run's identity). */
  readonly maxAttempts?: number
  /** The wall-clock limit of each episode in milliseconds (`--episode-timeout`): it ends as `timeout`. */
  readonly episodeTimeoutMs?: number
  /** Content hashes of the data, the selected tasks and the policy (filled in when the run is created). */
  readonly hashes?: RunHashes
  /** The prices its model calls are costed with (recorded with the run; a continuation with other prices adds them). */
  readonly pricing?: RunPricing
}

export interface EpisodeSummary {
  readonly run_id: string
  readonly episode_id: string
  readonly task_id: string
  readonly trial: number
  readonly termination_reason: string
  readonly reward: number | null
  /** Whether this invocation ran it (false: it was already finished). */
  readonly ran: boolean
}

/** A deterministic episode id: the sha256 of its parts (joined by NUL), so a rerun finds the same episodes. */
export const stableEpisodeId = (...parts: ReadonlyArray<string | number>): string =>
  `ep_${createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 12)}`

/** A fresh episode id (`ep_` and 12 hex digits) from Effect's Random, so a test can seed it. */
export const randomEpisodeId: Effect.Effect<string> = Effect.map(
  Effect.all([Random.nextIntBetween(0, 0xffffff), Random.nextIntBetween(0, 0xffffff)]),
  (halves) => `ep_${halves.map((h) => h.toString(16).padStart(6, "0")).join("")}`,
)

export const episodeIdFor = (runId: string, taskId: string, trial: number): string => stableEpisodeId(runId, taskId, trial)

/** Attempt 0 is the unit's episode; a retry k is `<id>_r<k>`. */
export const attemptId = (base: string, attempt: number): string => (attempt === 0 ? base : `${base}_r${attempt}`)

/** The unit an attempt belongs to: the episode id without its `_r<k>`. */
export const attemptBase = (episodeId: string): string => episodeId.replace(/_r\d+$/, "")

/** Whether `episodeId` is a retry of `parentId` (the next attempt of the same unit), not a fork of it. */
export const isRetryOf = (episodeId: string, parentId: string): boolean => episodeId !== parentId && attemptBase(episodeId) === attemptBase(parentId)

/**
 * The errored attempts that were retried, among `episodes` ([episode id, parent id] each): not
 * their unit's result (its retry is), wherever a run's numbers are counted (reports, compare, list).
 */
export const retriedAttempts = (episodes: Iterable<readonly [episodeId: string, parentId: string | null]>): ReadonlySet<string> => {
  const retried = new Set<string>()
  for (const [episodeId, parentId] of episodes) if (parentId !== null && isRetryOf(episodeId, parentId)) retried.add(parentId)
  return retried
}

const startedFor = (config: RunConfig, domain: Domain, task: Task, trial: number, seed: number): EpisodeStarted => ({
  _tag: "EpisodeStarted",
  v: 2,
  runId: config.runId,
  episodeId: episodeIdFor(config.runId, task.id, trial),
  domain: config.domain,
  taskId: task.id,
  trial,
  hashes: { task: taskHash(task), policy: domain.hashes.policy, data: domain.hashes.data },
  dataDir: config.dataDir,
  policyVariant: config.policyVariant,
  mode: config.mode,
  agent: config.agent,
  user: config.user,
  seed,
  limits: {
    maxSteps: config.maxSteps,
    maxErrors: config.maxErrors,
    ...(config.episodeTimeoutMs === undefined ? {} : { timeoutMs: config.episodeTimeoutMs }),
  },
  engineVersion: ENGINE_VERSION,
  parent: null,
})

/**
 * Where a retry of an errored episode branches: after its last good hop, before the failed hop's
 * records (the model call attempts that failed, then the end). The failed attempts stay in the
 * errored episode; the retry inherits only what succeeded.
 */
export const lastGoodPoint = (events: ReadonlyArray<EpisodeEvent>): number => {
  let seq = events.length
  if (events[seq - 1]?._tag === "EpisodeEnded") seq--
  while (seq > 1 && events[seq - 1]?._tag === "ModelCalled") seq--
  return seq
}

/**
 * Retries an errored attempt as a branch of it taken just before its failed hop: recorded turns
 * (and the model calls behind them) are reused, only the failed hop is attempted again.
 */
const retryAttempt = (erroredId: string, retryId: string, domain: Domain) =>
  Effect.gen(function* () {
    const events = allEvents(yield* readHistory(erroredId)).map((e) => e.event)
    return yield* branchEpisode({ episodeId: erroredId, events, domain }, lastGoodPoint(events), { episodeId: retryId })
  })

/** How this process runs a run's units (not what the run is). */
export interface RunUnitsOptions {
  /**
   * Try again units whose latest attempt ended with `infrastructure_error` (`--retry-errors`): each
   * gets up to `maxAttempts` new attempts in this invocation. Without it, a unit makes at most
   * `maxAttempts` attempts in all.
   */
  readonly retryErrors?: boolean
  /** Told of each unit that was already finished, so not played (a resume's progress counts what is left). */
  readonly onSkipped?: (summary: EpisodeSummary) => void
}

/** The configuration as stored with the run. */
export const storedRunConfig = (config: RunConfig, domain: Domain): PlainRunConfig => ({
  kind: "run",
  ...config,
  experiment: config.experiment ?? null,
  hashes: runHashes(domain, config.taskIds),
})

/**
 * Creates the run, or checks that the stored run is this configuration: another one under the
 * same id is a `RunConfigMismatch` and nothing is stored.
 */
export const ensureRun = (config: RunConfig, domain: Domain) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const requested = storedRunConfig(config, domain)
    const { created, run } = yield* store.createRun({
      runId: config.runId,
      createdAt: yield* nowIso,
      config: encodeRunConfig(requested),
      experiment: config.experiment ?? null,
    })
    if (created) return
    const stored = yield* decodeRunConfig(run)
    const mismatch = mismatchOf(config.runId, stored, requested, domain)
    if (mismatch) return yield* mismatch
    if (config.pricing) yield* recordRunPricing(config.runId, config.pricing)
  })

/**
 * Runs a plain run: creates it (or checks that the stored run under its id is this
 * configuration), then runs every unit that is not finished. `onEpisode` sees each episode this
 * invocation finished.
 */
export const executeRun = (config: RunConfig, onEpisode: (s: EpisodeSummary) => void = () => {}, options: RunUnitsOptions = {}) =>
  Effect.gen(function* () {
    // Nothing is stored for a domain that cannot be had or a participant spec that names none.
    const domain = yield* (yield* DomainResolver).resolve(config)
    yield* participantsFor(config)
    yield* ensureRun(config, domain)
    return yield* executeRunUnits(config, domain, onEpisode, options)
  })

/** A run's units (task × trial, with each trial's seed), trial-major as the reference enumerates them (semantics §8.2). */
export const unitsOfRun = (
  config: Pick<RunConfig, "seed" | "trials" | "taskIds">,
): ReadonlyArray<{ readonly taskId: string; readonly trial: number; readonly seed: number }> =>
  trialSeeds(config.seed, config.trials).flatMap((seed, trial) => config.taskIds.map((taskId) => ({ taskId, trial, seed })))

/** Runs the units of a run already created as `config`, on its resolved `domain`, holding the run's lease. */
export const executeRunUnits = (config: RunConfig, domain: Domain, onEpisode: (s: EpisodeSummary) => void = () => {}, options: RunUnitsOptions = {}) =>
  Effect.gen(function* () {
    const units = unitsOfRun(config)
    // Each unit also under its episode's lease, the one a cluster runner takes (ADR 0009): a worker and this process never play one episode at once.
    return yield* Effect.forEach(
      units,
      (unit) => runUnit(config, domain, unit, onEpisode, options).pipe(withLease(episodeLease(episodeIdFor(config.runId, unit.taskId, unit.trial)))),
      { concurrency: config.maxConcurrency },
    )
  }).pipe(withLease(runLease(config.runId)))

/** One (task, trial): its latest attempt resumed or started, and retried while it ends with an infrastructure error. */
export const runUnit = (
  config: RunConfig,
  domain: Domain,
  unit: { taskId: string; trial: number; seed: number },
  onEpisode: (s: EpisodeSummary) => void,
  options: RunUnitsOptions,
) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const { taskId, trial, seed } = unit
    const base = episodeIdFor(config.runId, taskId, trial)
    const maxAttempts = Math.max(1, config.maxAttempts ?? RUN_DEFAULTS.maxAttempts)
    // The unit's current attempt is the latest one stored (retries of errored episodes).
    let attempt = 0
    while ((yield* store.getEpisode(attemptId(base, attempt + 1))) !== undefined) attempt++
    let ran = false
    // Attempts this invocation stored (for `retryErrors`, the budget is counted from here).
    let created = 0
    for (;;) {
      const episodeId = attemptId(base, attempt)
      const row = yield* store.getEpisode(episodeId)
      // A crash between the end of an episode and its score leaves it ended but unscored:
      // it is not played again, only scored (the lifecycle does that for an ended episode).
      const scored = row?.status === "ended" && (yield* store.listScores(episodeId)).length > 0
      let reason: string
      let reward: number | null
      if (row?.status === "ended" && scored) {
        reason = row.terminationReason ?? "unknown"
        reward = row.reward
      } else {
        const outcome = row
          ? yield* resumeEpisode(episodeId, { domain })
          : yield* Effect.flatMap(findTask(domain, { episodeId, taskId, dataDir: config.dataDir }), (task) =>
              startEpisode(startedFor(config, domain, task, trial, seed), domain, task),
            )
        if (!row) created++
        reason = outcome.state.ended ?? "unknown"
        reward = outcome.reward
        ran = true
      }
      // Infrastructure failures are not the agent's: retry them, reusing what was recorded.
      const retriesLeft = options.retryErrors ? created < maxAttempts : attempt + 1 < maxAttempts
      if (reason === "infrastructure_error" && retriesLeft) {
        // The retry is played (and scored) as it is branched: the next pass reads its result.
        yield* retryAttempt(episodeId, attemptId(base, attempt + 1), domain)
        attempt++
        created++
        ran = true
        continue
      }
      const summary: EpisodeSummary = { run_id: config.runId, episode_id: episodeId, task_id: taskId, trial, termination_reason: reason, reward, ran }
      if (ran) onEpisode(summary)
      else options.onSkipped?.(summary)
      return summary
    }
  })

/** Termination reasons that say the episode could not be evaluated (not that the agent failed). */
export const ERRORED_REASONS: ReadonlyArray<string> = ["infrastructure_error", "unexpected_error"]
