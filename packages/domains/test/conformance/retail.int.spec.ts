/**
 * Retail vs the Python reference: every gold call of the 114 tasks, and every tool call of the 546
 * perturbed trajectories (semantics §4.3; fixtures README).
 */
import { describe, expect, it } from "vitest"
import {
  applyInitialState,
  type Domain,
  executeToolCall,
  type Node,
  type PyObject,
  type Requestor,
  seededRandom,
  syncWorld,
  type Task,
} from "@tau-sim/engine"
import { CONFORMANCE_DIR } from "../paths.ts"
import { type FixtureMessage, readGoldFixture, readJsonl } from "./fixtures.ts"
import { checkGoldFixtures, compareOutput, type Mismatch, type OutputModes } from "./harness.ts"
import { formatMismatches, reportConformance } from "./report.ts"
import { loadRetailDomain } from "./retail-domain.ts"

describe("retail domain vs the reference's gold fixtures", () => {
  it("replays every gold call with identical outputs, error flags, states and DB hashes", () => {
    const result = checkGoldFixtures("retail", loadRetailDomain, { checkHashes: true })
    reportConformance(result)
    expect(formatMismatches(result.mismatches)).toBe("")
    const lines = [...readGoldFixture("retail")]
    expect(result.tasksChecked).toBe(114)
    expect(result.callsChecked).toBe(lines.reduce((n, l) => n + l.gold_calls.length, 0))
    // Byte-identical, including the Python dict order of product variants.
    expect(result.outputModes.exact).toBe(result.callsChecked)
    const expectedErrors = lines.flatMap((l) => l.gold_calls).filter((c) => c.error).length
    expect(expectedErrors).toBe(18)
  })
})

interface PerturbedLine {
  readonly task_id: string
  readonly perturbation_id: string
  readonly perturbation: { readonly type: string }
  readonly messages: ReadonlyArray<FixtureMessage>
}

/** Re-executes the tool calls of one recorded trajectory and compares each with its tool message. */
const replayTrajectory = (domain: Domain, task: Task, line: PerturbedLine, modes: OutputModes, mismatches: Mismatch[]): number => {
  let world: Node = applyInitialState(domain, task).world
  let calls = 0
  line.messages.forEach((message, i) => {
    message.tool_calls?.forEach((call, k) => {
      calls++
      const reply = line.messages[i + 1 + k]
      const where = { taskId: line.perturbation_id, callIndex: calls - 1, tool: call.name }
      if (reply?.role !== "tool" || reply.id !== call.id) {
        mismatches.push({ ...where, kind: "harness_error", detail: `no tool message for call ${call.id}` })
        return
      }
      const requestor: Requestor = call.requestor ?? (message.role === "user" ? "user" : "assistant")
      const outcome = executeToolCall(domain, world, { id: call.id, name: call.name, arguments: call.arguments as PyObject, requestor }, { random: seededRandom(calls) }, { sync: true })
      // Like the fixture driver (and the orchestrator): sync after every call, failed ones too.
      world = syncWorld(domain, outcome.world).world
      const verdict = compareOutput(outcome, { text: reply.content ?? "", error: reply.error ?? false })
      if (typeof verdict === "string") modes[verdict]++
      else mismatches.push({ ...where, ...verdict })
    })
  })
  return calls
}

describe("retail domain vs the reference's perturbed trajectories", () => {
  it("reproduces every recorded tool output and error flag", () => {
    const domain = loadRetailDomain()
    const tasks = new Map(domain.tasks.map((t) => [t.id, t]))
    const modes: OutputModes = { exact: 0, json: 0, errorFlagOnly: 0 }
    const mismatches: Mismatch[] = []
    let trajectories = 0
    let calls = 0
    let errors = 0
    for (const raw of readJsonl(`${CONFORMANCE_DIR}/perturbed_retail.jsonl`)) {
      const line = raw as unknown as PerturbedLine
      const task = tasks.get(line.task_id)
      if (task === undefined) {
        mismatches.push({ taskId: line.perturbation_id, callIndex: null, kind: "missing_task", detail: `task ${line.task_id} not found` })
        continue
      }
      trajectories++
      calls += replayTrajectory(domain, task, line, modes, mismatches)
      errors += line.messages.filter((m) => m.role === "tool" && m.error).length
    }
    console.log(JSON.stringify({ domain: "retail", perturbedTrajectories: trajectories, calls, recordedErrors: errors, outputModes: modes, mismatches: mismatches.length }))
    expect(formatMismatches(mismatches)).toBe("")
    expect(trajectories).toBe(546)
    expect(modes.exact + modes.json + modes.errorFlagOnly).toBe(calls)
    expect(modes.exact).toBe(calls - modes.errorFlagOnly)
  })
})
