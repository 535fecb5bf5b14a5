/**
 * `tau report`'s text tables fit the terminal (its width, or $COLUMNS): long ids wrap in their
 * column instead of making every line as wide as the longest id; a pipe without $COLUMNS gets the
 * tables whole, as before.
 */
import { afterAll, describe, expect, it } from "vitest"
import { tau, tempDir } from "./tau.ts"

const tmp = tempDir("report-width")
afterAll(tmp.dispose)

describe("tau report's text tables", () => {
  it("fit $COLUMNS, and are whole without it", async () => {
    const db = tmp.db()
    const runId = "a-run-id-as-long-as-an-experiment-cell-makes-them.demo.default.oracle.scripted.0123ab"
    const run = await tau(["run", "--domain", "demo", "--trials", "1", "--run-id", runId, "--db", db], tmp.root)
    expect(run.code, run.stderr).toBe(0)
    const { COLUMNS: _, ...env } = process.env
    const whole = await tau(["report", "--run", runId, "--db", db], tmp.root, env)
    expect(whole.code, whole.stderr).toBe(0)
    expect(Math.max(...whole.stdout.split("\n").map((l) => l.length))).toBeGreaterThan(120)
    const fitted = await tau(["report", "--run", runId, "--db", db], tmp.root, { ...env, COLUMNS: "90" })
    expect(fitted.code, fitted.stderr).toBe(0)
    for (const line of fitted.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(90)
    // The run id is still all there: its column's lines read down.
    const lines = fitted.stdout.split("\n")
    const header = lines.findIndex((l) => /^run\s+domain\s/.test(l))
    const end = lines[header].indexOf("domain") - 2
    const cells: string[] = []
    for (const l of lines.slice(header + 2)) {
      if (l === "") break
      cells.push(l.slice(0, end).trimEnd())
    }
    expect(cells.join("")).toBe(runId)
  }, 120_000)
})
