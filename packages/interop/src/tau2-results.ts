/**
 * τ² results files (semantics §1.5): reading them (both the June-2025 format and the current one),
 * scoring their simulations without storing anything (`evaluate-trajs`), importing them as runs
 * and episodes, and exporting our runs in the same format.
 *
 * Files are parsed with the Python-faithful JSON parser so that `2.0` stays a float: that matters
 * for re-executing tool calls (`Successfully added 2.0 GB`).
 */
import { type Domain, type DomainRef, DomainResolver, type PyObject, type PyValue, Task, type Task as TaskType } from "@tau-sim/engine"
import { decodeTau2Messages, evaluateSimulation, type NlJudge, type RewardInfo } from "@tau-sim/evaluators"
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
  readonly freshTasks: boolean
  readonly nlJudge: NlJudge
}

/**
 * Scores every simulation of a results file without storing anything (`tau2 evaluate-trajs`), one
 * score per simulation as it is evaluated. The file and its domain must be readable (else the
 * stream fails with `ResultsFileError`); a simulation that cannot be evaluated (unknown task,
 * malformed messages, an evaluator that raises) is a score with `error`, and the others go on.
 */
export const evaluateResultsFile = (file: string, options: EvaluateTrajsOptions): Stream.Stream<TrajectoryScore, ResultsFileError, DomainResolver> =>
  Stream.unwrap(
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
      return Stream.fromIterable(results.simulations).pipe(Stream.mapEffect(score))
    }),
  )
