/**
 * Exporting our runs as τ² results (semantics §1.3–1.5), documents that validate against τ²'s own
 * `Results` model. Our own episodes are rendered from their events: times from the events'
 * recorded times (never the clock now), per-message cost and usage from the `ModelCalled` events
 * that produced each message, the reward from the latest τ² score. Imported episodes are written
 * back as their source record (`ExternalRecord`), with only the fields τ² requires and an older
 * file lacks filled in from what was recorded, so export → import → export gives the same file.
 */
import {
  agentPolicy,
  callCost,
  type Domain,
  DomainResolver,
  type EpisodeEnded,
  type EpisodeRow,
  type EpisodeStarted,
  float,
  GREETING,
  isNumber,
  isSolo,
  type ModelCalled,
  type Mode,
  type PyObject,
  PyJson,
  type PyValue,
  type RunRecord,
  type ScoreRecord,
  type StoredEvent,
  TERMINATION_REASONS,
  EventStore,
} from "@tau-sim/engine"
import { rewardInfoToPy, type RewardInfo } from "@tau-sim/evaluators"
import { parseModelSpec, USER_GUIDELINES } from "@tau-sim/models"
import { domainOf, loadEpisode, type ReplayedEpisode, requireRun, scanEpisodes, type SkippedEpisode } from "@tau-sim/replay"
import { RUN_DEFAULTS } from "@tau-sim/runs"
import { Effect, Option, Schema } from "effect"
import { IMPORT_SOURCE, importedEpisodeId } from "./tau2-import.ts"
import type { ResultsLayout } from "./tau2-layout.ts"

export interface ExportedResults {
  /** The results with their simulations inline (the single-file form; `resultsFiles` lays it out). */
  readonly document: PyObject
  /** The layout the run came in (an import of the dir layout), else `file`: the default to write it in. */
  readonly layout: ResultsLayout
  /** Episodes left out: unreadable, not finished (an interrupted run), or simulations of an unfinished import. */
  readonly skipped: ReadonlyArray<SkippedEpisode>
}

/**
 * An episode that has not ended (its run was interrupted, or is running). τ² results hold finished
 * simulations only (a τ² run saves a simulation when it ends), and no termination reason says
 * "not finished": exporting it as one of them would misreport it, so it is left out and named.
 */
export class EpisodeNotFinished extends Schema.TaggedError<EpisodeNotFinished>()("EpisodeNotFinished", {
  episodeId: Schema.String,
  runId: Schema.String,
}) {
  override get message(): string {
    return `episode ${this.episodeId} has not ended, and τ² results hold finished simulations only (tau run --resume ${this.runId} finishes it)`
  }
}

// ---- times ----------------------------------------------------------------------------------

/** A recorded ISO time (`toISOString`) in microseconds since the epoch. */
const micros = (iso: string): number => Date.parse(iso) * 1000

/**
 * A time as τ² writes it, Python's `datetime.isoformat()`: no zone (ours are UTC), microseconds,
 * left out when zero.
 */
export const pythonIsoformat = (us: number): string => {
  const whole = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19)
  const fraction = ((us % 1_000_000) + 1_000_000) % 1_000_000
  return fraction === 0 ? whole : `${whole}.${String(fraction).padStart(6, "0")}`
}

/** Seconds between two times in microseconds, as a Python float. */
const seconds = (fromUs: number, toUs: number) => float(Math.max(0, toUs - fromUs) / 1e6)

// ---- participants -----------------------------------------------------------------------------

/**
 * τ²'s agent implementation that plays a model agent in each of our modes (semantics §7). τ²
 * (its evaluate-trajs, and ours) knows a simulation ran without a user only from the pair
 * `llm_agent_solo` / `dummy_user`, and scores it accordingly; it registers no solo agent with an
 * oracle plan, so a file saying `llm_agent_solo_gt` would be scored as dual control.
 */
const AGENT_IMPLEMENTATION: Readonly<Record<Mode, string>> = {
  default: "llm_agent",
  "no-policy": "llm_agent",
  "oracle-plan": "llm_agent_gt",
  "no-user": "llm_agent_solo",
  "no-user-oracle-plan": "llm_agent_solo",
}

/**
 * A model spec as τ² names it: the LiteLLM model string (`gpt-4.1`, `claude-sonnet-4-5`, an
 * OpenAI-compatible server's model as `openai/<model>` with its `api_base`) and the generation
 * arguments. Null for a participant that is not a model (`oracle`, `scripted`, a script file).
 */
const modelOf = (spec: string): { llm: string; llmArgs: PyObject } | null => {
  let parsed: ReturnType<typeof parseModelSpec>
  try {
    parsed = parseModelSpec(spec)
  } catch {
    return null
  }
  if (parsed === undefined) return null
  const args = PyJson.fromPlain(parsed.args) as PyObject
  // A compat spec as recorded has its credentials redacted already (`https://***@host`).
  if (parsed.provider === "compat") return { llm: `openai/${parsed.model}`, llmArgs: { ...args, api_base: parsed.baseURL } }
  return { llm: parsed.model, llmArgs: args }
}

/**
 * `agent_info`. A model agent is τ²'s implementation for the mode; ours that are not models
 * (`oracle`, scripts) keep their own names with no llm, rather than claim a τ² agent ran, except
 * without a user: there the solo implementation is how τ² reads the mode (its evaluation differs),
 * and `llm: null` says no model played it.
 */
const agentInfo = (started: EpisodeStarted): PyObject => {
  const model = modelOf(started.agent)
  return {
    implementation: model || isSolo(started) ? AGENT_IMPLEMENTATION[started.mode] : started.agent,
    llm: model?.llm ?? null,
    llm_args: model?.llmArgs ?? null,
    voice_settings: null,
  }
}

/** `user_info`: τ²'s `dummy_user` when there is none (solo modes), its simulator for a model, else our user's own name. */
const userInfo = (started: EpisodeStarted): PyObject => {
  const none = { llm: null, llm_args: null, global_simulation_guidelines: null, voice_settings: null, persona_config: null }
  if (isSolo(started)) return { implementation: "dummy_user", ...none }
  const model = modelOf(started.user)
  if (!model) return { implementation: started.user, ...none }
  // τ² records its no-tools guidelines here; ours are our own words (models' prompts/user.ts).
  return { implementation: "user_simulator", ...none, llm: model.llm, llm_args: model.llmArgs, global_simulation_guidelines: USER_GUIDELINES }
}

/** `environment_info.domain_name`: `telecom-workflow` for the workflow variant, as τ² names that domain. */
const domainName = (started: EpisodeStarted): string => (started.policyVariant === "default" ? started.domain : `${started.domain}-${started.policyVariant}`)

/** The environment's policy text: the solo variant in a solo mode (τ² builds the env in solo mode then). */
const environmentPolicy = (domain: Domain, started: EpisodeStarted): string =>
  isSolo(started) ? (domain.policy.solo ?? domain.policy.default) : domain.policy.default

// ---- simulations ------------------------------------------------------------------------------

type Participant = "agent" | "user"

/** What the model calls behind a message cost: USD (null: a call had no price), and their tokens. */
interface MessageCost {
  readonly cost: number | null
  readonly usage: { readonly prompt_tokens: number; readonly completion_tokens: number }
}

const costOfCalls = (calls: ReadonlyArray<ModelCalled>): MessageCost => {
  let cost: number | null = 0
  let prompt = 0
  let completion = 0
  for (const c of calls) {
    const one = callCost(c)
    cost = cost === null || one === null ? null : cost + one
    prompt += c.usage.promptTokens
    completion += c.usage.completionTokens
  }
  return { cost, usage: { prompt_tokens: prompt, completion_tokens: completion } }
}

/**
 * The calls behind each message: a participant's `ModelCalled` events (every attempt) are stored
 * just before the message they produced. Calls after a participant's last message (the failed
 * attempts of an errored episode) are `unattached`. Judge calls are stored with scores, not here.
 */
const callsByMessage = (events: ReadonlyArray<StoredEvent>) => {
  const byEvent = new Map<number, ReadonlyArray<ModelCalled>>()
  const pending: Record<Participant, ModelCalled[]> = { agent: [], user: [] }
  for (const [i, { event }] of events.entries()) {
    if (event._tag === "ModelCalled" && event.participant !== "judge") pending[event.participant].push(event)
    else if (event._tag === "MessageSent") {
      byEvent.set(i, pending[event.role])
      pending[event.role] = []
    }
  }
  return { byEvent, unattached: pending }
}

/**
 * Message times, strictly increasing in trajectory order: τ² orders a trajectory by its timestamp
 * strings, and events appended together share one recorded time (to the millisecond), so a
 * message recorded at the same time as the one before it is stamped one microsecond later.
 */
const messageTimes = (events: ReadonlyArray<StoredEvent>, seqs: ReadonlyArray<number>, fromUs: number): number[] => {
  let previous = fromUs - 1
  return seqs.map((seq) => {
    previous = Math.max(micros(events[seq].recordedAt), previous + 1)
    return previous
  })
}

/** The latest τ² score as a RewardInfo; a score whose evaluator failed (no RewardInfo) as the reward with the error in `info`. */
const rewardInfoOf = (score: ScoreRecord | undefined): PyValue => {
  if (score === undefined) return null
  const breakdown = score.breakdown as Partial<RewardInfo> | null
  if (breakdown !== null && typeof breakdown === "object" && typeof breakdown.reward === "number") return rewardInfoToPy(breakdown as RewardInfo)
  return { reward: float(score.reward), reward_basis: null, info: PyJson.fromPlain(breakdown) as PyValue }
}

const nativeSimulation = (loaded: ReplayedEpisode, score: ScoreRecord | undefined): PyObject => {
  const { final, stored, domain } = loaded
  const started = final.started
  const ended = stored.findLast((e) => e.event._tag === "EpisodeEnded")?.event as EpisodeEnded
  const task = domain.tasks.find((t) => t.id === started.taskId)
  const greeted = (task?.initial_state?.message_history ?? []).length === 0
  const { byEvent, unattached } = callsByMessage(stored)
  const startUs = micros(stored[loaded.inherited].recordedAt)
  const times = messageTimes(
    stored,
    final.trajectory.map((m) => m.seq),
    // A fork's inherited messages were recorded by its parent, before the fork started.
    Math.min(startUs, ...final.trajectory.map((m) => micros(stored[m.seq].recordedAt))),
  )
  const endUs = Math.max(micros(stored[stored.length - 1].recordedAt), ...times)
  const totals: Record<Participant, number | null> = { agent: 0, user: 0 }
  const messages = final.trajectory.map((m, turn): PyValue => {
    const timestamp = pythonIsoformat(times[turn])
    if (m.role === "tool") return { id: m.id, role: "tool", content: m.content, requestor: m.requestor, error: m.error, turn_idx: turn, timestamp }
    const participant: Participant = m.role === "assistant" ? "agent" : "user"
    const calls = byEvent.get(m.seq) ?? []
    // τ²'s fixed greeting costs 0.0; a history message or one no model produced has no cost (null), as in τ².
    const priced =
      calls.length > 0 ? costOfCalls(calls) : m.setup && greeted && m.role === "assistant" && m.content === GREETING ? { cost: 0, usage: null } : null
    const cost = priced?.cost ?? null
    totals[participant] = totals[participant] === null || cost === null ? null : (totals[participant] as number) + cost
    return {
      role: m.role,
      content: m.content,
      tool_calls: m.toolCalls?.map((c) => ({ id: c.id, name: c.name, arguments: (c.arguments ?? {}) as PyValue, requestor: c.requestor })) ?? null,
      turn_idx: turn,
      timestamp,
      cost: cost === null ? null : float(cost),
      usage: priced?.usage ?? null,
    }
  })
  // τ²: a participant's cost is the sum over its messages, null if any has none; no user (solo) or no model at all: null.
  const total = (participant: Participant): PyValue => {
    const spec = participant === "agent" ? started.agent : started.user
    const ran = stored.some((e) => e.event._tag === "ModelCalled" && e.event.participant === participant)
    if ((participant === "user" && isSolo(started)) || (!ran && modelOf(spec) === null)) return null
    const rest = costOfCalls(unattached[participant]).cost
    const sum = totals[participant]
    return sum === null || rest === null ? null : float(sum + rest)
  }
  return {
    id: loaded.episodeId,
    task_id: started.taskId,
    timestamp: pythonIsoformat(endUs),
    start_time: pythonIsoformat(startUs),
    end_time: pythonIsoformat(endUs),
    duration: seconds(startUs, endUs),
    termination_reason: ended.reason,
    agent_cost: total("agent"),
    user_cost: total("user"),
    reward_info: rewardInfoOf(score),
    messages,
    trial: started.trial,
    seed: started.seed,
    mode: "half_duplex",
    // The policy text the agent was given (τ² HEAD records it): none in no-policy mode.
    policy: agentPolicy(domain, started.mode),
    info: ended.note === null ? null : { error: ended.note, error_type: ended.reason },
  }
}

// ---- imported simulations -------------------------------------------------------------------

const isText = (v: PyValue | undefined): v is string => typeof v === "string"

/** Where an imported episode's export reads its times and end from: its first and last stored events. */
interface ImportedStream {
  readonly episodeId: string
  readonly taskId: string
  readonly first: StoredEvent
  readonly last: StoredEvent
}

/** The record's fields the export may fill in (`recordFill`); it reads no other (but `messages`, when times are missing). */
const FILLED_FIELDS = ["id", "task_id", "start_time", "end_time", "duration", "termination_reason"] as const

/**
 * What τ²'s model requires of an imported simulation and its source lacks (an older τ² version
 * wrote no times, say), filled in deterministically: times from its messages' timestamps, else
 * the import's recorded times; a termination reason τ² does not know as the import read it.
 * Fields the source has are never changed, so exporting an import of this export gives it back as it is.
 */
const recordFill = (record: PyObject, stream: ImportedStream): Record<string, PyValue> => {
  const ended = stream.last.event
  const stamps = (Array.isArray(record.messages) ? (record.messages as PyValue[]) : [])
    .map((m) => (m !== null && typeof m === "object" && !Array.isArray(m) ? (m as PyObject).timestamp : undefined))
    .filter(isText)
  const start = isText(record.start_time) ? record.start_time : (stamps[0] ?? pythonIsoformat(micros(stream.first.recordedAt)))
  const end = isText(record.end_time) ? record.end_time : (stamps.at(-1) ?? pythonIsoformat(micros(stream.last.recordedAt)))
  const fill: Record<string, PyValue> = {}
  if (!isText(record.id)) fill.id = typeof record.id === "number" ? String(record.id) : stream.episodeId
  if (!isText(record.task_id)) fill.task_id = record.task_id === undefined ? stream.taskId : String(record.task_id)
  if (!isText(record.start_time)) fill.start_time = start
  if (!isText(record.end_time)) fill.end_time = end
  if (!isNumber(record.duration)) {
    const span = Date.parse(`${end}Z`) - Date.parse(`${start}Z`)
    fill.duration = float(Number.isFinite(span) && span > 0 ? span / 1000 : 0)
  }
  if (!(TERMINATION_REASONS as ReadonlyArray<PyValue>).includes(record.termination_reason ?? null) && ended._tag === "EpisodeEnded") {
    fill.termination_reason = ended.reason
  }
  return fill
}

/** An imported simulation as its source recorded it, completed (`recordFill`). */
const importedSimulation = (record: PyObject, stream: ImportedStream): PyObject => {
  const fill = recordFill(record, stream)
  return Object.keys(fill).length === 0 ? record : { ...record, ...fill }
}

/**
 * A stored record that needs nothing filled in, kept as the compact text it is stored as:
 * `PyJson.dumpsOfCompactTo` writes it as `dumps` writes the parsed record, without decoding it.
 */
class RecordText {
  readonly compact: string
  constructor(compact: string) {
    this.compact = compact
  }
}

/** A simulation as a value (a record kept as its text parsed: nothing needed filling in). */
const recordValue = (simulation: PyObject | RecordText): PyObject =>
  simulation instanceof RecordText ? (PyJson.parse(simulation.compact) as PyObject) : simulation

/** The record as its text when it is in compact's form and complete (read from its few small fields only), else parsed and completed. */
const recordOf = (json: string, stream: ImportedStream, whole: boolean): PyObject | RecordText => {
  const top = whole ? undefined : PyJson.scanCompact(json)
  if (top !== undefined && json.startsWith("{")) {
    const fields: Record<string, PyValue> = {}
    for (const key of FILLED_FIELDS) {
      const at = top.get(key)
      if (at !== undefined) fields[key] = PyJson.parse(json.slice(at[0], at[1]))
    }
    if (Object.keys(recordFill(fields, stream)).length === 0) return new RecordText(json)
  }
  return importedSimulation(PyJson.parse(json) as PyObject, stream)
}

/** An imported header's `info` with the keys τ² requires and an older file lacks, from the episodes' starts. */
const completedInfo = (info: PyObject, started: EpisodeStarted | undefined, trials: number): PyObject => {
  const filled: Record<string, PyValue> = { ...info }
  const fillIn = (key: string, value: PyValue) => {
    if (filled[key] === undefined || filled[key] === null) filled[key] = value
  }
  fillIn("git_commit", "unknown")
  fillIn("num_trials", trials)
  fillIn("max_steps", started?.limits.maxSteps ?? RUN_DEFAULTS.maxSteps)
  fillIn("max_errors", started?.limits.maxErrors ?? RUN_DEFAULTS.maxErrors)
  for (const side of ["user_info", "agent_info"] as const) {
    const part = filled[side]
    const obj = part !== null && typeof part === "object" && !Array.isArray(part) ? (part as PyObject) : {}
    if (!isText(obj.implementation)) filled[side] = { ...obj, implementation: "unknown" }
  }
  const env = filled.environment_info
  const envObj = env !== null && typeof env === "object" && !Array.isArray(env) ? (env as PyObject) : {}
  if (!isText(envObj.domain_name) || !isText(envObj.policy)) {
    filled.environment_info = {
      ...envObj,
      domain_name: isText(envObj.domain_name) ? envObj.domain_name : started ? domainName(started) : "unknown",
      policy: isText(envObj.policy) ? envObj.policy : "",
    }
  }
  return filled
}

// ---- the run ----------------------------------------------------------------------------------

/** A τ² results file has one agent, one user, one domain and one set of limits in its header. */
const exportedConfiguration = (started: EpisodeStarted) => ({
  domain: started.domain,
  policyVariant: started.policyVariant,
  mode: started.mode,
  agent: started.agent,
  user: started.user,
  maxSteps: started.limits.maxSteps,
  maxErrors: started.limits.maxErrors,
})

const describeConfiguration = (c: ReturnType<typeof exportedConfiguration>): string =>
  `${c.domain}${c.policyVariant === "default" ? "" : `:${c.policyVariant}`} · ${c.mode} · agent ${c.agent} / user ${c.user} · max_steps ${c.maxSteps}, max_errors ${c.maxErrors}`

/** The run's episodes ran with different configurations (e.g. the forks of a run by two agents): one results file cannot say so. */
export class MixedConfigurationsExport extends Schema.TaggedError<MixedConfigurationsExport>()("MixedConfigurationsExport", {
  runId: Schema.String,
  configurations: Schema.Array(Schema.String),
}) {
  override get message(): string {
    return `run ${this.runId} has episodes of ${this.configurations.length} configurations, and a τ² results file has one agent, user and domain: ${this.configurations.join("; ")}`
  }
}

const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined)

/** What a results header says of one exported episode: its start, and its domain (the first one's gives tasks and policy). */
interface HeaderFact {
  readonly episodeId: string
  readonly started: EpisodeStarted
  readonly domain: Domain | undefined
}

/** An exported episode: its simulation, and what the header needs of it (not the loaded episode: its events and world). */
interface Exported extends HeaderFact {
  readonly simulation: PyObject | RecordText
}

/** The run, its episodes and what each export of it needs to know of them. */
interface RunToExport {
  readonly runId: string
  readonly run: RunRecord
  readonly config: Record<string, unknown>
  readonly imported: boolean
  readonly episodes: ReadonlyArray<EpisodeRow>
}

const runToExport = (runId: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const run = yield* requireRun(runId)
    const config = run.config as Record<string, unknown>
    const episodes = yield* store.listEpisodes({ runId })
    return { runId, run, config, imported: config.source === IMPORT_SOURCE, episodes } satisfies RunToExport
  })

/**
 * An imported episode's start, record and last event, read alone (an import stores the record
 * right after the start): its messages are not read nor replayed, for the export is the record.
 * Undefined when the stream is not so (a fork of an import, a damaged start): it is loaded whole.
 */
const importedStream = (episodeId: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const [first, record] = yield* store.read(episodeId, { toSeq: 2 })
    if (first?.event._tag !== "EpisodeStarted" || first.event.parent !== null || record?.event._tag !== "ExternalRecord") return undefined
    const row = yield* store.getEpisode(episodeId)
    const [last] = row === undefined || row.version < 2 ? [] : yield* store.read(episodeId, { fromSeq: row.version - 1 })
    if (last === undefined) return undefined
    const started = first.event
    const domain = yield* domainOf(episodeId, { domain: started.domain, dataDir: started.dataDir, policyVariant: started.policyVariant })
    const stream: ImportedStream = { episodeId, taskId: started.taskId, first, last }
    return { started, domain, stream, json: record.event.json }
  })

/**
 * One episode as a simulation; it fails (and is skipped by the caller) when unreadable or, if ours,
 * not finished. `whole`: an imported record is always parsed (the document is built whole).
 */
const exportEpisode = (runId: string, episodeId: string, whole: boolean) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const imported = yield* importedStream(episodeId)
    if (imported !== undefined) {
      const { started, domain, stream, json } = imported
      return { episodeId, started, domain, simulation: recordOf(json, stream, whole) } satisfies Exported
    }
    const loaded = yield* loadEpisode(episodeId)
    const fact = { episodeId, started: loaded.final.started, domain: loaded.domain }
    const external = loaded.events.find((e) => e._tag === "ExternalRecord")
    if (external?._tag === "ExternalRecord") {
      const stream = { episodeId, taskId: loaded.final.started.taskId, first: loaded.stored[0], last: loaded.stored[loaded.stored.length - 1] }
      return { ...fact, simulation: importedSimulation(PyJson.parse(external.json) as PyObject, stream) } satisfies Exported
    }
    if (loaded.final.ended === null) return yield* new EpisodeNotFinished({ episodeId, runId })
    const scores = yield* store.listScores(episodeId)
    const score = scores.findLast((s) => s.evaluator === "tau2")
    return { ...fact, simulation: nativeSimulation(loaded, score) } satisfies Exported
  })

/** The layout a run is exported in by default: the one an imported run came in, else `file`. */
const defaultLayout = (r: RunToExport): ResultsLayout => (r.imported && r.config.layout === "dir" ? "dir" : "file")

/**
 * The results document without `simulations` and `simulation_index` (which always come last), from
 * what the exported episodes (`done`, in the run's episode order) say: the header of an import as
 * it was read, completed; ours from the episodes' own starts, which must agree on one configuration.
 */
const resultsHead = (r: RunToExport, done: ReadonlyArray<HeaderFact>): Effect.Effect<PyObject, MixedConfigurationsExport> =>
  Effect.gen(function* () {
    const { config } = r
    const trials = Math.max(0, ...done.map((e) => e.started.trial + 1))
    if (r.imported) {
      const header = PyJson.parse(String(config.headerJson)) as PyObject
      const { simulations: _inline, simulation_index: _index, ...rest } = header
      const info = header.info !== null && typeof header.info === "object" && !Array.isArray(header.info) ? (header.info as PyObject) : {}
      return { ...rest, info: completedInfo(info, done[0]?.started, trials), tasks: Array.isArray(header.tasks) ? header.tasks : [] }
    }
    // The header says what the episodes ran with (their own start events), and there must be one such configuration.
    const configurations = new Map(done.map(({ started }) => [JSON.stringify(exportedConfiguration(started)), exportedConfiguration(started)]))
    if (configurations.size > 1) {
      return yield* new MixedConfigurationsExport({ runId: r.runId, configurations: [...configurations.values()].map(describeConfiguration) })
    }
    const first = done[0]
    const started = first?.started
    const taskIds = new Set(done.map((e) => e.started.taskId))
    return {
      timestamp: pythonIsoformat(micros(r.run.createdAt)),
      info: {
        git_commit: started ? `tau-sim ${started.engineVersion}` : "tau-sim",
        num_trials: typeof config.trials === "number" ? config.trials : trials,
        max_steps: started?.limits.maxSteps ?? Number(config.maxSteps ?? RUN_DEFAULTS.maxSteps),
        max_errors: started?.limits.maxErrors ?? Number(config.maxErrors ?? RUN_DEFAULTS.maxErrors),
        user_info: started ? userInfo(started) : { implementation: text(config.user) ?? RUN_DEFAULTS.user },
        agent_info: started ? agentInfo(started) : { implementation: text(config.agent) ?? RUN_DEFAULTS.agent },
        environment_info: {
          domain_name: started ? domainName(started) : (text(config.domain) ?? ""),
          policy: first?.domain && started ? environmentPolicy(first.domain, started) : "",
          tool_defs: null,
        },
        // A forks run has no seed of its own (its episodes keep their parents' seeds).
        seed: typeof config.seed === "number" ? config.seed : null,
        text_streaming_config: { chunk_by: "words", chunk_size: 1 },
        speech_complexity: null,
        audio_native_config: null,
        retrieval_config: null,
        retrieval_config_kwargs: null,
      },
      tasks: first?.domain ? (first.domain.tasks.filter((t) => taskIds.has(t.id)) as unknown as PyValue[]) : [],
    }
  })

/** An imported run's simulations not in the store: their import did not finish. */
const missingSimulations = (r: RunToExport, order: ReadonlyArray<string>): SkippedEpisode[] => {
  const stored = new Set(r.episodes.map((e) => e.episodeId))
  return order
    .map((id) => ({ id, episodeId: importedEpisodeId(r.runId, id) }))
    .filter((s) => !stored.has(s.episodeId))
    .map((s) => ({ episode_id: s.episodeId, seq: null, reason: `simulation ${s.id} is not in the store: its import did not finish (import the file again)` }))
}

const simulationOrderOf = (r: RunToExport): ReadonlyArray<string> | undefined => {
  const order = r.config.simulationOrder
  return Array.isArray(order) ? order.map(String) : undefined
}

/**
 * Exports a run as a τ² results document (simulations inline, `simulation_index: null`; lay it out
 * with `resultsFiles`). An episode that cannot be read or has not ended is left out and named in
 * `skipped`; the others are exported. The whole document is in memory: `writeTau2Results` writes
 * the same text a simulation at a time.
 */
export const exportTau2Results = (runId: string) =>
  Effect.gen(function* () {
    const r = yield* runToExport(runId)
    const scan = yield* scanEpisodes(
      r.episodes,
      (ep) => ep.episodeId,
      (ep) => exportEpisode(runId, ep.episodeId, true).pipe(Effect.map((e) => ({ ...e, simulation: recordValue(e.simulation) }))),
    )
    const head = yield* resultsHead(r, scan.done)
    if (!r.imported)
      return {
        document: { ...head, simulations: scan.done.map((e) => e.simulation), simulation_index: null },
        layout: "file",
        skipped: scan.skipped,
      } satisfies ExportedResults
    const order = simulationOrderOf(r) ?? scan.done.map((e) => String(e.simulation.id))
    const bySource = new Map(scan.done.map((e) => [e.episodeId, e.simulation]))
    const simulations = order.flatMap((id) => {
      const sim = bySource.get(importedEpisodeId(runId, id))
      return sim ? [sim] : []
    })
    const document: PyObject = { ...head, simulations, simulation_index: null }
    return { document, layout: defaultLayout(r), skipped: [...scan.skipped, ...missingSimulations(r, order)] } satisfies ExportedResults
  })

/** The layout `tau export` writes a run in when none is asked for: an imported run's own, else `file`. */
export const exportLayout = (runId: string) => Effect.map(runToExport(runId), defaultLayout)

/**
 * Where `writeTau2Results` writes the text: `write` takes the next piece (synchronously; a failure
 * is kept and reported by `check`), `restart` drops everything written so far.
 */
export interface ResultsSink<E> {
  readonly write: (piece: string) => void
  readonly check: () => Effect.Effect<void, E>
  readonly restart: () => Effect.Effect<void, E>
}

/** How often the header is rebuilt when it keeps turning out different (episodes changing while exported); then the document is built whole. */
const STREAM_ATTEMPTS = 3

/**
 * Writes a run as the τ² results file `exportTau2Results` makes (`PyJson.dumps` of its document and
 * a newline, byte for byte), a simulation at a time, so memory stays flat in the number of episodes.
 * The header comes first and lists every exported episode's task, so a cheap pass predicts which
 * episodes will be exported (their start event, and whether ours have ended); the episodes are then
 * exported in order and written, and the header they actually give is compared with the one
 * written: when an episode failed unforeseen (an unreadable row, an unreadable score) and that
 * changes it, the file is written again with the header now known.
 */
export const writeTau2Results = <E>(runId: string, sink: ResultsSink<E>) =>
  Effect.gen(function* () {
    const r = yield* runToExport(runId)
    const order = r.imported ? simulationOrderOf(r) : undefined
    // An old import without its simulation order orders by simulation id: built whole, as it is small and rare.
    if (r.imported && order === undefined) {
      const exported = yield* exportTau2Results(runId)
      yield* writeWhole(exported.document, sink)
      return { layout: exported.layout, skipped: exported.skipped }
    }
    const position = new Map(r.episodes.map((e, i) => [e.episodeId, i]))
    // In the run's episode order, each once (an import's file order may name a simulation twice).
    const byPosition = <A>(items: ReadonlyArray<A>, idOf: (a: A) => string): A[] => {
      const once = new Map<string, A>()
      for (const a of items) if (!once.has(idOf(a))) once.set(idOf(a), a)
      return [...once.values()].sort((a, b) => (position.get(idOf(a)) ?? 0) - (position.get(idOf(b)) ?? 0))
    }
    // Ours in the run's order; an import's in its file's order, then its other stored episodes (for what the header and `skipped` say of them).
    const inOrder = (order ?? []).map((id) => importedEpisodeId(runId, id)).filter((id) => position.has(id))
    const ordered = new Set(inOrder)
    const visits: ReadonlyArray<{ readonly episodeId: string; readonly written: boolean }> =
      order === undefined
        ? r.episodes.map((e) => ({ episodeId: e.episodeId, written: true }))
        : [
            ...inOrder.map((episodeId) => ({ episodeId, written: true })),
            ...r.episodes.filter((e) => !ordered.has(e.episodeId)).map((e) => ({ episodeId: e.episodeId, written: false })),
          ]
    let expected = yield* resultsHead(r, yield* predictedFacts(r)).pipe(Effect.option)
    for (let attempt = 0; attempt < STREAM_ATTEMPTS; attempt++) {
      const headText = Option.map(expected, PyJson.dumps)
      if (Option.isSome(headText)) {
        yield* sink.restart()
        sink.write(headText.value === "{}" ? '{"simulations": [' : `${headText.value.slice(0, -1)}, "simulations": [`)
      }
      const done: HeaderFact[] = []
      const skipped: SkippedEpisode[] = []
      let count = 0
      for (const visit of visits) {
        const one = yield* scanEpisodes(
          [visit.episodeId],
          (id) => id,
          (id) => exportEpisode(runId, id, false),
        )
        skipped.push(...one.skipped)
        const [exported] = one.done
        if (exported === undefined) continue
        done.push({ episodeId: exported.episodeId, started: exported.started, domain: exported.domain })
        if (!visit.written || Option.isNone(headText)) continue
        if (count++ > 0) sink.write(", ")
        const sim = exported.simulation
        if (sim instanceof RecordText) PyJson.dumpsOfCompactTo(sim.compact, sink.write)
        else PyJson.dumpsTo(sim, sink.write)
        yield* sink.check()
      }
      const actual = yield* resultsHead(
        r,
        byPosition(done, (e) => e.episodeId),
      )
      if (Option.isSome(headText) && PyJson.dumps(actual) === headText.value) {
        sink.write('], "simulation_index": null}\n')
        yield* sink.check()
        const all = byPosition(skipped, (s) => s.episode_id)
        return { layout: defaultLayout(r), skipped: order === undefined ? all : [...all, ...missingSimulations(r, order)] }
      }
      expected = Option.some(actual)
    }
    const exported = yield* exportTau2Results(runId)
    yield* writeWhole(exported.document, sink)
    return { layout: exported.layout, skipped: exported.skipped }
  })

const writeWhole = <E>(document: PyObject, sink: ResultsSink<E>) =>
  Effect.gen(function* () {
    yield* sink.restart()
    PyJson.dumpsTo(document, sink.write)
    sink.write("\n")
    yield* sink.check()
  })

/**
 * What the header will likely say, cheaply: each episode's start event (its first own event) and,
 * for ours, whether the read model says it ended; the first such episode's domain. Episodes whose
 * start cannot be read are predicted skipped.
 */
const predictedFacts = (r: RunToExport) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const resolver = yield* DomainResolver
    const facts: HeaderFact[] = []
    for (const ep of r.episodes) {
      if (!r.imported && ep.status !== "ended") continue
      const [first] = yield* store.read(ep.episodeId, { toSeq: 1 }).pipe(Effect.orElseSucceed(() => []))
      if (first?.event._tag !== "EpisodeStarted") continue
      const started = first.event
      const domain =
        facts.length > 0 || r.imported
          ? undefined
          : yield* resolver
              .resolve({ domain: started.domain, dataDir: started.dataDir, policyVariant: started.policyVariant })
              .pipe(Effect.orElseSucceed(() => undefined))
      if (facts.length === 0 && domain === undefined && !r.imported) continue
      facts.push({ episodeId: ep.episodeId, started, domain })
    }
    return facts
  })
