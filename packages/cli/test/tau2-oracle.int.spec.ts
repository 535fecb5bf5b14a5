/**
 * The oracle agent with the scripted user over every `base` task of the four τ² domains: every
 * episode is stored, the gold runs score like the reference's gold replays, and
 * `tau replay --all --verify` re-executes every tool call without a difference.
 */
import { expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { jsonLines, tau, tempDir } from "./tau.ts"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

const tmp = tempDir("tau2-oracle")
const db = tmp.db()

// Base split sizes, and the tasks the reference's own evaluator fails on gold actions (mock: the
// expected actions do not satisfy the task's env assertions; see the conformance README).
const expected: Record<string, { tasks: number; failing: ReadonlyArray<string> }> = {
  mock: { tasks: 10, failing: ["update_task_with_history_and_env_assertions", "update_task_with_user_tools"] },
  airline: { tasks: 50, failing: [] },
  retail: { tasks: 114, failing: [] },
  telecom: { tasks: 114, failing: [] },
}

data.describe("oracle runs over the τ² base splits", () => {
  it.each(Object.keys(expected))("%s: every base task stores and scores like the gold replay", async (domain) => {
    const args = [
      "run",
      "--domain",
      domain,
      "--data-dir",
      TAU2_DATA_DIR,
      "--agent",
      "oracle",
      "--user",
      "scripted",
      "--db",
      db,
      "--json",
      "--max-concurrency",
      "4",
    ]
    const { code, stdout, stderr } = await tau(args, tmp.root)
    expect(stderr).not.toContain("error:")
    expect(code).toBe(0)
    const lines = jsonLines(stdout)
    expect(lines).toHaveLength(expected[domain].tasks)
    expect(lines.every((l) => l.termination_reason === "user_stop")).toBe(true)
    const failing = lines
      .filter((l) => l.reward !== 1)
      .map((l) => l.task_id)
      .sort()
    expect(failing).toEqual([...expected[domain].failing].sort())
  })

  it("replays and verifies every stored episode", async () => {
    const { code, stdout } = await tau(["replay", "--all", "--verify", "--db", db, "--json"], tmp.root)
    const rows = jsonLines(stdout)
    expect(rows).toHaveLength(288)
    expect(rows.filter((r) => r.verified !== true)).toEqual([])
    expect(code).toBe(0)
  })
})
