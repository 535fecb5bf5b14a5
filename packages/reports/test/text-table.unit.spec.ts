/**
 * Text tables that fit a width: telecom's task ids made the report 250–317 columns wide. Fitted to
 * a width, every line fits and every id is still there, whole, across its column's lines.
 */
import { describe, expect, it } from "vitest"
import { loadReport, renderText } from "../src/index.ts"
import { textTable, wrapCell } from "../src/text-table.ts"
import { type HandRun, withHandStore } from "./fixtures.ts"

const TASKS = [
  "[mobile_data_issue]airplane_mode_on|data_mode_off|user_abroad_roaming_disabled_on|bad_network_preference[PERSONA:Hard]",
  "[service_issue]break_apn_settings|lock_sim_card_pin|overdue_bill_suspension[PERSONA:None]",
]
const RUN: HandRun = {
  runId: "telecom.default.compat-gpt-4.1-mini-2025-04-14.scripted.a1b2c3",
  domain: "telecom",
  mode: "default",
  agent: "compat:gpt-4.1-mini-2025-04-14@http://127.0.0.1:8000/v1",
  user: "scripted",
  trials: 2,
  taskIds: TASKS,
  experiment: null,
  episodes: TASKS.flatMap((task) => [0, 1].map((trial) => ({ task, trial, reward: trial, reason: "user_stop" as const }))),
}

/** A column's wrapped lines joined back: the cell's text (a space is dropped only where a line broke at one). */
const column = (lines: ReadonlyArray<string>, start: number, end: number) => lines.map((l) => l.slice(start, end).trimEnd()).join("")

describe("text tables fitted to a width", () => {
  it("wrap cells after an id's separators, keeping every character", () => {
    const id = TASKS[0]
    const lines = wrapCell(id, 30)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(30)
    expect(lines.join("")).toBe(id)
    // Broken after a separator where one is in the line's second half, else at the width.
    expect(lines).toEqual([
      "[mobile_data_issue]airplane_",
      "mode_on|data_mode_off|user_",
      "abroad_roaming_disabled_on|",
      "bad_network_preference[PERSONA",
      ":Hard]",
    ])
    // A long word without separators is cut at the width.
    expect(wrapCell("x".repeat(70), 30)).toEqual(["x".repeat(30), "x".repeat(30), "x".repeat(10)])
  })

  it("leave a table that fits as it was, and fit one that does not", () => {
    const rows = [["a", TASKS[0], "1.000"]]
    expect(textTable(["run", "task", "reward"], rows)).toBe(
      `run  task${" ".repeat(TASKS[0].length - 4)}  reward\n---  ${"-".repeat(TASKS[0].length)}  ------\na    ${TASKS[0]}  1.000`,
    )
    const fitted = textTable(["run", "task", "reward"], rows, 60).split("\n")
    for (const l of fitted) expect(l.length).toBeLessThanOrEqual(60)
    const start = fitted[0].indexOf("task")
    const end = fitted[0].indexOf("reward") - 2
    expect(column(fitted.slice(2), start, end)).toBe(TASKS[0])
  })

  it("fit the whole text report to the width: every line, the notes too, and every task id whole", async () => {
    const report = await withHandStore([RUN], loadReport({ run: RUN.runId }))
    const wide = renderText(report)
    expect(Math.max(...wide.split("\n").map((l) => l.length))).toBeGreaterThan(150)
    const text = renderText(report, { width: 100 })
    for (const l of text.split("\n")) expect(l.length, l).toBeLessThanOrEqual(100)
    // The per-task table: each id is its column's lines read down.
    const lines = text.split("\n")
    const header = lines.findIndex((l) => /^run\s+task\s+successes/.test(l))
    const start = lines[header].indexOf("task")
    const end = lines[header].indexOf("successes") - 2
    const body = lines.slice(header + 2, lines.indexOf("", header) === -1 ? undefined : lines.indexOf("", header))
    expect(column(body, start, end)).toBe(TASKS.join(""))
  })
})
