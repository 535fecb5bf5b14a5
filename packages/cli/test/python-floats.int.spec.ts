/**
 * Python floats are shown as the JSON they are (issue 14): `-16.63`, never the box they live in
 * (`{"value":-16.63}`), in `show`, `show --json` and `replay --at-turn` (retail task 0 records an
 * exchange with a price difference of -16.63).
 */
import { needsData } from "@tau-sim/domains/testing"
import { afterAll, expect, it } from "vitest"
import { jsonLines, tau, tempDir } from "./tau.ts"

const data = needsData("tau2")
const tmp = tempDir("python-floats")
afterAll(tmp.dispose)
const db = tmp.db()

data.describe("Python floats in what tau prints", () => {
  it("show, show --json and replay --at-turn print -16.63", async () => {
    const ran = await tau(["run", "--domain", "retail", "--data-dir", data.tau2, "--task-ids", "0", "--db", db, "--json"], tmp.root)
    expect(ran.code, ran.stderr).toBe(0)
    const episode = String(jsonLines(ran.stdout)[0]?.episode_id)

    const shown = await tau(["show", episode, "--db", db], tmp.root)
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toContain("exchange_price_difference = -16.63")
    expect(shown.stdout).not.toContain('{"value":')

    const json = await tau(["show", episode, "--db", db, "--json"], tmp.root)
    expect(json.code, json.stderr).toBe(0)
    expect(json.stdout).toContain("-16.63")
    expect(json.stdout).not.toContain('{"value":')
    JSON.parse(json.stdout)

    const turns = shown.stdout.split("\n").filter((l) => /^\s+\d+ /.test(l)).length
    const replayed = await tau(["replay", episode, "--db", db, "--at-turn", String(turns - 1)], tmp.root)
    expect(replayed.code, replayed.stderr).toBe(0)
    expect(replayed.stdout).toContain('"value": -16.63')
    expect(replayed.stdout).not.toMatch(/\{\s*"value":/)
  })
})
