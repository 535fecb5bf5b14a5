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

/**
 * Writes `doc` in τ²'s dir layout as the reference's `Results.save(path, format="dir")` does,
 * independently of our writer: `results.json` without `simulations` and with the index built from
 * them, and `simulations/<id>.json` each.
 */
export const writeDirLayout = (dir: string, doc: PyObject): string => {
  const sims = (doc.simulations ?? []) as PyObject[]
  fs.mkdirSync(path.join(dir, "simulations"), { recursive: true })
  for (const sim of sims) fs.writeFileSync(path.join(dir, "simulations", `${String(sim.id)}.json`), PyJson.dumps(sim))
  const { simulations: _sims, simulation_index: _index, ...meta } = doc
  const index = sims.map((s) => ({
    id: s.id ?? null,
    task_id: s.task_id ?? null,
    trial: s.trial ?? null,
    reward: (s.reward_info as PyObject | null)?.reward ?? null,
    termination_reason: s.termination_reason ?? null,
    agent_cost: s.agent_cost ?? null,
    duration: s.duration ?? null,
  }))
  fs.writeFileSync(path.join(dir, "results.json"), PyJson.dumps({ ...meta, simulation_index: index } as PyObject))
  return dir
}

const V01_SIMULATION_KEYS = [
  "id",
  "task_id",
  "timestamp",
  "start_time",
  "end_time",
  "duration",
  "termination_reason",
  "agent_cost",
  "user_cost",
  "reward_info",
  "messages",
  "trial",
  "seed",
]
const V01_INFO_KEYS = ["git_commit", "num_trials", "max_steps", "max_errors", "user_info", "agent_info", "environment_info", "seed"]

/** `doc` as the June-2025 (v0.1) release wrote it: no `simulation_index`, and none of the fields added since (semantics §1.3–1.5). */
export const v01Document = (doc: PyObject): PyObject => {
  const pick = (o: PyObject, keys: ReadonlyArray<string>) => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k] as PyValue])) as PyObject
  const info = doc.info as PyObject
  return {
    timestamp: doc.timestamp ?? null,
    info: { ...pick(info, V01_INFO_KEYS), user_info: pick(info.user_info as PyObject, ["implementation", "llm", "llm_args", "global_simulation_guidelines"]) },
    tasks: doc.tasks ?? [],
    simulations: ((doc.simulations ?? []) as PyObject[]).map((s) => {
      const sim = pick(s, V01_SIMULATION_KEYS)
      const rewardInfo = sim.reward_info as PyObject | null | undefined
      if (!rewardInfo) return sim
      // HEAD added the tool type of each action check.
      const checks = rewardInfo.action_checks as PyObject[] | null | undefined
      return { ...sim, reward_info: { ...rewardInfo, action_checks: checks ? checks.map(({ tool_type: _t, ...c }) => c as PyObject) : (checks ?? null) } }
    }),
  }
}
