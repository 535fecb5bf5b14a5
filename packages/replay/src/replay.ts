/**
 * Replay: rebuild an episode's world from its recorded patches ("as recorded"), or verify it.
 *
 * Verification gathers every finding instead of stopping at the first: the integrity of the
 * episode's stream and of every ancestor stream it inherits from (seqs, start and end, the hash
 * chain, the read model), the task/policy/data hashes recorded at the start against the data it
 * verifies with (`DataChanged`), and re-execution of every tool against the recorded world
 * (`DeterminismViolation`, naming the stream, the event, the tool and the first differing path).
 */
import * as path from "node:path"
import {
  allEvents,
  applyAll,
  initialStateEvents,
  type ChainSeal,
  checkStreamIntegrity,
  decodePatch,
  type Domain,
  encodePatch,
  type EpisodeEvent,
  type EpisodeStarted,
  type EpisodeState,
  EventStore,
  evolve,
  firstDifference,
  initialState,
  type IntegrityFinding,
  isSolo,
  isTaskHashOf,
  type Node,
  type PyObject,
  PyJson,
  type PyValue,
  readHistory,
  executeEpisodeCall,
  setupEvents,
  type StoredEvent,
  StoreError,
  syncWorld,
  Task,
  type ToolExecuted,
  taskHash,
  type DomainRef,
  DomainResolver,
} from "@tau-sim/engine"
import { isPathDomainRef, movedDomainRef } from "@tau-sim/domains"
import { Context, Effect, Layer, Result, Schema } from "effect"

export class DeterminismViolation extends Schema.TaggedError<DeterminismViolation>()("DeterminismViolation", {
  /** The stream holding the event (an ancestor's, for an event a fork inherits). */
  episodeId: Schema.String,
  seq: Schema.Int,
  tool: Schema.String,
  path: Schema.String,
  recorded: Schema.String,
  replayed: Schema.String,
}) {
  override get message(): string {
    return `episode ${this.episodeId} seq ${this.seq} tool ${this.tool}: replay differs at ${this.path} (recorded ${this.recorded}, replayed ${this.replayed})`
  }
}

const HASHED = ["task", "policy", "data"] as const

/** The data an episode is replayed with is not the data its `EpisodeStarted` recorded (by content hash). */
export class DataChanged extends Schema.TaggedError<DataChanged>()("DataChanged", {
  episodeId: Schema.String,
  which: Schema.Literals(HASHED),
  recorded: Schema.String,
  now: Schema.String,
  /** Where the data was read from now (null for built-in domains). */
  dataDir: Schema.NullOr(Schema.String),
}) {
  override get message(): string {
    return `episode ${this.episodeId}: data changed since recorded: ${this.which} hash recorded ${this.recorded.slice(0, 12)}, now ${this.now.slice(0, 12)}${this.dataDir ? ` (data from ${this.dataDir})` : ""}`
  }
}

/** The task an episode ran is neither in its domain's data nor (for an import) in the results it came from. */
export class TaskMissing extends Schema.TaggedError<TaskMissing>()("TaskMissing", {
  episodeId: Schema.String,
  taskId: Schema.String,
  domain: Schema.String,
  dataDir: Schema.NullOr(Schema.String),
}) {
  override get message(): string {
    return `episode ${this.episodeId}: task ${this.taskId} not found in domain ${this.domain}${this.dataDir ? ` (data from ${this.dataDir})` : ""}`
  }
}

/** The domain an episode ran on cannot be loaded (moved or missing data folder, unknown domain). */
export class DataUnavailable extends Schema.TaggedError<DataUnavailable>()("DataUnavailable", {
  episodeId: Schema.String,
  domain: Schema.String,
  dataDir: Schema.NullOr(Schema.String),
  reason: Schema.String,
}) {
  override get message(): string {
    // A domain given by path moves with its folder; τ² data with its data folder.
    const hint = isPathDomainRef(this.domain) ? "point at the domain's folder where it is now with --domain" : "point at the data with --data-dir"
    return `episode ${this.episodeId}: cannot load domain ${this.domain}${this.dataDir ? ` from ${this.dataDir}` : ""}: ${this.reason} (${hint})`
  }
}

export class EpisodeNotFound extends Schema.TaggedError<EpisodeNotFound>()("EpisodeNotFound", {
  episodeId: Schema.String,
  /** The store looked in (the CLI's `--db`), when the caller knows it. */
  store: Schema.optional(Schema.String),
}) {
  override get message(): string {
    return `episode ${this.episodeId} not found${this.store === undefined ? "" : ` in ${this.store}`}`
  }
}

export interface LoadOptions {
  /** Read the domain from this data folder instead of the one recorded (moved data; checked by hash); undefined: the recorded one. */
  readonly dataDir?: string | undefined
  /** Read a domain given by path from here instead of its recorded path (a moved folder; checked by hash); others ignore it. */
  readonly domain?: string | undefined
}

export interface ReplayedEpisode {
  readonly episodeId: string
  readonly domain: Domain
  readonly events: ReadonlyArray<EpisodeEvent>
  /** The same events as stored: the stream and seq each comes from (ancestors' for the inherited prefix). */
  readonly stored: ReadonlyArray<StoredEvent>
  /** Number of events inherited from the parent (fork prefix). */
  readonly inherited: number
  /** The data folder the domain was read from this time (the recorded one, or `--data-dir`). */
  readonly dataDir: string | null
  readonly final: EpisodeState
  /** `states[i]` is the state after folding events[0..i]. */
  readonly states: ReadonlyArray<EpisodeState>
}

/** An event that cannot be folded into the state (a patch that is not JSON, ...): `index` in the events given. */
export class EventNotApplicable extends Schema.TaggedError<EventNotApplicable>()("EventNotApplicable", {
  index: Schema.Int,
  reason: Schema.String,
}) {
  override get message(): string {
    return `event ${this.index} cannot be applied: ${this.reason}`
  }
}

/**
 * The world after each event: `states[i]` is the state after folding events[0..i]. Folding stops
 * at the first event that cannot be applied (the engine's fold throws on malformed data).
 */
export const statesOf = (domain: Domain, events: ReadonlyArray<EpisodeEvent>): Result.Result<EpisodeState[], EventNotApplicable> => {
  const states: EpisodeState[] = []
  let state = initialState(events[0] as EpisodeStarted, domain.initialWorld, 0)
  for (let index = 0; index < events.length; index++) {
    try {
      state = evolve(state, events[index], state.version)
    } catch (error) {
      return Result.fail(new EventNotApplicable({ index, reason: error instanceof Error ? error.message : String(error) }))
    }
    states.push(state)
  }
  return Result.succeed(states)
}

/** The domain an episode's start names, from `dataDir` when given (recorded paths are absolute; old ones may not be); unavailable: `DataUnavailable`. */
export const domainOf = (episodeId: string, ref: DomainRef) =>
  Effect.gen(function* () {
    const resolver = yield* DomainResolver
    return yield* resolver
      .resolve(ref)
      .pipe(Effect.mapError((e) => new DataUnavailable({ episodeId, domain: ref.domain, dataDir: ref.dataDir, reason: e.message })))
  })

export const loadEpisode = (episodeId: string, options: LoadOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    if ((yield* store.read(episodeId, { toSeq: 1 })).length === 0) return yield* new EpisodeNotFound({ episodeId })
    const history = yield* readHistory(episodeId)
    const stored = allEvents(history)
    const events = stored.map((e) => e.event)
    const started = history.own[0].event as EpisodeStarted
    const ref: DomainRef = {
      domain: options.domain === undefined ? started.domain : movedDomainRef(started.domain, options.domain),
      dataDir: options.dataDir === undefined ? started.dataDir : path.resolve(options.dataDir),
      policyVariant: started.policyVariant,
    }
    const domain = yield* domainOf(episodeId, ref)
    const folded = statesOf(domain, events)
    if (Result.isFailure(folded)) {
      const at = stored[folded.failure.index]
      return yield* new StoreError({
        message: `event ${at.episodeId}#${at.seq} cannot be applied: ${folded.failure.reason}`,
        episodeId: at.episodeId,
        seq: at.seq,
      })
    }
    const states = folded.success
    const final = states.at(-1) as EpisodeState
    const loaded: ReplayedEpisode = { episodeId, domain, events, stored, inherited: history.inherited.length, dataDir: ref.dataDir, final, states }
    return loaded
  })

// ---- the recorded data --------------------------------------------------------------------------

/** An imported episode (τ² results) keeps the source's record right after its start. */
const isImported = (events: ReadonlyArray<EpisodeEvent>): boolean => events[1]?._tag === "ExternalRecord"

const decodeTask = Schema.decodeUnknownResult(Task)

/** The tasks embedded in an imported run's results header (kept in its config), by id as the import read them. */
const parseHeaderTasks = (runId: string, headerJson: string): Effect.Effect<ReadonlyMap<string, Task>, StoreError> =>
  Effect.gen(function* () {
    const header = yield* Effect.try({
      try: () => PyJson.parse(headerJson) as PyObject,
      catch: (e) => new StoreError({ message: `run ${runId}: the stored results header is not JSON: ${e instanceof Error ? e.message : String(e)}` }),
    })
    // The import checked these tasks; one that no longer decodes is skipped and the domain's task stands in.
    const tasks = new Map<string, Task>()
    for (const t of Array.isArray(header.tasks) ? header.tasks : []) {
      const decoded = decodeTask(t)
      if (Result.isSuccess(decoded)) tasks.set(decoded.success.id, decoded.success)
    }
    return tasks
  })

export interface ImportedTasksShape {
  readonly of: (runId: string, headerJson: string) => Effect.Effect<ReadonlyMap<string, Task>, StoreError>
}

/**
 * How the tasks embedded in an imported run's header are read: by default parsed from the run
 * record on every load (no state). A composition root that reads many episodes of a run (the CLI's
 * `replay --all`) provides `importedTasksCache`, which parses each run's header once for as long
 * as the layer lives (parsing it per episode made `replay` of a 1,000-episode import 2-2.6× slower).
 */
export const ImportedTasks = Context.Reference<ImportedTasksShape>("@tau-sim/replay/ImportedTasks", {
  defaultValue: () => ({ of: parseHeaderTasks }),
})

/** `ImportedTasks` parsing each run's header once (per header text) while the layer lives. */
export const importedTasksCache = Layer.sync(ImportedTasks, (): ImportedTasksShape => {
  const cache = new Map<string, { readonly headerJson: string; readonly tasks: ReadonlyMap<string, Task> }>()
  return {
    of: (runId, headerJson) => {
      const cached = cache.get(runId)
      if (cached?.headerJson === headerJson) return Effect.succeed(cached.tasks)
      return parseHeaderTasks(runId, headerJson).pipe(Effect.tap((tasks) => Effect.sync(() => void cache.set(runId, { headerJson, tasks }))))
    },
  }
})

/** The task embedded in an imported run's results header, if it is there. */
const importedTask = (runId: string, taskId: string) =>
  Effect.gen(function* () {
    const run = yield* (yield* EventStore).getRun(runId)
    const headerJson = run?.config.headerJson
    if (typeof headerJson !== "string") return undefined
    return (yield* (yield* ImportedTasks).of(runId, headerJson)).get(taskId)
  })

/**
 * The task an episode ran: the domain's, or for an import the one embedded in the results file
 * first (as the import chose it).
 */
export const taskOfEpisode = (loaded: ReplayedEpisode) =>
  Effect.gen(function* () {
    const root = loaded.events[0] as EpisodeStarted
    const started = loaded.final.started
    const embedded = isImported(loaded.events) ? yield* importedTask(root.runId, started.taskId) : undefined
    const task = embedded ?? loaded.domain.tasks.find((t) => t.id === started.taskId)
    if (!task) return yield* new TaskMissing({ episodeId: loaded.episodeId, taskId: started.taskId, domain: started.domain, dataDir: loaded.dataDir })
    return task
  })

/**
 * The recorded hashes that differ from the data now loaded. An import records the source run's
 * policy text (from the results file), not ours, so its policy is not compared.
 */
export const dataChanges = (loaded: ReplayedEpisode, task: Task): DataChanged[] => {
  const started = loaded.final.started
  const now = { task: taskHash(task), policy: loaded.domain.hashes.policy, data: loaded.domain.hashes.data }
  const compared = isImported(loaded.events) ? (["task", "data"] as const) : HASHED
  return (
    compared
      // A task hash recorded before the canonical one (`legacyTaskHash`) still matches an unchanged task.
      .filter((which) => (which === "task" ? !isTaskHashOf(started.hashes.task, task) : started.hashes[which] !== now[which]))
      .map((which) => new DataChanged({ episodeId: loaded.episodeId, which, recorded: started.hashes[which], now: now[which], dataDir: loaded.dataDir }))
  )
}

/** The episode's task, failing with `DataChanged` when the data differs from what was recorded (fork, rescore). */
export const requireRecordedData = (loaded: ReplayedEpisode) =>
  Effect.gen(function* () {
    const task = yield* taskOfEpisode(loaded)
    const [changed] = dataChanges(loaded, task)
    if (changed) return yield* changed
    return task
  })

// ---- verification -------------------------------------------------------------------------------

export type Finding = IntegrityFinding | DataChanged | TaskMissing | DataUnavailable | DeterminismViolation

/** What verification found for one episode. */
export interface Verdict {
  readonly episodeId: string
  readonly events: number
  readonly findings: ReadonlyArray<Finding>
  /** Present when part of the stream was hashed at a store upgrade, not when written. */
  readonly seal: ChainSeal | undefined
  readonly verified: boolean
  /** The episode as loaded, unless it could not be. */
  readonly episode: ReplayedEpisode | undefined
}

const FINDING_KINDS = {
  DataChanged: "data-changed",
  TaskMissing: "task-missing",
  DataUnavailable: "data-unavailable",
  DeterminismViolation: "determinism",
} as const

/** A finding as plain data: its kind, the stream and seq it is about, a sentence, and its own fields. */
export const findingRecord = (f: Finding): { kind: string; episode_id: string; seq: number | null; detail: string } & Record<string, unknown> => {
  if (!("_tag" in f)) return { kind: f.kind, episode_id: f.episodeId, seq: f.seq, detail: f.detail, ...(f.looksLike ? { looks_like: f.looksLike } : {}) }
  const base = { kind: FINDING_KINDS[f._tag], episode_id: f.episodeId, detail: f.message }
  switch (f._tag) {
    case "DataChanged":
      return { ...base, seq: 0, which: f.which, recorded: f.recorded, now: f.now, data_dir: f.dataDir }
    case "TaskMissing":
      return { ...base, seq: 0, task_id: f.taskId, domain: f.domain, data_dir: f.dataDir }
    case "DataUnavailable":
      return { ...base, seq: 0, domain: f.domain, data_dir: f.dataDir }
    case "DeterminismViolation":
      return { ...base, seq: f.seq, tool: f.tool, path: f.path, recorded: f.recorded, replayed: f.replayed }
  }
}

/** The parent a stream's start names; a start that cannot be read falls back on the read model. */
const parentOf = (episodeId: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const first = yield* store.read(episodeId, { toSeq: 1 }).pipe(Effect.orElseSucceed(() => []))
    const start = first[0]?.event
    if (start?._tag === "EpisodeStarted") return start.parent
    const row = yield* store.getEpisode(episodeId)
    return row?.parentEpisodeId ? { episodeId: row.parentEpisodeId, seq: row.parentSeq ?? 0 } : null
  })

/**
 * The streams an episode inherits from, nearest first, each with how many of its own rows are
 * inherited. A fork point counts events of the parent's whole history, of which the parent's own
 * rows are what follows the part it inherited itself.
 */
const ancestorsOf = (episodeId: string) =>
  Effect.gen(function* () {
    const ancestors: Array<{ readonly episodeId: string; readonly ownRows: number }> = []
    const seen = new Set([episodeId])
    let link = yield* parentOf(episodeId)
    while (link && !seen.has(link.episodeId)) {
      seen.add(link.episodeId)
      const next = yield* parentOf(link.episodeId)
      const before = next?.seq ?? 0
      ancestors.push({ episodeId: link.episodeId, ownRows: Math.max(0, link.seq - before) })
      link = next && { episodeId: next.episodeId, seq: Math.min(link.seq, next.seq) }
    }
    return ancestors
  })

/** Integrity findings of the episode's stream and of the part of each ancestor stream it inherits. */
const integrityOf = (episodeId: string) =>
  Effect.gen(function* () {
    const own = yield* checkStreamIntegrity(episodeId)
    const findings: IntegrityFinding[] = [...own.findings]
    for (const ancestor of yield* ancestorsOf(episodeId)) {
      const report = yield* checkStreamIntegrity(ancestor.episodeId)
      // Damage after the fork point is the ancestor's own business, not this episode's.
      findings.push(...report.findings.filter((f) => f.seq === null || f.seq < ancestor.ownRows))
    }
    return { report: own, findings }
  })

/** Nothing could be checked beyond the stream itself: integrity already names the bad row, or this does. */
const loadFailure = (episodeId: string, found: ReadonlyArray<IntegrityFinding>, error: StoreError | EpisodeNotFound): IntegrityFinding[] => {
  if (found.length > 0) return []
  const at = error._tag === "StoreError" ? { episodeId: error.episodeId ?? episodeId, seq: error.seq ?? null } : { episodeId, seq: null }
  return [{ ...at, kind: "unreadable", detail: error.message }]
}

/**
 * Verifies one episode: integrity, recorded data, and re-execution of every tool. Storage
 * failures (I/O) fail the effect; everything about the episode itself is a finding.
 */
export const verifyEpisode = (episodeId: string, options: LoadOptions = {}) =>
  Effect.gen(function* () {
    const integrity = yield* integrityOf(episodeId)
    const findings: Finding[] = [...integrity.findings]
    const verdict = (events: number, episode?: ReplayedEpisode): Verdict => ({
      episodeId,
      events,
      findings,
      seal: integrity.report.seal,
      verified: findings.length === 0,
      episode,
    })
    const outcome = yield* loadEpisode(episodeId, options).pipe(Effect.result)
    if (outcome._tag === "Failure") {
      const error = outcome.failure
      if (error._tag === "DataUnavailable") findings.push(error)
      else findings.push(...loadFailure(episodeId, integrity.findings, error))
      return verdict(integrity.report.events)
    }
    const loaded = outcome.success
    const task = yield* taskOfEpisode(loaded).pipe(Effect.catchTag("TaskMissing", (missing) => Effect.sync(() => void findings.push(missing))))
    const changed = task ? dataChanges(loaded, task) : []
    findings.push(...changed)
    // On other data the recorded patches rebuild another world: re-executing would only restate that.
    if (changed.some((c) => c.which === "data")) return verdict(loaded.events.length, loaded)
    findings.push(...reexecute(loaded, task && !changed.some((c) => c.which === "task") ? task : undefined))
    return verdict(loaded.events.length, loaded)
  })

/** Events compared up to key order. */
const canonical = (v: unknown): string => PyJson.compactSorted(v as PyValue)

const short = (v: unknown) => {
  const s = typeof v === "string" ? v : JSON.stringify(v)
  return s.length > 200 ? `${s.slice(0, 200)}…` : s
}

/** The first path where re-executing differs from the record, or undefined. */
const patchDifference = (before: Node, recordedPatch: string, replayedPatch: string): string | undefined => {
  if (recordedPatch === replayedPatch) return undefined
  const recorded = decodePatch(recordedPatch)
  const replayed = decodePatch(replayedPatch)
  return firstDifference(applyAll(before, recorded), applyAll(before, replayed), [...recorded, ...replayed]) ?? "patch"
}

/**
 * The setup an episode's root recorded, re-derived from its task. Ours: the start, the initial
 * state as env steps, then the task history or the greeting. An import: the start and the source
 * record, then the initial state as the import applied it (not strict: a history output that
 * differs from ours is kept as the source recorded it); the conversation follows as recorded.
 */
const expectedSetup = (events: ReadonlyArray<EpisodeEvent>, domain: Domain, task: Task): ReadonlyArray<EpisodeEvent> => {
  const root = events[0] as EpisodeStarted
  if (!isImported(events)) return setupEvents(root, domain, task)
  return [root, events[1], ...initialStateEvents(domain, task, { seed: root.seed, solo: isSolo(root), strict: false }).events]
}

/** Determinism findings: the setup compared with the task's (when it is known), every tool re-executed. */
const reexecute = (loaded: ReplayedEpisode, task: Task | undefined): DeterminismViolation[] => {
  const { domain, events, stored } = loaded
  const found: DeterminismViolation[] = []
  const at = (i: number) => ({ episodeId: stored[i].episodeId, seq: stored[i].seq })
  const setup = task ? expectedSetup(events, domain, task) : []
  // A fork may inherit only part of its root's setup.
  const setupEnd = Math.min(setup.length, events.length)
  for (let i = 0; i < setupEnd; i++) {
    const expected = setup[i]
    if (canonical(events[i]) !== canonical(expected)) {
      found.push(
        new DeterminismViolation({
          ...at(i),
          tool: expected._tag === "ToolExecuted" ? expected.name : expected._tag,
          path: "setup",
          recorded: short(events[i]),
          replayed: short(expected),
        }),
      )
    }
  }
  const importedRoot = isImported(events) ? stored[0].episodeId : undefined
  // `states[i - 1]` is the state each live tool call ran against (loading already folded them).
  for (let i = setupEnd; i < events.length; i++) {
    const event = events[i]
    if (event._tag !== "ToolExecuted") continue
    const violation = checkTool(at(i), domain, loaded.states[i - 1], event, stored[i].episodeId === importedRoot)
    if (violation) found.push(violation)
  }
  return found
}

const checkTool = (
  at: { readonly episodeId: string; readonly seq: number },
  domain: Domain,
  state: EpisodeState,
  event: ToolExecuted,
  imported: boolean,
): DeterminismViolation | undefined => {
  const v = (path: string, recorded: unknown, replayed: unknown) =>
    new DeterminismViolation({ ...at, tool: event.name, path, recorded: short(recorded), replayed: short(replayed) })
  let output: string
  let error: boolean
  let patchJson: string
  if (event.actor === "env") {
    if (event.name !== "sync_tools") return undefined
    const synced = syncWorld(domain, state.world)
    output = ""
    error = false
    patchJson = encodePatch(synced.patch)
  } else {
    // A task history's tool messages change nothing: their calls ran in the initial state.
    if (event.setup) return event.patchJson === "[]" ? undefined : v("patch", event.patchJson, "[]")
    const call = state.pending.find((c) => c.id === event.callId)
    if (!call) return v("call", event.callId, "no pending call with this id")
    // The record must name the call it claims to have run, with the arguments the call carried.
    const argumentsJson = call.arguments === undefined ? call.argumentsJson : PyJson.compact(call.arguments)
    if (event.name !== call.name) return v("name", event.name, call.name)
    if (event.argumentsJson !== argumentsJson) return v("arguments", event.argumentsJson, argumentsJson)
    const outcome = executeEpisodeCall(domain, state, state.world, call, state.trajectory.length)
    output = outcome.output
    error = outcome.error
    patchJson = encodePatch(outcome.patch)
  }
  // An imported output (and error flag) is what the source's tool returned, possibly perturbed: a
  // fact from outside. The world change is ours, computed at import, so that is what must replay.
  if (!imported) {
    if (output !== event.output) return v("output", event.output, output)
    if (error !== event.error) return v("error", event.error, error)
  }
  const path = patchDifference(state.world, event.patchJson, patchJson)
  if (path !== undefined) return v(path, event.patchJson, patchJson)
  return undefined
}
