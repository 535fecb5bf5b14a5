/**
 * τ² results files (semantics §1.5): reading them (both the June-2025 format and the current one),
 * scoring their simulations without storing anything (`evaluate-trajs`), importing them as runs
 * and episodes, and exporting our runs in the same format.
 *
 * Files are parsed with the Python-faithful JSON parser so that `2.0` stays a float: that matters
 * for re-executing tool calls (`Successfully added 2.0 GB`).
 */
import { type Domain, type DomainRef, DomainResolver, isNumber, num, type PyObject, type PyValue, Task, type Task as TaskType } from "@tau-sim/engine"
import {
  computeMetrics,
  decodeTau2Messages,
  evaluateSimulation,
  INFRASTRUCTURE_ERROR,
  type NlJudge,
  type RewardInfo,
  rewardInfoToPy,
  type SimulationOutcome,
} from "@tau-sim/evaluators"
import { Effect, Result, Schema, Stream } from "effect"
import { readResultsPath, ResultsFileError, type ResultsLayout, type ResultsOnDisk } from "./tau2-layout.ts"

const fileError = (file: string, detail: string) => new ResultsFileError({ file, detail })

export interface Tau2Results {
  /** The results file read (for the dir layout, its `results.json`); errors name it. */
  readonly file: string
  readonly layout: ResultsLayout
  /** The whole document, simulations inline whatever the layout (kept for lossless export of imported runs). */
  readonly raw: PyObject
  readonly info: PyObject
  readonly tasks: ReadonlyArray<PyObject>
  readonly simulations: ReadonlyArray<PyObject>
  /** The file each simulation was read from (the dir layout: `simulations/<id>.json`). */
  readonly sources: ReadonlyArray<string>
}

type Checked<A> = Result.Result<A, ResultsFileError>

const asObject = (v: PyValue | undefined, file: string, at: string): Checked<PyObject> =>
  v === null || typeof v !== "object" || Array.isArray(v) ? Result.fail(fileError(file, `${at}: expected an object`)) : Result.succeed(v as PyObject)
const asArray = (v: PyValue | undefined, file: string, at: string): Checked<ReadonlyArray<PyValue>> =>
  Array.isArray(v) ? Result.succeed(v) : Result.fail(fileError(file, `${at}: expected a list`))
const objects = (list: ReadonlyArray<PyValue>, file: string, at: string): Checked<PyObject[]> =>
  Result.all(list.map((v, i) => asObject(v, file, `${at}[${i}]`)))

/** The parts of a results document, checked for shape. */
const resultsDocument = (read: ResultsOnDisk): Checked<Tau2Results> =>
  Result.gen(function* () {
    const { file, document: doc, layout, sources } = read
    const info = yield* asObject(doc.info, file, "info")
    const tasks = yield* objects(yield* asArray(doc.tasks, file, "tasks"), file, "tasks")
    // A results file written before any simulation finished has none (null or absent).
    const simulations =
      doc.simulations === undefined || doc.simulations === null ? [] : yield* objects(yield* asArray(doc.simulations, file, "simulations"), file, "simulations")
    return { file, layout, raw: doc, info, tasks, simulations, sources }
  })

/**
 * Reads τ² results: a results file (the current format, or June 2025's without the newer optional
 * fields) or either layout given as its folder or its `results.json` (`tau2-layout.ts`); anything
 * unreadable is a `ResultsFileError` naming the file and place.
 */
export const readResultsFile = (file: string): Effect.Effect<Tau2Results, ResultsFileError> =>
  Effect.flatMap(readResultsPath(file), (read) => Effect.fromResult(resultsDocument(read)))

const str = (v: PyValue | undefined): string | undefined => (typeof v === "string" ? v : undefined)

/** Domain name and policy variant from `info.environment_info.domain_name` (`telecom-workflow` → telecom/workflow). */
export const domainOfResults = (r: Tau2Results): Checked<{ domain: string; policyVariant: string }> => {
  const env = r.info.environment_info as PyObject | undefined
  const name = str(env?.domain_name)
  if (!name) return Result.fail(fileError(r.file, "info.environment_info.domain_name is missing"))
  if (name.endsWith("-workflow")) return Result.succeed({ domain: name.slice(0, -"-workflow".length), policyVariant: "workflow" })
  return Result.succeed({ domain: name, policyVariant: "default" })
}

/**
 * The domain a results file ran on, from the resolver: its reference as a run records it (data
 * folder absolute; `dataDir` null: the one the resolver finds), and the domain loaded. A domain
 * that cannot be had is a `ResultsFileError` naming the file.
 */
export const resultsDomain = (results: Tau2Results, dataDir: string | null) =>
  Effect.gen(function* () {
    const { domain: name, policyVariant } = yield* Effect.fromResult(domainOfResults(results))
    const resolver = yield* DomainResolver
    const ref: DomainRef = resolver.ref(name, dataDir, policyVariant)
    const domain: Domain = yield* resolver.resolve(ref).pipe(Effect.mapError((e) => fileError(results.file, `domain ${name} cannot be loaded: ${e.message}`)))
    return { ref, domain }
  })

/** Solo iff the agent is the solo agent and the user the dummy user (as the reference's evaluate-trajs). */
export const isSoloResults = (r: Tau2Results): boolean =>
  str((r.info.agent_info as PyObject | undefined)?.implementation) === "llm_agent_solo" &&
  str((r.info.user_info as PyObject | undefined)?.implementation) === "dummy_user"

const decodeTask = Schema.decodeUnknownResult(Task)

/** The tasks embedded in the file by id (a later task with the same id replaces an earlier one); one that is not a task names its index. */
export const embeddedTasks = (r: Tau2Results): Checked<Map<string, TaskType>> => {
  const tasks = new Map<string, TaskType>()
  for (const [i, t] of r.tasks.entries()) {
    const decoded = decodeTask(t)
    if (Result.isFailure(decoded)) return Result.fail(fileError(r.file, `tasks[${i}] is not a valid task: ${decoded.failure.message.split("\n")[0]}`))
    tasks.set(decoded.success.id, decoded.success as TaskType)
  }
  return Result.succeed(tasks)
}

export interface TrajectoryScore {
  readonly simulation_id: string
  readonly task_id: string
  readonly trial: number | null
  readonly reward: number | null
  readonly reward_info: RewardInfo | null
  readonly error?: string
}

export interface EvaluateTrajsOptions {
  /** null: the data `resolveDataDir` finds. */
  readonly dataDir: string | null
  /** Score against the data folder's task definitions (by id) instead of the embedded ones, as `tau2 evaluate-trajs --fresh-tasks`. */
  readonly freshTasks: boolean
  readonly nlJudge: NlJudge
}

export interface EvaluatedResults {
  readonly results: Tau2Results
  /** With `freshTasks`: the embedded tasks replaced by the data folder's definitions (the tasks scored against). */
  readonly freshTasks: ReadonlyMap<string, TaskType> | null
  /** With `freshTasks`: embedded tasks the data folder does not have, scored with their embedded definition (the reference warns). */
  readonly tasksNotFresh: ReadonlyArray<string>
  /** One score per simulation, in the file's order, each as soon as it is evaluated. */
  readonly scores: Stream.Stream<TrajectoryScore>
}

/**
 * Scores the simulations of τ² results (either layout) without storing anything (`tau2
 * evaluate-trajs`). The results and their domain must be readable (else `ResultsFileError`); a
 * simulation that cannot be evaluated (unknown task, malformed messages, an evaluator that
 * raises) is a score with `error`, and the others go on.
 */
export const evaluateResults = (file: string, options: EvaluateTrajsOptions): Effect.Effect<EvaluatedResults, ResultsFileError, DomainResolver> =>
  Effect.gen(function* () {
    const results = yield* readResultsFile(file)
    const { domain } = yield* resultsDomain(results, options.dataDir)
    const tasks = yield* Effect.fromResult(embeddedTasks(results))
    const fresh = new Map(domain.tasks.map((t) => [t.id, t]))
    const solo = isSoloResults(results)
    const score = (sim: PyObject): Effect.Effect<TrajectoryScore> => {
      const taskId = String(sim.task_id)
      const simulationId = String(sim.id ?? "")
      const trial = typeof sim.trial === "number" ? sim.trial : null
      const failed = (error: string): TrajectoryScore => ({ simulation_id: simulationId, task_id: taskId, trial, reward: null, reward_info: null, error })
      const task = options.freshTasks ? (fresh.get(taskId) ?? tasks.get(taskId)) : (tasks.get(taskId) ?? fresh.get(taskId))
      if (!task) return Effect.succeed(failed(`task ${taskId} not found`))
      const messages = decodeTau2Messages((sim.messages ?? []) as PyValue)
      if (Result.isFailure(messages)) return Effect.succeed(failed(`${messages.failure.name}: ${messages.failure.message}`))
      return evaluateSimulation({
        domain,
        task,
        messages: messages.success,
        terminationReason: String(sim.termination_reason),
        solo,
        strict: false,
        nlJudge: options.nlJudge,
      }).pipe(
        Effect.map((info): TrajectoryScore => ({ simulation_id: simulationId, task_id: taskId, trial, reward: info.reward, reward_info: info })),
        Effect.catchTag("EvaluationError", (e) => Effect.succeed(failed(`${e.name}: ${e.message}`))),
        // Data the engine cannot run at all (it raises) is that simulation's error too, as the reference's evaluate-trajs reports it.
        Effect.catchDefect((e) => Effect.succeed(failed(e instanceof Error ? `${e.name}: ${e.message}` : String(e)))),
      )
    }
    const embeddedIds = [...tasks.keys()]
    return {
      results,
      freshTasks: options.freshTasks ? new Map(embeddedIds.flatMap((id) => (fresh.has(id) ? [[id, fresh.get(id) as TaskType] as const] : []))) : null,
      tasksNotFresh: options.freshTasks ? embeddedIds.filter((id) => !fresh.has(id)) : [],
      scores: Stream.fromIterable(results.simulations).pipe(Stream.mapEffect(score)),
    } satisfies EvaluatedResults
  })

/** The scores of `evaluateResults` alone, one per simulation as it is evaluated. */
export const evaluateResultsFile = (file: string, options: EvaluateTrajsOptions): Stream.Stream<TrajectoryScore, ResultsFileError, DomainResolver> =>
  Stream.unwrap(Effect.map(evaluateResults(file, options), (e) => e.scores))

/**
 * The results document re-scored: each simulation's `reward_info` replaced by its new score (in
 * place; everything else as it was) and, with `--fresh-tasks`, the embedded tasks by the ones
 * scored against, as the reference's `evaluate-trajs -o` writes them. `scores` are in simulation
 * order; a simulation that could not be scored makes it a `ResultsFileError` naming them (the
 * reference fails the file), since a file keeping its old reward would say what was not computed.
 */
export const rescoredDocument = (evaluated: EvaluatedResults, scores: ReadonlyArray<TrajectoryScore>): Result.Result<PyObject, ResultsFileError> => {
  const { results } = evaluated
  const unscored = scores.filter((s) => s.reward_info === null)
  if (unscored.length > 0 || scores.length !== results.simulations.length) {
    const named = unscored
      .slice(0, 5)
      .map((s) => `simulation ${s.simulation_id}: ${s.error ?? "not scored"}`)
      .join("; ")
    const more = unscored.length > 5 ? `; ... and ${unscored.length - 5} more` : ""
    return Result.fail(
      fileError(
        results.file,
        `no re-scored results written: ${unscored.length} of ${results.simulations.length} simulations could not be scored (${named}${more})`,
      ),
    )
  }
  const simulations = results.simulations.map((sim, i): PyObject => ({ ...sim, reward_info: rewardInfoToPy(scores[i]?.reward_info as RewardInfo) }))
  const fresh = evaluated.freshTasks
  const tasks = fresh === null ? results.tasks : results.tasks.map((t) => (fresh.get(String(t.id)) as unknown as PyObject | undefined) ?? t)
  return Result.succeed({ ...results.raw, tasks, simulations })
}

/** Counts of one input's simulations and the reference's metrics of its re-scored rewards (semantics §5.7). */
export interface ResultsSummary {
  /** Distinguishes the summary line from the per-simulation lines of `evaluate-trajs --json`. */
  readonly type: "summary"
  /** The input as given. */
  readonly results: string
  readonly layout: ResultsLayout
  readonly simulations: number
  /** `infrastructure_error` simulations (never ran): left out of every metric. */
  readonly infrastructure_errors: number
  /** Simulations that could not be scored: failures for pass^k, left out of the average reward. */
  readonly unscored: number
  readonly tasks: number
  /** `info.num_trials` (pass^k goes up to it, or to the fewest simulations of any task). */
  readonly num_trials: number | null
  readonly avg_reward: number
  readonly pass_hat_ks: Readonly<Record<number, number>>
  /** Mean of the recorded agent costs; null when none is recorded (unknown, not $0). */
  readonly avg_agent_cost: number | null
  /** Every simulation by its termination reason (infrastructure errors included). */
  readonly termination_reasons: Readonly<Record<string, number>>
}

/** The summary `tau2 evaluate-trajs` prints for one input: the metrics of its re-scored simulations (`scores` in simulation order). */
export const summarizeScores = (input: string, results: Tau2Results, scores: ReadonlyArray<TrajectoryScore>): ResultsSummary => {
  const outcomes: SimulationOutcome[] = results.simulations.map((sim, i) => ({
    task_id: String(sim.task_id),
    reward: scores[i]?.reward ?? null,
    termination_reason: String(sim.termination_reason),
    agent_cost: isNumber(sim.agent_cost) ? num(sim.agent_cost) : null,
  }))
  const perTask = new Map<string, number>()
  for (const o of outcomes) if (o.termination_reason !== INFRASTRUCTURE_ERROR) perTask.set(o.task_id, (perTask.get(o.task_id) ?? 0) + 1)
  const configured = typeof results.info.num_trials === "number" ? results.info.num_trials : null
  // Without a configured count, pass^k goes as far as every task has simulations.
  const metrics = computeMetrics(outcomes, { numTrials: configured ?? Math.max(0, ...perTask.values()) })
  const reasons: Record<string, number> = {}
  for (const o of outcomes) reasons[o.termination_reason] = (reasons[o.termination_reason] ?? 0) + 1
  return {
    type: "summary",
    results: input,
    layout: results.layout,
    simulations: outcomes.length,
    infrastructure_errors: metrics.infra_error_count,
    unscored: outcomes.filter((o, i) => o.termination_reason !== INFRASTRUCTURE_ERROR && scores[i]?.reward_info == null).length,
    tasks: metrics.total_tasks,
    num_trials: configured,
    avg_reward: metrics.avg_reward,
    pass_hat_ks: metrics.pass_hat_ks,
    avg_agent_cost: metrics.avg_agent_cost,
    termination_reasons: Object.fromEntries(Object.entries(reasons).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  }
}
