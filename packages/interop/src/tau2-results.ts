/**
 * τ² results files (semantics §1.5): reading them (both the June-2025 format and the current one),
 * scoring their simulations without storing anything (`evaluate-trajs`), importing them as runs
 * and episodes, and exporting our runs in the same format.
 *
 * Files are parsed with the Python-faithful JSON parser so that `2.0` stays a float: that matters
 * for re-executing tool calls (`Successfully added 2.0 GB`).
 */
import * as fs from "node:fs"
import { type Domain, type PyObject, PyJson, type PyValue, Task, type Task as TaskType } from "@tau-sim/engine"
import { Schema } from "effect"
import { resolveDomain } from "@tau-sim/domains"
import { decodeTau2Messages, type Tau2Message } from "@tau-sim/evaluators"
import { evaluateSimulation } from "@tau-sim/evaluators"
import type { NlJudge } from "@tau-sim/evaluators"
import type { RewardInfo } from "@tau-sim/evaluators"

/** A results file that cannot be read or imported; `detail` names the simulation or task at fault. */
export class ResultsFileError extends Schema.TaggedError<ResultsFileError>()("ResultsFileError", {
  file: Schema.String,
  detail: Schema.String,
}) {
  get message(): string {
    return `${this.file}: ${this.detail}`
  }
}

const fileError = (file: string, detail: string) => new ResultsFileError({ file, detail })

export interface Tau2Results {
  readonly file: string
  /** The whole parsed document (kept for lossless export of imported runs). */
  readonly raw: PyObject
  readonly info: PyObject
  readonly tasks: ReadonlyArray<PyObject>
  readonly simulations: ReadonlyArray<PyObject>
}

const asObject = (v: PyValue | undefined, file: string, at: string): PyObject => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw fileError(file, `${at}: expected an object`)
  return v as PyObject
}
const asArray = (v: PyValue | undefined, file: string, at: string): ReadonlyArray<PyValue> => {
  if (!Array.isArray(v)) throw fileError(file, `${at}: expected a list`)
  return v
}

export const readResultsFile = (file: string): Tau2Results => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    throw fileError(file, `cannot read: ${e instanceof Error ? e.message : e}`)
  }
  let raw: PyValue
  try {
    raw = PyJson.parse(text)
  } catch (e) {
    throw fileError(file, `not valid JSON: ${e instanceof Error ? e.message : e}`)
  }
  const doc = asObject(raw, file, "<root>")
  const info = asObject(doc.info, file, "info")
  const tasks = asArray(doc.tasks, file, "tasks").map((t, i) => asObject(t, file, `tasks[${i}]`))
  // The `dir` format keeps simulations in separate files next to results.json.
  const simulations = doc.simulations === undefined || doc.simulations === null
    ? []
    : asArray(doc.simulations, file, "simulations").map((s, i) => asObject(s, file, `simulations[${i}]`))
  return { file, raw: doc, info, tasks, simulations }
}

const str = (v: PyValue | undefined): string | undefined => (typeof v === "string" ? v : undefined)

/** Domain name and policy variant from `info.environment_info.domain_name` (`telecom-workflow` → telecom/workflow). */
export const domainOfResults = (r: Tau2Results): { domain: string; policyVariant: string } => {
  const env = r.info.environment_info as PyObject | undefined
  const name = str(env?.domain_name)
  if (!name) throw fileError(r.file, "info.environment_info.domain_name is missing")
  if (name.endsWith("-workflow")) return { domain: name.slice(0, -"-workflow".length), policyVariant: "workflow" }
  return { domain: name, policyVariant: "default" }
}

/** Solo iff the agent is the solo agent and the user the dummy user (as the reference's evaluate-trajs). */
export const isSoloResults = (r: Tau2Results): boolean =>
  str((r.info.agent_info as PyObject | undefined)?.implementation) === "llm_agent_solo" &&
  str((r.info.user_info as PyObject | undefined)?.implementation) === "dummy_user"

const decodeTask = Schema.decodeUnknownSync(Task)

export const embeddedTasks = (r: Tau2Results): Map<string, TaskType> =>
  new Map(
    r.tasks.map((t, i) => {
      try {
        const task = decodeTask(t) as TaskType
        return [task.id, task]
      } catch (e) {
        throw fileError(r.file, `tasks[${i}] is not a valid task: ${e instanceof Error ? e.message.split("\n")[0] : e}`)
      }
    }),
  )

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

/** Scores every simulation of a results file without storing anything (`tau2 evaluate-trajs`). */
export async function* evaluateResultsFile(file: string, options: EvaluateTrajsOptions): AsyncGenerator<TrajectoryScore> {
  const results = readResultsFile(file)
  const { domain: name, policyVariant } = domainOfResults(results)
  const domain: Domain = resolveDomain({ domain: name, dataDir: options.dataDir, policyVariant })
  const tasks = embeddedTasks(results)
  const fresh = new Map(domain.tasks.map((t) => [t.id, t]))
  const solo = isSoloResults(results)
  for (const sim of results.simulations) {
    const taskId = String(sim.task_id)
    const simulationId = String(sim.id ?? "")
    const trial = typeof sim.trial === "number" ? sim.trial : null
    const task = (options.freshTasks ? (fresh.get(taskId) ?? tasks.get(taskId)) : (tasks.get(taskId) ?? fresh.get(taskId))) as TaskType | undefined
    if (!task) {
      yield { simulation_id: simulationId, task_id: taskId, trial, reward: null, reward_info: null, error: `task ${taskId} not found` }
      continue
    }
    try {
      const messages: Tau2Message[] = decodeTau2Messages((sim.messages ?? []) as PyValue)
      const info = await evaluateSimulation({
        domain,
        task,
        messages,
        terminationReason: String(sim.termination_reason),
        solo,
        strict: false,
        nlJudge: options.nlJudge,
      })
      yield { simulation_id: simulationId, task_id: taskId, trial, reward: info.reward, reward_info: info }
    } catch (e) {
      yield { simulation_id: simulationId, task_id: taskId, trial, reward: null, reward_info: null, error: `${e instanceof Error ? `${e.name}: ${e.message}` : e}` }
    }
  }
}
