/**
 * Importing τ² results into our store and exporting our runs as τ² results.
 *
 * An imported simulation becomes an episode: the task's initial state as env steps, every
 * message as `MessageSent` / `ToolExecuted` (world patches computed by re-executing the calls on
 * the domain, the recorded outputs kept as they were), the original reward as a score from
 * evaluator `tau2-original`, and the original record verbatim (`ExternalRecord`) so an export of
 * an imported run reproduces the file field by field.
 */
import { createHash } from "node:crypto"
import {
  applyInitialState,
  type Domain,
  type EpisodeEvent,
  type EpisodeStarted,
  type EpisodeState,
  EventStore,
  executeToolCall,
  type Node,
  type PyObject,
  PyJson,
  type PyValue,
  TERMINATION_REASONS,
  type TerminationReason,
  toolRandom,
} from "@tau-sim/engine"
import { Effect } from "effect"
import { resolveDomain } from "./domains.ts"
import { domainOfResults, embeddedTasks, isSoloResults, readResultsFile, ResultsFileError } from "./tau2-results.ts"
import { loadEpisode } from "./replay.ts"
import { findTask, taskHash } from "./run.ts"

export const TAU2_ORIGINAL_EVALUATOR = "tau2-original"
const SOURCE = "tau2-results"

const sha = (s: string) => createHash("sha256").update(s).digest("hex")
const str = (v: PyValue | undefined, fallback = ""): string => (typeof v === "string" ? v : fallback)

const participantSpec = (info: PyObject | undefined): string => {
  const impl = str(info?.implementation, "unknown")
  const llm = str(info?.llm)
  return `tau2:${impl}${llm ? `:${llm}` : ""}`
}

export interface ImportSummary {
  readonly run_id: string
  readonly episodes: number
  readonly domain: string
}

/** Imports a τ² results file as one run. Importing the same file twice is a no-op. */
export const importTau2Results = (file: string, dataDir: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const results = readResultsFile(file)
    const { domain: name, policyVariant } = domainOfResults(results)
    const domain = resolveDomain({ domain: name, dataDir, policyVariant })
    const tasks = embeddedTasks(results)
    const fileHash = sha(PyJson.compact(results.raw))
    const runId = `tau2_${fileHash.slice(0, 12)}`
    if (!(yield* store.getRun(runId))) {
      const { simulations: _omit, ...header } = results.raw
      yield* store.putRun({
        runId,
        createdAt: new Date().toISOString(),
        // The results header (info, tasks, timestamp) kept verbatim for export.
        config: { source: SOURCE, file, domain: name, dataDir, policyVariant, headerJson: PyJson.compact(header as PyValue), simulationOrder: results.simulations.map((s) => String(s.id)) },
        experiment: null,
      })
    }
    let imported = 0
    for (const sim of results.simulations) {
      const episodeId = `ep_${sha(`${runId}\u0000${String(sim.id)}`).slice(0, 12)}`
      if (yield* store.getEpisode(episodeId)) continue
      const taskId = String(sim.task_id)
      const task = tasks.get(taskId) ?? domain.tasks.find((t) => t.id === taskId)
      if (!task) throw new ResultsFileError(file, `simulation ${String(sim.id)} refers to unknown task ${taskId}`)
      const events = simulationEvents(results, sim, episodeId, runId, domain, task, name, dataDir, policyVariant)
      yield* store.append(episodeId, 0, events)
      const rewardInfo = sim.reward_info as PyObject | null | undefined
      if (rewardInfo && typeof rewardInfo === "object") {
        const reward = rewardInfo.reward
        yield* store.appendScore({
          episodeId,
          evaluator: TAU2_ORIGINAL_EVALUATOR,
          evaluatorVersion: str(results.info.git_commit, "unknown"),
          reward: typeof reward === "number" ? reward : Number(PyJson.toPlain(reward as PyValue)),
          breakdown: PyJson.toPlain(rewardInfo),
          recordedAt: new Date().toISOString(),
        })
      }
      imported++
    }
    const summary: ImportSummary = { run_id: runId, episodes: imported, domain: name }
    return summary
  })

const simulationEvents = (
  results: ReturnType<typeof readResultsFile>,
  sim: PyObject,
  episodeId: string,
  runId: string,
  domain: Domain,
  task: ReturnType<typeof findTask>,
  name: string,
  dataDir: string,
  policyVariant: string,
): EpisodeEvent[] => {
  const seed = typeof sim.seed === "number" ? sim.seed : 0
  const solo = isSoloResults(results)
  const started: EpisodeStarted = {
    _tag: "EpisodeStarted",
    v: 2,
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
      maxSteps: typeof results.info.max_steps === "number" ? results.info.max_steps : 200,
      maxErrors: typeof results.info.max_errors === "number" ? results.info.max_errors : 10,
    },
    engineVersion: "import",
    parent: null,
  }
  const events: EpisodeEvent[] = [started, { _tag: "ExternalRecord", v: 1, source: SOURCE, json: PyJson.compact(sim) }]
  // The world: the task's initial state, then every recorded call re-executed for its patch.
  const init = applyInitialState(domain, task, { seed, solo, strict: false })
  for (const step of init.steps) {
    events.push({
      _tag: "ToolExecuted", v: 1, callId: step.callId, actor: "env", name: step.name, argumentsJson: PyJson.compact(step.args),
      output: step.output, error: step.error, patchJson: PyJson.compact(step.patch as unknown as PyValue), setup: true,
    })
  }
  let world: Node = init.world
  const calls = new Map<string, { name: string; arguments: PyObject; requestor: "assistant" | "user" }>()
  let position = 0
  let steps = 0
  let errors = 0
  for (const m of (sim.messages ?? []) as ReadonlyArray<PyObject>) {
    const role = str(m.role)
    if (role === "assistant" || role === "user") {
      const toolCalls = ((m.tool_calls ?? []) as ReadonlyArray<PyObject>).map((c) => {
        const call = { name: str(c.name), arguments: (c.arguments ?? {}) as PyObject, requestor: (str(c.requestor, role === "user" ? "user" : "assistant") as "assistant" | "user") }
        calls.set(str(c.id), call)
        return { id: str(c.id), name: call.name, argumentsJson: PyJson.compact(call.arguments) }
      })
      events.push({ _tag: "MessageSent", v: 1, role: role === "assistant" ? "agent" : "user", text: typeof m.content === "string" ? m.content : null, toolCalls })
      steps++
    } else if (role === "tool") {
      const id = str(m.id)
      const call = calls.get(id)
      let patch: PyValue = []
      if (call) {
        const outcome = executeToolCall(domain, world, { id, ...call }, { random: toolRandom(seed, id, position) }, { solo })
        world = outcome.world
        patch = outcome.patch as unknown as PyValue
      }
      const error = m.error === true
      if (error) errors++
      events.push({
        _tag: "ToolExecuted", v: 1, callId: id, actor: str(m.requestor, "assistant") === "user" ? "user" : "agent", name: call?.name ?? "",
        argumentsJson: PyJson.compact(call?.arguments ?? {}), output: typeof m.content === "string" ? m.content : "", error, patchJson: PyJson.compact(patch),
      })
    }
    position++
  }
  const reason = str(sim.termination_reason)
  events.push({
    _tag: "EpisodeEnded", v: 1,
    reason: (TERMINATION_REASONS as ReadonlyArray<string>).includes(reason) ? (reason as TerminationReason) : "unexpected_error",
    steps, errors, note: null,
  })
  return events
}

/**
 * Exports a run as a τ² results document. Imported episodes are written back verbatim; our own
 * episodes are rendered in the current τ² format from their events and latest τ² score.
 */
export const exportTau2Results = (runId: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const run = yield* store.getRun(runId)
    if (!run) return yield* Effect.fail(new Error(`run ${runId} not found`))
    const episodes = yield* store.listEpisodes({ runId })
    const simulations: PyValue[] = []
    const byId = new Map<string, PyValue>()
    for (const ep of episodes) {
      const loaded = yield* loadEpisode(ep.episodeId)
      const external = loaded.events.find((e) => e._tag === "ExternalRecord")
      if (external?._tag === "ExternalRecord") {
        const sim = PyJson.parse(external.json)
        byId.set(String((sim as PyObject).id), sim)
        continue
      }
      const scores = yield* store.listScores(ep.episodeId)
      const score = [...scores].reverse().find((s) => s.evaluator === "tau2")
      simulations.push(nativeSimulation(loaded, ep.episodeId, score?.breakdown ?? null))
    }
    const config = run.config as Record<string, unknown>
    if (config.source === SOURCE) {
      const header = PyJson.parse(String(config.headerJson)) as PyObject
      const order = (config.simulationOrder as string[]) ?? [...byId.keys()]
      const sims = order.flatMap((id) => (byId.has(id) ? [byId.get(id) as PyValue] : []))
      return { ...header, simulations: [...sims, ...simulations], ...(header.simulation_index !== undefined ? { simulation_index: header.simulation_index } : {}) } as PyObject
    }
    const first = episodes[0]
    const domain = first ? (yield* loadEpisode(first.episodeId)).domain : undefined
    return {
      timestamp: run.createdAt,
      info: {
        git_commit: "tau-sim",
        num_trials: Number(config.trials ?? 1),
        max_steps: Number(config.maxSteps ?? 200),
        max_errors: Number(config.maxErrors ?? 10),
        user_info: { implementation: String(config.user ?? ""), llm: null, llm_args: {}, global_simulation_guidelines: null },
        agent_info: { implementation: String(config.agent ?? ""), llm: null, llm_args: {} },
        environment_info: { domain_name: String(config.domain ?? ""), policy: domain?.policy.default ?? "", tool_defs: null },
        seed: Number(config.seed ?? 300),
      },
      tasks: domain ? (domain.tasks.filter((t) => episodes.some((e) => e.taskId === t.id)) as unknown as PyValue[]) : [],
      simulations,
      simulation_index: null,
    } as PyObject
  })

const nativeSimulation = (loaded: { final: EpisodeState }, episodeId: string, rewardInfo: unknown): PyValue => {
  const started = loaded.final.started
  const messages = loaded.final.trajectory.map((m, turn): PyValue => {
    if (m.role === "tool") return { id: m.id, role: "tool", content: m.content, requestor: m.requestor, error: m.error, turn_idx: turn }
    return {
      role: m.role,
      content: m.content,
      tool_calls: m.toolCalls?.map((c) => ({ id: c.id, name: c.name, arguments: (c.arguments ?? {}) as PyValue, requestor: c.requestor })) ?? null,
      turn_idx: turn,
    }
  })
  return {
    id: episodeId,
    task_id: started.taskId,
    termination_reason: loaded.final.ended,
    reward_info: rewardInfo === null ? null : PyJson.fromPlain(rewardInfo),
    messages,
    trial: started.trial,
    seed: started.seed,
    mode: "half_duplex",
  }
}


