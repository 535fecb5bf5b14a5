/** Builds τ² results files from the conformance fixtures (records → simulations). */
import * as fs from "node:fs"
import * as path from "node:path"
import { PyJson, type PyObject, type PyValue } from "@tau-sim/engine"
import { testDataDirs } from "@tau-sim/domains/testing/locate"

// The suites using this helper declared their needs (needsData); missing folders are placeholders.
const { tau2: TAU2_DATA_DIR, conformance: CONFORMANCE_DIR } = testDataDirs()

export const fixtureRecords = (kind: "gold" | "perturbed", domain: string): PyObject[] =>
  fs
    .readFileSync(path.join(CONFORMANCE_DIR, `${kind}_${domain}.jsonl`), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => PyJson.parse(l) as PyObject)

/** A results document in the current τ² format whose simulations are the fixture's trajectories. */
export const resultsFromFixtures = (kind: "gold" | "perturbed", domain: string, records = fixtureRecords(kind, domain)): PyObject => {
  const taskFile = path.join(TAU2_DATA_DIR, "domains", domain, "tasks.json")
  const allTasks = PyJson.parse(fs.readFileSync(taskFile, "utf8")) as PyObject[]
  const ids = new Set(records.map((r) => String(r.task_id)))
  return {
    timestamp: "2025-06-10T12:00:00.000001",
    info: {
      git_commit: "a2c024725189473d2d7cea3a5cfdbcc67478e41f",
      num_trials: 1,
      max_steps: 200,
      max_errors: 10,
      user_info: { implementation: "user_simulator", llm: "gpt-4.1-2025-04-14", llm_args: { temperature: 0.0 } },
      agent_info: { implementation: "llm_agent", llm: "gpt-4.1-2025-04-14", llm_args: { temperature: 0.0 } },
      environment_info: { domain_name: domain, policy: "", tool_defs: null },
      seed: 300,
    },
    tasks: allTasks.filter((t) => ids.has(String(t.id))),
    simulations: records.map(
      (r, i): PyValue => ({
        id: String(r.perturbation_id ?? `gold::${String(r.task_id)}`),
        task_id: r.task_id,
        // τ²'s Results model requires the times of every simulation.
        timestamp: "2025-06-10T12:00:01.000001",
        start_time: "2025-06-10T12:00:01.000001",
        end_time: "2025-06-10T12:00:02.500001",
        termination_reason: r.termination_reason,
        reward_info: r.reward_info ?? null,
        messages: (r.messages ?? r.trajectory) as PyValue,
        trial: 0,
        seed: 626729,
        agent_cost: 0.0,
        user_cost: null,
        duration: 1.5 + i,
      }),
    ),
    simulation_index: null,
  }
}

export const writeResults = (dir: string, name: string, doc: PyObject): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, PyJson.dumps(doc))
  return file
}
