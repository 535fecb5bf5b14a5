/**
 * Runs: domains × tasks × trials as one resumable unit.
 *
 * Every (task, trial) has a deterministic episode id, so `--resume` can tell what is finished
 * (skipped), what is half-way (continued from its last stored event) and what never started.
 * A run's configuration is fixed when it is created (`run-config.ts`); one process at a time
 * works on it (`lease.ts`).
 */
import { createHash } from "node:crypto"
import {
  continueEpisode,
  type Domain,
  type EpisodeParticipants,
  type EpisodeRow,
  type EpisodeStarted,
  type EpisodeState,
  EventStore,
  foldHistory,
  type Mode,
  readHistory,
  allEvents,
  setupEvents,
  type Task,
  taskHash,
  type DomainRef,
} from "@tau-sim/engine"
import { Effect } from "effect"
import { resolveDomain } from "@tau-sim/domains"
import { runLease, withLease } from "./lease.ts"
import { makeParticipant } from "./participants.ts"
import { DEFAULT_MAX_ATTEMPTS, decodeRunConfig, mismatchOf, type PlainRunConfig, type RunHashes } from "./run-config.ts"
import { scoreEpisode } from "@tau-sim/evaluators"
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
  /** Attempts per unit when an episode ends with `infrastructure_error` (default 2). */
  readonly maxAttempts?: number
  /** Content hashes of the data, the selected tasks and the policy (filled in when the run is created). */
  readonly hashes?: RunHashes
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

export const episodeIdFor = (runId: string, taskId: string, trial: number): string => stableEpisodeId(runId, taskId, trial)

export const participantsFor = (config: { agent: string; user: string; mode: Mode }): EpisodeParticipants => ({
  agent: makeParticipant(config.agent, "agent"),
  user: config.mode === "no-user" || config.mode === "no-user-oracle-plan" ? undefined : makeParticipant(config.user, "user"),
})

export const findTask = (domain: Domain, taskId: string): Task => {
  const task = domain.tasks.find((t) => t.id === taskId)
  if (!task) throw new Error(`task ${taskId} not found in domain ${domain.name}`)
  return task
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
  limits: { maxSteps: config.maxSteps, maxErrors: config.maxErrors },
  engineVersion: ENGINE_VERSION,
  parent: null,
})

/**
 * Starts a new episode or continues a stored one, then scores it. A stored one runs on `runDomain`
 * when given (its run's domain, already checked against the run's hashes: the data may have
 * moved), else on the domain its start event names. `participants` gets the episode's start.
 */
export const driveEpisode = (
  episodeId: string,
  existing: EpisodeRow | undefined,
  fresh: () => { started: EpisodeStarted; domain: Domain; task: Task },
  participants: (started: EpisodeStarted) => EpisodeParticipants,
  runDomain?: Domain,
) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    let state: EpisodeState
    let ownVersion: number
    let domain: Domain
    let task: Task
    let started: EpisodeStarted
    if (existing) {
      const history = yield* readHistory(episodeId)
      const events = allEvents(history).map((e) => e.event)
      started = history.own[0].event as EpisodeStarted
      domain = runDomain ?? resolveDomain(started)
      task = findTask(domain, started.taskId)
      state = foldHistory(domain, events)
      ownVersion = history.own.length
    } else {
      const f = fresh()
      domain = f.domain
      task = f.task
      started = f.started
      const setup = setupEvents(f.started, domain, task)
      ownVersion = yield* store.append(episodeId, 0, setup)
      state = foldHistory(domain, setup)
    }
    const final = state.ended ? state : yield* continueEpisode(episodeId, state, ownVersion, domain, task, participants(started))
    const score = yield* scoreEpisode(episodeId, domain, task, final)
    return { state: final, reward: score?.reward ?? null }
  })

/**
 * Continues a stored episode (a branch interrupted, or ended but not scored) from its last stored
 * event, with the participants it started with, and scores it.
 */
export const continueStoredEpisode = (row: EpisodeRow) =>
  driveEpisode(
    row.episodeId,
    row,
    () => {
      throw new Error(`episode ${row.episodeId} exists; it is continued, not created`)
    },
    participantsFor,
  )

export { DEFAULT_MAX_ATTEMPTS }

/** Attempt 0 is the unit's episode; a retry k is `<id>_r<k>`. */
export const attemptId = (base: string, attempt: number): string => (attempt === 0 ? base : `${base}_r${attempt}`)

/**
 * Retries an errored episode as a branch of it taken just before its end: recorded turns (and the
 * model calls behind them) are reused, only the failed hop is attempted again.
 */
const retryErrored = (erroredId: string, retryId: string, domain: Domain, participants: () => EpisodeParticipants) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const history = yield* readHistory(erroredId)
    const events = allEvents(history).map((e) => e.event)
    const cut = events.length - 1 // drop the EpisodeEnded
    const parentStart = history.own[0].event as EpisodeStarted
    const started: EpisodeStarted = { ...parentStart, episodeId: retryId, parent: { episodeId: erroredId, seq: cut } }
    const task = findTask(domain, started.taskId)
    yield* store.append(retryId, 0, [started])
    const state = foldHistory(domain, [...events.slice(0, cut), started])
    const final = yield* continueEpisode(retryId, state, 1, domain, task, participants())
    yield* scoreEpisode(retryId, domain, task, final)
  })

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** What the run's episodes run on: the domain's data and policy, and exactly the selected tasks. */
export const runHashes = (domain: Domain, taskIds: ReadonlyArray<string>): RunHashes => ({
  data: domain.hashes.data,
  tasks: sha256(JSON.stringify(taskIds.map((id) => taskHash(findTask(domain, id))))),
  policy: domain.hashes.policy,
})

/** The configuration as stored with the run (JSON-compatible). */
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
      createdAt: new Date().toISOString(),
      config: requested as unknown as Record<string, unknown>,
      experiment: config.experiment ?? null,
    })
    if (created) return
    const stored = yield* decodeRunConfig(run)
    const mismatch = mismatchOf(config.runId, stored, requested)
    if (mismatch) return yield* mismatch
  })

/** Runs (or resumes) every unit of a run; `onEpisode` sees each finished episode. */
export const runEpisodes = (config: RunConfig, onEpisode: (s: EpisodeSummary) => void = () => {}) =>
  Effect.gen(function* () {
    const domain = resolveDomain(config)
    yield* ensureRun(config, domain)
    return yield* driveRun(config, domain, onEpisode)
  })

/** Runs (or resumes) the units of a run already created as `config`, on its resolved `domain`, holding the run's lease. */
export const driveRun = (config: RunConfig, domain: Domain, onEpisode: (s: EpisodeSummary) => void = () => {}) =>
  driveUnits(config, domain, onEpisode).pipe(withLease(runLease(config.runId)))

const driveUnits = (config: RunConfig, domain: Domain, onEpisode: (s: EpisodeSummary) => void) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const seeds = trialSeeds(config.seed, config.trials)
    const units = seeds.flatMap((seed, trial) => config.taskIds.map((taskId) => ({ taskId, trial, seed })))
    return yield* Effect.forEach(
      units,
      ({ taskId, trial, seed }) =>
        Effect.gen(function* () {
          const base = episodeIdFor(config.runId, taskId, trial)
          const maxAttempts = Math.max(1, config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)
          // The unit's current attempt is the latest one stored (retries of errored episodes).
          let attempt = 0
          while ((yield* store.getEpisode(attemptId(base, attempt + 1))) !== undefined) attempt++
          let ran = false
          for (;;) {
            const episodeId = attemptId(base, attempt)
            const row = yield* store.getEpisode(episodeId)
            // A crash between the end of an episode and its score leaves it ended but unscored:
            // it is not re-run, only scored (driveEpisode does that for an ended stream).
            const scored = row?.status === "ended" && (yield* store.listScores(episodeId)).length > 0
            let reason: string
            let reward: number | null
            if (row?.status === "ended" && scored) {
              reason = row.terminationReason ?? "unknown"
              reward = row.reward
            } else {
              const task = findTask(domain, taskId)
              const result = yield* driveEpisode(
                episodeId,
                row,
                () => ({ started: startedFor(config, domain, task, trial, seed), domain, task }),
                () => participantsFor(config),
                domain,
              )
              reason = result.state.ended ?? "unknown"
              reward = result.reward
              ran = true
            }
            // Infrastructure failures are not the agent's: retry them, reusing what was recorded.
            if (reason === "infrastructure_error" && attempt + 1 < maxAttempts) {
              yield* retryErrored(episodeId, attemptId(base, attempt + 1), domain, () => participantsFor(config))
              attempt++
              continue
            }
            const summary: EpisodeSummary = { run_id: config.runId, episode_id: episodeId, task_id: taskId, trial, termination_reason: reason, reward, ran }
            if (ran) onEpisode(summary)
            return summary
          }
        }),
      { concurrency: config.maxConcurrency },
    )
  })

/** Termination reasons that say the episode could not be evaluated (not that the agent failed). */
export const ERRORED_REASONS: ReadonlyArray<string> = ["infrastructure_error", "unexpected_error"]

export interface TaskSelection {
  readonly split?: string
  readonly taskIds?: ReadonlyArray<string>
  readonly numTasks?: number
}

/** Split (default `base` when the domain has one), then explicit ids (all must exist), then the first N. */
export const selectTasks = (domain: Domain, selection: TaskSelection): ReadonlyArray<Task> => {
  let tasks: ReadonlyArray<Task> = domain.tasks
  const split = selection.split ?? (domain.splits.base ? "base" : undefined)
  if (split) {
    const ids = domain.splits[split]
    if (!ids) throw new Error(`domain ${domain.name} has no split "${split}" (known: ${Object.keys(domain.splits).join(", ")})`)
    const byId = new Map(domain.tasks.map((t) => [t.id, t]))
    tasks = ids.flatMap((id) => (byId.has(id) ? [byId.get(id) as Task] : []))
  }
  if (selection.taskIds?.length) {
    const byId = new Map(domain.tasks.map((t) => [t.id, t]))
    const missing = selection.taskIds.filter((id) => !byId.has(id))
    if (missing.length) throw new Error(`unknown task ids in ${domain.name}: ${missing.join(", ")}`)
    tasks = selection.taskIds.map((id) => byId.get(id) as Task)
  }
  if (selection.numTasks !== undefined) tasks = tasks.slice(0, selection.numTasks)
  return tasks
}
