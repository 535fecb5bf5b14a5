/**
 * Importing τ² results into our store (export is `tau2-export.ts`).
 *
 * An imported simulation becomes an episode: the task's initial state as env steps, every
 * message as `MessageSent` / `ToolExecuted` (world patches computed by re-executing the calls on
 * the domain, the recorded outputs kept as they were), the original reward as a score from
 * evaluator `tau2-original`, and the original record verbatim (`ExternalRecord`) so an export of
 * an imported run reproduces the file field by field.
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import {
  initialStateEvents,
  type Domain,
  encodePatch,
  type EpisodeEvent,
  Events,
  EventStore,
  executeToolCall,
  isObject,
  type Node,
  type Op,
  type PyObject,
  PyJson,
  type PyValue,
  type RunRecord,
  type ScoreRecord,
  TERMINATION_REASONS,
  type Task,
  type TerminationReason,
  toolRandom,
  taskHash,
  nowIso,
} from "@tau-sim/engine"
import { Effect, Schema } from "effect"
import { ResultsFileError } from "./tau2-layout.ts"
import { embeddedTasks, isSoloResults, readResultsFile, resultsDomain, type Tau2Results } from "./tau2-results.ts"
import { isSecretParameter, REDACTED_MARK, redactUrlsIn } from "@tau-sim/models"
import { RUN_DEFAULTS, stableEpisodeId } from "@tau-sim/runs"

export const TAU2_ORIGINAL_EVALUATOR = "tau2-original"
/** `config.source` of a run made by importing a results file. */
export const IMPORT_SOURCE = "tau2-results"

const sha = (s: string) => createHash("sha256").update(s).digest("hex")
/** sha256 of `compact(v)`, hashed a piece at a time (a results file of a 50 MB message is never one more string). */
const compactSha = (v: PyValue): string => {
  const h = createHash("sha256")
  PyJson.compactTo(v, (piece) => h.update(piece))
  return h.digest("hex")
}
/** `compact(v)`, joined once from its pieces (compact joins each level of a big value anew: a copy of it per level). */
const compactText = (v: PyValue): string => {
  const pieces: string[] = []
  PyJson.compactTo(v, (piece) => pieces.push(piece))
  return pieces.join("")
}
const str = (v: PyValue | undefined, fallback = ""): string => (typeof v === "string" ? v : fallback)
/** An imported simulation's episode id: fixed by the file's content and the simulation id. */
export const importedEpisodeId = (runId: string, simulationId: string) => stableEpisodeId(runId, simulationId)

const participantSpec = (info: PyObject | undefined): string => {
  const impl = str(info?.implementation, "unknown")
  const llm = str(info?.llm)
  return `tau2:${impl}${llm ? `:${llm}` : ""}`
}

/**
 * The results header without credentials: τ² writes its participants' `llm_args` verbatim, and
 * those often hold an `api_key` or a base URL with a password. Such values never reach the store
 * (which may be shared): a credential-named key's value becomes `***`, and URLs lose their
 * user-info and credential parameters. The run id still comes from the file as it was.
 */
const withoutCredentials = (v: PyValue): PyValue => {
  if (typeof v === "string") return redactUrlsIn(v)
  if (Array.isArray(v)) return v.map(withoutCredentials)
  if (!isObject(v)) return v
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, isSecretParameter(k) && x !== null ? REDACTED_MARK : withoutCredentials(x)]))
}

export interface ImportSummary {
  readonly run_id: string
  readonly domain: string
  /** Simulations in the file. */
  readonly simulations: number
  /** Episodes this invocation stored (with their original score). */
  readonly episodes: number
  /** Episodes that were in the store already (an earlier or concurrent import). */
  readonly already_present: number
  /** Of those, episodes stored without their `tau2-original` score (by older versions) that got it now. */
  readonly scores_repaired: number
}

/** A write failed part-way; the episodes stored before it are whole, and a re-run finishes the rest. */
export class ImportWriteError extends Schema.TaggedError<ImportWriteError>()("ImportWriteError", {
  file: Schema.String,
  simulationId: Schema.String,
  episodeId: Schema.String,
  reason: Schema.String,
}) {
  override get message(): string {
    return `${this.file}: simulation ${this.simulationId} (episode ${this.episodeId}) ${this.reason}; importing the file again finishes the import`
  }
}

interface PlannedEpisode {
  readonly simulationId: string
  readonly episodeId: string
  readonly events: ReadonlyArray<EpisodeEvent>
  /** The original reward; null when the simulation has no `reward_info`. */
  readonly score: ScoreRecord | null
}

interface ImportPlan {
  readonly run: RunRecord
  readonly domain: string
  readonly episodes: ReadonlyArray<PlannedEpisode>
}

/** How many problems an invalid file's error lists (the count says how many there are). */
const PROBLEMS_SHOWN = 20

const simulationIdOf = (sim: PyObject): string | undefined =>
  typeof sim.id === "string" && sim.id !== "" ? sim.id : typeof sim.id === "number" ? String(sim.id) : undefined

/** The `tau2-original` score of a simulation, or why its `reward_info` cannot be one. */
const originalScore = (results: Tau2Results, sim: PyObject, episodeId: string, recordedAt: string): ScoreRecord | null | string => {
  const rewardInfo = sim.reward_info
  if (rewardInfo === null || rewardInfo === undefined) return null
  if (typeof rewardInfo !== "object" || Array.isArray(rewardInfo)) return "reward_info is neither an object nor null"
  const raw = (rewardInfo as PyObject).reward
  const reward = typeof raw === "number" ? raw : raw === undefined ? Number.NaN : Number(PyJson.toPlain(raw))
  if (!Number.isFinite(reward)) return `reward_info.reward is ${raw === undefined ? "missing" : PyJson.compact(raw)}, not a finite number`
  return {
    episodeId,
    evaluator: TAU2_ORIGINAL_EVALUATOR,
    evaluatorVersion: str(results.info.git_commit, "unknown"),
    reward,
    breakdown: PyJson.toPlain(rewardInfo),
    recordedAt,
  }
}

/**
 * Reads and checks the whole file and computes every episode's events and score before anything
 * is written: a file with a problem (unknown task, unreadable reward, duplicate id, a message that
 * cannot be replayed) is rejected as a whole, naming every simulation at fault.
 */
const planImport = (file: string, dataDir: string | null) =>
  Effect.gen(function* () {
    const results = yield* readResultsFile(file)
    // Recorded absolute (as every run records it), so replay and a re-import work from anywhere.
    const { ref, domain } = yield* resultsDomain(results, dataDir)
    const { domain: name, policyVariant } = ref
    const tasks = yield* Effect.fromResult(embeddedTasks(results))
    const fileHash = compactSha(results.raw)
    const runId = `tau2_${fileHash.slice(0, 12)}`
    const recordedAt = yield* nowIso
    const problems: string[] = []
    const seen = new Set<string>()
    const episodes: PlannedEpisode[] = []
    for (const [i, sim] of results.simulations.entries()) {
      const simulationId = simulationIdOf(sim)
      if (simulationId === undefined) {
        problems.push(`simulations[${i}] has no id`)
        continue
      }
      // The dir layout's simulations live in files of their own: name the file too.
      const source = results.sources[i]
      const at = `simulation ${simulationId}${results.layout === "dir" && source ? ` (${path.relative(path.dirname(results.file), source)})` : ""}`
      if (seen.has(simulationId)) {
        problems.push(`${at} appears more than once`)
        continue
      }
      seen.add(simulationId)
      const taskId = String(sim.task_id)
      const task = tasks.get(taskId) ?? domain.tasks.find((t) => t.id === taskId)
      if (!task) {
        problems.push(`${at} refers to task ${taskId}, which is neither in the file nor in domain ${name}`)
        continue
      }
      const episodeId = importedEpisodeId(runId, simulationId)
      const score = originalScore(results, sim, episodeId, recordedAt)
      if (typeof score === "string") {
        problems.push(`${at}: ${score}`)
        continue
      }
      if (sim.messages !== undefined && sim.messages !== null && !Array.isArray(sim.messages)) {
        problems.push(`${at}: messages is not a list`)
        continue
      }
      try {
        const events = simulationEvents(results, sim, episodeId, runId, domain, task, name, ref.dataDir ?? dataDir, policyVariant)
        episodes.push({ simulationId, episodeId, events, score })
      } catch (e) {
        problems.push(`${at} cannot be turned into events: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
    if (problems.length > 0) {
      const shown = problems
        .slice(0, PROBLEMS_SHOWN)
        .map((p) => `\n  ${p}`)
        .join("")
      const more = problems.length > PROBLEMS_SHOWN ? `\n  ... and ${problems.length - PROBLEMS_SHOWN} more` : ""
      return yield* new ResultsFileError({
        file: results.file,
        detail: `nothing was imported: ${problems.length} of ${results.simulations.length} simulations cannot be imported:${shown}${more}`,
      })
    }
    const { simulations: _omit, ...header } = results.raw
    const run: RunRecord = {
      runId,
      createdAt: recordedAt,
      // The results header (info, tasks, timestamp, the dir layout's index) kept verbatim for export.
      config: {
        kind: "import",
        source: IMPORT_SOURCE,
        // The results file itself (a folder given: its results.json), and its layout, so an export writes it back alike.
        file: path.resolve(results.file),
        layout: results.layout,
        domain: name,
        dataDir: ref.dataDir,
        policyVariant,
        headerJson: PyJson.compact(withoutCredentials(header as PyValue)),
        simulationOrder: results.simulations.map((s) => String(s.id)),
      },
      experiment: null,
    }
    return { run, domain: name, episodes } satisfies ImportPlan
  })

/**
 * Imports τ² results (a results file in either format, or the dir layout given as its folder or
 * its results.json) as one run; the run config records the layout. Each episode's events, read model and original score are
 * stored in one transaction, so a failed or killed import leaves every episode whole or absent;
 * importing the file again stores exactly what is missing (and gives episodes stored without
 * their score by older versions that score). Importing a complete file again changes nothing.
 */
export const importTau2Results = (file: string, dataDir: string | null) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const plan = yield* planImport(file, dataDir)
    // The run first: an import killed after this has a run with fewer episodes than its
    // `simulationOrder`, which a re-run completes; episodes never exist without their run.
    yield* store.createRun(plan.run)
    let imported = 0
    let already = 0
    let repaired = 0
    for (const ep of plan.episodes) {
      const failed = (reason: string) => new ImportWriteError({ file, simulationId: ep.simulationId, episodeId: ep.episodeId, reason })
      if ((yield* store.getEpisode(ep.episodeId)) === undefined) {
        const written = yield* store.append(ep.episodeId, 0, ep.events, ep.score ? { scores: [ep.score] } : {}).pipe(
          Effect.map(() => true),
          // A concurrent import of the same file stored it first (with its score, atomically).
          Effect.catchTag("VersionConflict", () => Effect.succeed(false)),
          Effect.mapError((e) => failed(`was not stored (nothing of it was kept): ${e.message}`)),
        )
        if (written) imported++
        else already++
        continue
      }
      already++
      if (ep.score === null) continue
      const scores = yield* store.listScores(ep.episodeId).pipe(Effect.mapError((e) => failed(`cannot be checked for its tau2-original score: ${e.message}`)))
      if (scores.some((s) => s.evaluator === TAU2_ORIGINAL_EVALUATOR)) continue
      yield* store.appendScore(ep.score).pipe(Effect.mapError((e) => failed(`did not get its tau2-original score: ${e.message}`)))
      repaired++
    }
    const summary: ImportSummary = {
      run_id: plan.run.runId,
      domain: plan.domain,
      simulations: plan.episodes.length,
      episodes: imported,
      already_present: already,
      scores_repaired: repaired,
    }
    return summary
  })

const simulationEvents = (
  results: Tau2Results,
  sim: PyObject,
  episodeId: string,
  runId: string,
  domain: Domain,
  task: Task,
  name: string,
  dataDir: string | null,
  policyVariant: string,
): EpisodeEvent[] => {
  const seed = typeof sim.seed === "number" ? sim.seed : 0
  const solo = isSoloResults(results)
  const started = Events.episodeStarted({
    runId,
    episodeId,
    domain: name,
    taskId: task.id,
    trial: typeof sim.trial === "number" ? sim.trial : 0,
    hashes: {
      task: taskHash(task),
      policy: sha(str((results.info.environment_info as PyObject | undefined)?.policy)),
      data: domain.hashes.data,
    },
    dataDir,
    policyVariant,
    mode: solo ? "no-user" : "default",
    agent: participantSpec(results.info.agent_info as PyObject | undefined),
    user: participantSpec(results.info.user_info as PyObject | undefined),
    seed,
    limits: {
      maxSteps: typeof results.info.max_steps === "number" ? results.info.max_steps : RUN_DEFAULTS.maxSteps,
      maxErrors: typeof results.info.max_errors === "number" ? results.info.max_errors : RUN_DEFAULTS.maxErrors,
    },
    engineVersion: "import",
    parent: null,
  })
  const events: EpisodeEvent[] = [started, Events.externalRecord({ source: IMPORT_SOURCE, json: compactText(sim) })]
  // The world: the task's initial state, then every recorded call re-executed for its patch.
  const init = initialStateEvents(domain, task, { seed, solo, strict: false })
  events.push(...init.events)
  let world: Node = init.world
  const calls = new Map<string, { name: string; arguments: PyObject; requestor: "assistant" | "user" }>()
  // τ² records begin with the task's message history, whose calls the initial state above already
  // ran: those messages are setup (as in our own episodes), kept as recorded but not run again.
  const messages = (sim.messages ?? []) as ReadonlyArray<PyObject>
  const history = task.initial_state?.message_history ?? []
  const historyLength = history.every((h, i) => str(messages[i]?.role) === h.role) ? history.length : 0
  let position = 0
  let steps = 0
  let errors = 0
  for (const m of messages) {
    const role = str(m.role)
    const setup = position < historyLength
    if (role === "assistant" || role === "user") {
      const toolCalls = ((m.tool_calls ?? []) as ReadonlyArray<PyObject>).map((c) => {
        const call = {
          name: str(c.name),
          arguments: (c.arguments ?? {}) as PyObject,
          requestor: str(c.requestor, role === "user" ? "user" : "assistant") as "assistant" | "user",
        }
        calls.set(str(c.id), call)
        return { id: str(c.id), name: call.name, argumentsJson: PyJson.compact(call.arguments) }
      })
      events.push(
        Events.messageSent({
          role: role === "assistant" ? "agent" : "user",
          text: typeof m.content === "string" ? m.content : null,
          toolCalls,
          ...(setup ? { setup } : {}),
        }),
      )
      if (!setup) steps++
    } else if (role === "tool") {
      const id = str(m.id)
      const call = calls.get(id)
      let patch: ReadonlyArray<Op> = []
      if (call && !setup) {
        const outcome = executeToolCall(domain, world, { id, ...call }, { random: toolRandom(seed, id, position) }, { solo })
        world = outcome.world
        patch = outcome.patch
      }
      const error = m.error === true
      if (error && !setup) errors++
      events.push(
        Events.toolExecuted({
          callId: id,
          actor: str(m.requestor, "assistant") === "user" ? "user" : "agent",
          name: call?.name ?? "",
          argumentsJson: PyJson.compact(call?.arguments ?? {}),
          output: typeof m.content === "string" ? m.content : "",
          error,
          patchJson: encodePatch(patch),
          ...(setup ? { setup } : {}),
        }),
      )
    }
    position++
  }
  const reason = str(sim.termination_reason)
  events.push(
    Events.episodeEnded({
      reason: (TERMINATION_REASONS as ReadonlyArray<string>).includes(reason) ? (reason as TerminationReason) : "unexpected_error",
      steps,
      errors,
      note: null,
    }),
  )
  return events
}
