/**
 * Re-scoring a historical (imported τ²) run: the new scores are appended beside the original
 * ones and the diff names which episodes changed reward and which component changed.
 */
import { PyJson, type PyObject } from "@tau-sim/engine"
import { expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { fixtureRecords, resultsFromFixtures, writeResults } from "../../interop/test/results-file.ts"
import { jsonLines, tau, tempDir } from "./tau.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2

data.describe("tau rescore on an imported run", () => {
  it("reports changed rewards and components, keeping the original scores", async () => {
    const tmp = tempDir("rescore-diff")
    const db = tmp.db()
    const records = fixtureRecords("perturbed", "mock").filter((r) => r.reward_info !== null)
    // Pretend the historical evaluator had passed a trajectory that the reference fails on DB.
    const target = records.findIndex(
      (r) =>
        (r.reward_info as PyObject).reward_breakdown !== null &&
        ((r.reward_info as PyObject).reward_breakdown as PyObject).DB !== undefined &&
        PyJson.toPlain((r.reward_info as PyObject).reward as never) === 0 &&
        PyJson.toPlain(((r.reward_info as PyObject).reward_breakdown as PyObject).DB as never) === 0,
    )
    expect(target).toBeGreaterThanOrEqual(0)
    const doc = resultsFromFixtures("perturbed", "mock", records)
    const sims = doc.simulations as PyObject[]
    const forged = { ...(sims[target].reward_info as PyObject) }
    forged.reward = PyJson.parse("1.0")
    forged.reward_breakdown = { ...(forged.reward_breakdown as PyObject), DB: PyJson.parse("1.0") }
    const edited = { ...doc, simulations: sims.map((s, i) => (i === target ? { ...s, reward_info: forged } : s)) }
    const file = writeResults(tmp.root, "results.json", edited)

    const imported = jsonLines((await tau(["import", "tau2", file, "--data-dir", TAU2_DATA_DIR, "--db", db, "--json"], tmp.root)).stdout)[0]
    const result = await tau(["rescore", "--run", String(imported.run_id), "--db", db, "--json"], tmp.root)
    expect(result.code).toBe(0)
    const rows = jsonLines(result.stdout)
    expect(rows).toHaveLength(records.length)
    const changed = rows.filter((r) => r.changed)
    expect(changed).toHaveLength(1)
    expect(changed[0]).toMatchObject({ old_reward: 1, new_reward: 0, previous_evaluator: "tau2-original" })
    expect(changed[0].components).toEqual([{ component: "DB", old: 1, new: 0 }])
    const shown = JSON.parse((await tau(["show", String(changed[0].episode_id), "--db", db, "--json"], tmp.root)).stdout)
    expect(shown.scores.map((s: { evaluator: string }) => s.evaluator)).toEqual(["tau2-original", "tau2"])
    tmp.dispose()
  })
})
