/**
 * Retail vs the Python reference: every gold call of the 114 tasks, and every tool call of the 546
 * perturbed trajectories (semantics §4.3; fixtures README).
 */
import { expect, it } from "vitest"
import {
  applyInitialState,
  type Domain,
  executeToolCall,
  get,
  type Node,
  parsePointer,
  PyJson,
  type PyObject,
  type PyValue,
  type Requestor,
  seededRandom,
  syncWorld,
  type Task,
} from "@tau-sim/engine"
import { needsData } from "../../testing/index.ts"
import { type FixtureMessage, readGoldFixture, readJsonl } from "./fixtures.ts"
import { checkGoldFixtures, compareOutput, dbOf, type Mismatch, type OutputModes, tau2DbHash } from "./harness.ts"
import { formatMismatches, reportConformance } from "./report.ts"
import { loadRetailDomain } from "./retail-domain.ts"

const data = needsData("tau2", "conformance")
const CONFORMANCE_DIR = data.conformance

data.describe("retail domain vs the reference's gold fixtures", () => {
  it("replays every gold call with identical outputs, error flags, states and DB hashes", () => {
    const result = checkGoldFixtures("retail", loadRetailDomain, { checkHashes: true })
    reportConformance(result)
    expect(formatMismatches(result.mismatches)).toBe("")
    const lines = [...readGoldFixture("retail")]
    expect(result.tasksChecked).toBe(114)
    expect(result.callsChecked).toBe(lines.reduce((n, l) => n + l.gold_calls.length, 0))
    // Byte-identical, including the Python dict order of product variants.
    expect(result.outputModes.exact).toBe(result.callsChecked)
    expect(lines.flatMap((l) => l.gold_calls).filter((c) => c.error)).toHaveLength(18)
  })

  /**
   * The state check above counts 1 == 1.0 (like Python's `==`); tau2's DB hash does not. Hashing
   * the 1.5 MB database after every task is slow, so the loaded database is hashed once and every
   * value the gold calls changed is compared in its exact Python form (`0` vs `0.0`).
   */
  it("matches tau2's DB hash and the int/float identity of every changed value", () => {
    const domain = loadRetailDomain()
    const tasks = new Map(domain.tasks.map((t) => [t.id, t]))
    const lines = [...readGoldFixture("retail")]
    expect(new Set(lines.map((l) => l.initial_db_hash))).toEqual(new Set([tau2DbHash(dbOf(domain.initialWorld, "agent") as PyValue)]))
    const differences: string[] = []
    let compared = 0
    for (const line of lines) {
      let world: Node = applyInitialState(domain, tasks.get(line.task_id) as Task).world
      line.gold_calls.forEach((call, i) => {
        const outcome = executeToolCall(
          domain,
          world,
          { id: `gold_${i}`, name: call.name, arguments: call.arguments, requestor: call.requestor },
          { random: seededRandom(i) },
        )
        world = syncWorld(domain, outcome.world).world
      })
      for (const op of line.final_db_patch) {
        if (op.op === "remove") continue
        compared++
        const ours = get(world, ["agent", ...parsePointer(op.path)])
        const exact = ours === undefined ? "<absent>" : PyJson.dumpsSorted(ours)
        if (exact !== PyJson.dumpsSorted(op.value)) differences.push(`${line.task_id} ${op.path}: ${exact} != ${PyJson.dumpsSorted(op.value)}`)
      }
    }
    expect(differences).toEqual([])
    expect(compared).toBe(796)
  })

  it("shows a change inside the 1000-order collection in the materialised database", () => {
    // The world overlays large collections; the harness compares whole materialised databases.
    const domain = loadRetailDomain()
    const outcome = executeToolCall(
      domain,
      domain.initialWorld,
      { id: "c", name: "cancel_pending_order", arguments: { order_id: "#W5918442", reason: "no longer needed" }, requestor: "assistant" },
      { random: seededRandom(0) },
    )
    expect(outcome.error, outcome.output).toBe(false)
    const orders = (dbOf(outcome.world, "agent") as PyObject).orders as PyObject
    expect(Object.keys(orders)).toHaveLength(1000)
    expect((orders["#W5918442"] as PyObject).status).toBe("cancelled")
    expect(tau2DbHash(dbOf(outcome.world, "agent") as PyValue)).not.toBe(tau2DbHash(dbOf(domain.initialWorld, "agent") as PyValue))
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
      const outcome = executeToolCall(
        domain,
        world,
        { id: call.id, name: call.name, arguments: call.arguments as PyObject, requestor },
        { random: seededRandom(calls) },
        { sync: true },
      )
      // Like the fixture driver (and the orchestrator): sync after every call, failed ones too.
      world = syncWorld(domain, outcome.world).world
      const verdict = compareOutput(outcome, { text: reply.content ?? "", error: reply.error ?? false })
      if (typeof verdict === "string") modes[verdict]++
      else mismatches.push({ ...where, ...verdict })
    })
  })
  return calls
}

data.describe("retail domain vs the reference's perturbed trajectories", () => {
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
    console.log(
      JSON.stringify({
        domain: "retail",
        perturbedTrajectories: trajectories,
        calls,
        recordedErrors: errors,
        outputModes: modes,
        mismatches: mismatches.length,
      }),
    )
    expect(formatMismatches(mismatches)).toBe("")
    expect(trajectories).toBe(546)
    expect(modes.exact + modes.json + modes.errorFlagOnly).toBe(calls)
    expect(modes.exact).toBe(calls - modes.errorFlagOnly)
  })
})
