/**
 * The charts' text is data: a participant spec or task id with markup in it is drawn as text in
 * the SVG (escaped), never as markup, and long labels break into lines at their separators.
 */
import { describe, expect, it } from "vitest"
import { labelLines } from "../src/chart-specs.ts"
import { loadReport, renderHtml } from "../src/index.ts"
import { type HandRun, withHandStore } from "./fixtures.ts"

const HOSTILE = `<img src=x onerror="alert(1)"><script>alert(2)</script>`
const run = (runId: string, mode: HandRun["mode"], index: number): HandRun => ({
  runId,
  domain: "mock",
  mode,
  agent: `scripted:${HOSTILE}`,
  user: mode === "no-user" ? "none" : "scripted",
  trials: 2,
  taskIds: [HOSTILE, "t2"],
  experiment: "hostile",
  cellIndex: index,
  episodes: [HOSTILE, "t2"].flatMap((task) => [0, 1].map((trial) => ({ task, trial, reward: trial, reason: "user_stop" as const }))),
})

describe("the report's charts", () => {
  it("draw markup in labels as text", async () => {
    const report = await withHandStore([run("hostile.default", "default", 0), run("hostile.solo", "no-user", 1)], loadReport({ experiment: "hostile" }))
    const html = await renderHtml(report)
    expect(html.match(/<svg /g)?.length).toBe(3)
    expect(html).not.toMatch(/<script|<img/i)
    expect(html).toContain("&lt;img src=x onerror=")
  })

  it("break long labels after their separators into lines of at most the width, keeping every part", () => {
    const label = "telecom · default · compat:gpt-4.1-mini-2025-04-14@http://127.0.0.1:8000/v1 / scripted"
    const lines = labelLines(label, 48).split("\n")
    expect(lines).toEqual(["telecom · default ·", "compat:gpt-4.1-mini-2025-04-14@http://127.0.0.1:8000/v1 /", "scripted"])
    expect(lines.join(" ")).toBe(label)
    expect(labelLines("mock · default · oracle")).toBe("mock · default · oracle")
  })
})
