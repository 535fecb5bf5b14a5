/**
 * The telecom domain against the reference's fixtures: all 2285 gold tasks of the `full` split
 * (tasks rebuilt from their ids by our generator, since `tasks_full.json` is not shipped), their
 * DB hashes, and every call of the perturbed trajectories.
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import { applyInitialState, executeToolCall, materialize, type Node, nodeAt, PyJson, type PyValue, scopeOf, type Side, type Task } from "@tau-sim/engine"
import { expect, it } from "vitest"
import { telecomPythonDump, telecomUserPythonDump } from "../../src/tau2/telecom/python-dump.ts"
import { telecomTaskFromId } from "../../src/tau2/telecom/tasks/generate.ts"
import { needsData } from "../../testing/index.ts"
import { readGoldFixture, readJsonl } from "./fixtures.ts"
import { checkGoldFixtures, defaultContext } from "./harness.ts"
import { checkPerturbedOutputs } from "./perturbed.ts"
import { formatMismatches, reportConformance } from "./report.ts"
import { telecomDomain } from "./telecom-domain.ts"

const data = needsData("tau2", "conformance")
const CONFORMANCE_DIR = data.conformance

const domain = data.ifPresent(() => telecomDomain())
const generated = new Map<string, Task>()
const taskFor = (id: string): Task => {
  let task = generated.get(id)
  if (!task) {
    task = telecomTaskFromId(id, domain)
    generated.set(id, task)
  }
  return task
}

/** tau2's `get_db_hash`: sha256 of `json.dumps(model_dump(), sort_keys=True, default=str)`. */
const referenceHash = (world: Node, side: Side): string => {
  const db = materialize(nodeAt(world, [scopeOf(world, side)]) as Node)
  const dump = side === "agent" ? telecomPythonDump(db) : telecomUserPythonDump(db)
  return createHash("sha256").update(PyJson.dumpsSorted(dump)).digest("hex")
}

data.describe("telecom domain vs the reference's fixtures", () => {
  it("replays all gold tasks: identical outputs, error flags, agent and user DB states", () => {
    const result = checkGoldFixtures("telecom", () => domain, { taskFor })
    reportConformance(result)
    expect(formatMismatches(result.mismatches)).toBe("")
    expect(result.tasksChecked).toBe(2285)
    expect(result.outputModes.exact).toBe(result.callsChecked)
    expect(result.callsChecked).toBeGreaterThan(13000)
  })

  it("reaches the reference's DB hashes before and after the gold calls (int/float identity included)", () => {
    const differences: string[] = []
    let checked = 0
    for (const line of readGoldFixture("telecom")) {
      const task = taskFor(line.task_id)
      let world = applyInitialState(domain, task).world
      const expect4 = (stage: "initial" | "final") => {
        const agent = stage === "initial" ? line.initial_db_hash : line.final_db_hash
        const user = stage === "initial" ? line.initial_user_db_hash : line.final_user_db_hash
        if (referenceHash(world, "agent") !== agent) differences.push(`${line.task_id}: ${stage} agent DB hash`)
        if (referenceHash(world, "user") !== user) differences.push(`${line.task_id}: ${stage} user DB hash`)
        checked += 2
      }
      expect4("initial")
      line.gold_calls.forEach((call, i) => {
        const args = call.arguments as Readonly<Record<string, PyValue>>
        world = executeToolCall(
          domain,
          world,
          { id: `gold_${i}`, name: call.name, arguments: args, requestor: call.requestor },
          defaultContext(line.task_id, i),
        ).world
      })
      expect4("final")
    }
    expect(differences.slice(0, 20)).toEqual([])
    expect(checked).toBe(4 * 2285)
  })

  it("re-executes every call of the perturbed trajectories with identical outputs and error flags", () => {
    const result = checkPerturbedOutputs("telecom", () => domain, { taskFor })
    reportConformance(result)
    expect(formatMismatches(result.mismatches)).toBe("")
    expect(result.trajectoriesChecked).toBe([...readJsonl(path.join(CONFORMANCE_DIR, "perturbed_telecom.jsonl"))].length)
    expect(result.callsChecked).toBeGreaterThan(2500)
  })
})
