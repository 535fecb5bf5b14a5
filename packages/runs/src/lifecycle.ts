/**
 * The episode lifecycle, built once: start a new episode, resume a stored one, branch a new one
 * off another's history (a fork, a counterfactual branch, the retry of an errored attempt). Each
 * plays the episode to its end with the participants its start event names, and scores it.
 *
 * How much of an episode's history is inherited is part of its folded state
 * (`EpisodeState.inherited`), so nothing here counts stream versions.
 */
import {
  allEvents,
  type Domain,
  DomainResolver,
  type EpisodeEvent,
  type EpisodeParticipants,
  type EpisodeStarted,
  type EpisodeState,
  EventStore,
  foldEvents,
  foldHistory,
  isSolo,
  type Mode,
  ParticipantFactory,
  playEpisode,
  playedMs,
  readHistory,
  setupEvents,
  startedOf,
  type Task,
  taskHash,
} from "@tau-sim/engine"
import { scoreEpisode } from "@tau-sim/evaluators"
import { TaskMissing } from "@tau-sim/replay"
import { movedDomainRef } from "@tau-sim/domains"
import { Effect, Schema } from "effect"

export interface EpisodeOutcome {
  /** The episode's state at its end (for a branch stored with `noContinue`, right after its start). */
  readonly state: EpisodeState
  /** Null when it was not played (`noContinue`) or its score has none. */
  readonly reward: number | null
}

/** A branch cannot be taken where it was asked for. */
export class ForkError extends Schema.TaggedError<ForkError>()("ForkError", { message: Schema.String }) {}

/** The participants an episode (or a run's configuration) names, from the `ParticipantFactory`; none for the user of a solo mode. */
export const participantsFor = (config: { readonly agent: string; readonly user: string; readonly mode: Mode }) =>
  Effect.gen(function* () {
    const factory = yield* ParticipantFactory
    const agent = yield* factory.make(config.agent, "agent")
    const participants: EpisodeParticipants = isSolo(config) ? { agent } : { agent, user: yield* factory.make(config.user, "user") }
    return participants
  })

/** The task `of` names in `domain` (`of` is an episode's start, or the episode a run is about to start). */
export const findTask = (
  domain: Domain,
  of: { readonly episodeId: string; readonly taskId: string; readonly dataDir: string | null },
): Effect.Effect<Task, TaskMissing> => {
  // A loaded domain's task list is frozen: indexed once (a run of all 2,285 telecom tasks looked each up in the list).
  const task = Object.isFrozen(domain.tasks) ? tasksById(domain).get(of.taskId) : domain.tasks.find((t) => t.id === of.taskId)
  return task ? Effect.succeed(task) : Effect.fail(new TaskMissing({ episodeId: of.episodeId, taskId: of.taskId, domain: domain.name, dataDir: of.dataDir }))
}

/** A frozen task list by id, the first task of an id as `find` gives it. */
const tasksById = (domain: Domain): ReadonlyMap<string, Task> => {
  let index = taskIndexes.get(domain.tasks)
  if (index === undefined) {
    const byId = new Map<string, Task>()
    for (const t of domain.tasks) if (!byId.has(t.id)) byId.set(t.id, t)
    index = byId
    taskIndexes.set(domain.tasks, index)
  }
  return index
}
const taskIndexes = new WeakMap<ReadonlyArray<Task>, ReadonlyMap<string, Task>>()

/** Plays `state` to its end (unless it has ended: then `participants` are not made), then scores it. `playedMs`: time already played (a resume's). */
const playAndScore = <E, R>(state: EpisodeState, domain: Domain, task: Task, participants: Effect.Effect<EpisodeParticipants, E, R>, playedMs = 0) =>
  Effect.gen(function* () {
    const episodeId = state.started.episodeId
    const final = state.ended ? state : yield* playEpisode(episodeId, state, domain, task, yield* participants, { playedMs })
    const score = yield* scoreEpisode(episodeId, domain, task, final)
    return { state: final, reward: score?.reward ?? null } satisfies EpisodeOutcome
  })

/**
 * Stores a new episode's setup (start, initial state, task history or greeting), plays it and
 * scores it. Its participants are made first: a spec that names none stores nothing.
 */
export const startEpisode = (started: EpisodeStarted, domain: Domain, task: Task) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const participants = yield* participantsFor(started)
    const setup = setupEvents(started, domain, task)
    yield* store.append(started.episodeId, 0, setup)
    return yield* playAndScore(foldHistory(domain, setup), domain, task, Effect.succeed(participants))
  })

export interface ResumeEpisodeOptions {
  /**
   * The domain to continue on: a run's domain, already checked against the run's hashes (its data
   * may have moved). Default: the one the episode's start names, from the `DomainResolver`.
   */
  readonly domain?: Domain
}

/** Continues a stored episode (interrupted, or ended but not scored) from its last stored event, and scores it. */
export const resumeEpisode = (episodeId: string, options: ResumeEpisodeOptions = {}) =>
  Effect.gen(function* () {
    const history = yield* readHistory(episodeId)
    const started = startedOf(history)
    const domain = options.domain ?? (yield* (yield* DomainResolver).resolve(started))
    const task = yield* findTask(domain, started)
    const state = foldHistory(
      domain,
      allEvents(history).map((e) => e.event),
    )
    // The time limit holds across resumes and workers: what the stored stream was played counts.
    return yield* playAndScore(state, domain, task, participantsFor(state.started), playedMs(history, state.started.limits.timeoutMs))
  })

/** The episode a branch is taken from: its whole history (inherited and own events) and the domain the branch plays on. */
export interface BranchParent {
  readonly episodeId: string
  readonly events: ReadonlyArray<EpisodeEvent>
  readonly domain: Domain
  /** `states[i]` is the state after `events[0..i]`, when the caller has folded them already (the prefix is not folded again). */
  readonly states?: ReadonlyArray<EpisodeState>
}

/** The new episode and what it changes; everything else is as at the branch point. */
/** The new episode and what it changes; absent or undefined: as at the branch point. */
export interface BranchSpec {
  readonly episodeId: string
  readonly runId?: string | undefined
  readonly agent?: string | undefined
  readonly user?: string | undefined
  readonly mode?: Mode | undefined
  /** The data folder the branch records (absolute), when the parent's data is read from elsewhere now. */
  readonly dataDir?: string | null | undefined
  /** Where the parent's domain given by path is now (a moved folder): the branch records it there. */
  readonly movedDomain?: string | undefined
  /** The seed of the branch's randomness from its branch point on (critical-turn samples draw afresh). */
  readonly seed?: number | undefined
}

export interface BranchOptions {
  /** Store the branch's start event only; play nothing. */
  readonly noContinue?: boolean
}

/**
 * A new episode whose history is the first `seq` events of `parent`'s followed by its own start
 * event, which points at the parent (nothing of the prefix is copied); played live from there and
 * scored. Its start is the latest one in the prefix (a branch of a fork keeps the fork's
 * participants) with `spec`'s changes. The caller has checked that `parent.domain` is the data
 * the prefix ran on (a fork's `requireRecordedData`, a retry's run hashes).
 */
export const branchEpisode = (parent: BranchParent, seq: number, spec: BranchSpec, options: BranchOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const prefix = parent.events.slice(0, seq)
    const latest = [...prefix].reverse().find((e): e is EpisodeStarted => e._tag === "EpisodeStarted")
    if (seq < 1 || seq > parent.events.length || latest === undefined) {
      return yield* new ForkError({ message: `episode ${parent.episodeId} has ${parent.events.length} events; cannot branch after event ${seq}` })
    }
    const task = yield* findTask(parent.domain, latest)
    const started: EpisodeStarted = {
      ...latest,
      // The task's hash as recorded from now on (the prefix may have recorded the legacy one).
      hashes: { ...latest.hashes, task: taskHash(task) },
      runId: spec.runId ?? latest.runId,
      episodeId: spec.episodeId,
      agent: spec.agent ?? latest.agent,
      user: spec.user ?? latest.user,
      mode: spec.mode ?? latest.mode,
      dataDir: spec.dataDir === undefined ? latest.dataDir : spec.dataDir,
      domain: spec.movedDomain === undefined ? latest.domain : movedDomainRef(latest.domain, spec.movedDomain),
      seed: spec.seed ?? latest.seed,
      parent: { episodeId: parent.episodeId, seq },
    }
    // Made before the branch is stored: a spec that names no participant stores nothing.
    const participants = options.noContinue ? undefined : yield* participantsFor(started)
    yield* store.append(spec.episodeId, 0, [started])
    const before = parent.states?.[seq - 1]
    const state = before ? foldEvents(before, [started]) : foldHistory(parent.domain, [...prefix, started])
    if (participants === undefined) return { state, reward: null } satisfies EpisodeOutcome
    return yield* playAndScore(state, parent.domain, task, Effect.succeed(participants))
  })
