/**
 * Re-evaluating the reference's conformance fixtures: every perturbed record and every gold
 * trajectory of a domain is evaluated with our evaluator and compared with the recorded
 * `reward_info` field by field (or must raise when the reference evaluator raised).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Domain, isObject, PyJson, type PyObject, type PyValue, type Task } from "@tau-sim/engine"
import { testDataDirs } from "@tau-sim/domains/testing/locate"
import { Effect, Result } from "effect"
import { decodeTau2Messages, EvaluationError, evaluateSimulation, rewardInfoToPy, scriptedAllMetJudge, type Tau2Message } from "../src/index.ts"
import { strictDifference } from "./strict-equal.ts"

// The suites using this helper declared their needs (needsData); missing folders are placeholders.
const { conformance: CONFORMANCE_DIR } = testDataDirs()

export const REWARD_INFO_FIELDS = [
  "reward",
  "reward_basis",
  "reward_breakdown",
  "db_check",
  "env_assertions",
  "action_checks",
  "communicate_checks",
  "nl_assertions",
  "info",
  "nl_judge",
] as const

export interface FixtureCase {
  readonly id: string
  readonly taskId: string
  readonly messages: ReadonlyArray<Tau2Message>
  readonly terminationReason: string
  /** The reference's RewardInfo, or null when it raised. */
  readonly expected: PyObject | null
  /** `<ExceptionType>: <message>` when the reference evaluator raised. */
  readonly evaluatorError: string | null
}

function* jsonLines(file: string): Generator<PyObject> {
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue
    const v = PyJson.parse(line)
    if (!isObject(v)) throw new Error(`${file}: a line is not a JSON object`)
    yield v
  }
}

const str = (v: PyValue | undefined): string => {
  if (typeof v !== "string") throw new Error(`expected a string, got ${PyJson.dumps(v ?? null)}`)
  return v
}

export const fixtureCases = (domain: string, kind: "gold" | "perturbed"): FixtureCase[] =>
  [...jsonLines(path.join(CONFORMANCE_DIR, `${kind}_${domain}.jsonl`))].map((r) => ({
    id: kind === "gold" ? `gold:${str(r.task_id)}` : str(r.perturbation_id),
    taskId: str(r.task_id),
    messages: Result.getOrThrow(decodeTau2Messages(kind === "gold" ? (r.trajectory ?? null) : (r.messages ?? null))),
    terminationReason: str(r.termination_reason),
    expected: isObject(r.reward_info) ? r.reward_info : null,
    evaluatorError: typeof r.evaluator_error === "string" ? r.evaluator_error : null,
  }))

/** The reference's telecom task generator (tasks of the `full` split, generated from their ids). */
export const telecomTaskGenerator = async (): Promise<(id: string, domain: Domain) => Task> =>
  (await import("../../domains/src/tau2/telecom/tasks/generate.ts")).telecomTaskFromId

/**
 * Finds the task a fixture record refers to: the domain's task files, then (telecom) the task
 * generator for ids of the `full` split that the task files lack.
 */
export const taskResolver = async (domainName: string, domain: Domain): Promise<(id: string) => Task> => {
  const byId = new Map(domain.tasks.map((t) => [t.id, t]))
  const generate = domainName === "telecom" ? await telecomTaskGenerator() : undefined
  return (id) => {
    let task = byId.get(id)
    if (!task && generate) {
      task = generate(id, domain)
      byId.set(id, task) // one object per id, so the gold cache (keyed by task) is hit
    }
    if (!task) throw new Error(`${domainName}: no task ${id}`)
    return task
  }
}

export interface CaseOutcome {
  readonly id: string
  /** Empty when our verdict agrees with the reference. */
  readonly mismatches: ReadonlyArray<string>
}

export const evaluateCase = async (domain: Domain, task: Task, c: FixtureCase): Promise<CaseOutcome> => {
  const run = () =>
    Effect.runPromise(
      evaluateSimulation({ domain, task, messages: c.messages, terminationReason: c.terminationReason, strict: true, nlJudge: scriptedAllMetJudge }),
    )
  if (c.evaluatorError !== null) {
    try {
      const got = await run()
      return { id: c.id, mismatches: [`expected the evaluator to raise ${c.evaluatorError}, got reward ${got.reward}`] }
    } catch (e) {
      if (!(e instanceof EvaluationError)) return { id: c.id, mismatches: [`raised a non-evaluation error: ${String(e)}`] }
      const expectedDetail = c.evaluatorError.slice(c.evaluatorError.indexOf(": ") + 2)
      return { id: c.id, mismatches: e.detail === expectedDetail ? [] : [`raised "${e.detail}", reference raised "${expectedDetail}"`] }
    }
  }
  let got: PyObject
  try {
    got = rewardInfoToPy(await run())
  } catch (e) {
    return { id: c.id, mismatches: [`raised ${e instanceof Error ? e.message : String(e)}`] }
  }
  const expected = c.expected as PyObject
  const mismatches: string[] = []
  for (const field of REWARD_INFO_FIELDS) {
    const d = strictDifference(got[field], expected[field], field)
    if (d) mismatches.push(d)
  }
  return { id: c.id, mismatches }
}

export interface DomainAgreement {
  readonly total: number
  readonly agreeing: number
  readonly failures: ReadonlyArray<CaseOutcome>
}

export const evaluateFixtures = async (domain: Domain, cases: ReadonlyArray<FixtureCase>, taskOf: (id: string) => Task): Promise<DomainAgreement> => {
  const failures: CaseOutcome[] = []
  for (const c of cases) {
    const outcome = await evaluateCase(domain, taskOf(c.taskId), c)
    if (outcome.mismatches.length > 0) failures.push(outcome)
  }
  return { total: cases.length, agreeing: cases.length - failures.length, failures }
}

export const describeFailures = (a: DomainAgreement, limit = 10): string =>
  a.failures
    .slice(0, limit)
    .map((f) => `${f.id}:\n  ${f.mismatches.join("\n  ")}`)
    .join("\n")
