/**
 * Why an episode failed, as `tau show` prints it and the viewer's API gives it: which database
 * paths differ from the gold (gold vs actual, computed on demand by the evaluator's own worlds:
 * the stored breakdown only says db_match false), which actions and communicate checks failed;
 * text from the store stays text on the terminal. Through the real CLI and `tau view`.
 */
import { writeFileSync } from "node:fs"
import Database from "better-sqlite3"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, tau, tempDir } from "./tau.ts"
import { startView } from "./view-server.ts"

const tmp = tempDir("cli-why-failed")
const db = tmp.db()
let wrong: string
let right: string

beforeAll(async () => {
  // Renews Ben's neighbour's loan L003 instead of his L001, says nothing of the new date, and stops.
  const agent = tmp.file("wrong-loan.json")
  writeFileSync(agent, JSON.stringify([{ text: null, tool_calls: [{ name: "renew_loan", arguments: { loan_id: "L003" } }] }, { text: "Renewed. ###STOP###" }]))
  const run = await tau(
    ["run", "--domain", "demo", "--task-ids", "renew_loan", "--agent", `scripted:${agent}`, "--run-id", "wrong", "--json", "--db", db],
    tmp.root,
  )
  expect(run.code, run.stderr).toBe(0)
  wrong = String(jsonLines(run.stdout)[0].episode_id)
  const ok = await tau(["run", "--domain", "demo", "--task-ids", "renew_loan", "--run-id", "right", "--json", "--db", db], tmp.root)
  expect(ok.code, ok.stderr).toBe(0)
  right = String(jsonLines(ok.stdout)[0].episode_id)
}, 120_000)

afterAll(() => tmp.dispose())

const DIFFERENCES = [
  { path: "/agent/loans/L001/due_date", gold: '"2025-03-20"', actual: '"2025-03-06"' },
  { path: "/agent/loans/L001/renewals", gold: "2", actual: "1" },
  { path: "/agent/loans/L003/due_date", gold: '"2025-03-08"', actual: '"2025-03-22"' },
  { path: "/agent/loans/L003/renewals", gold: "0", actual: "1" },
]

describe("why it failed", () => {
  it("tau show prints the DB paths that differ from the gold with both values, and the failed actions and communicate checks", async () => {
    const shown = await tau(["show", wrong, "--db", db], tmp.root)
    expect(shown.code, shown.stderr).toBe(0)
    const why = shown.stdout.slice(shown.stdout.indexOf("\nwhy it failed"))
    expect(why.trimEnd().split("\n")).toEqual([
      "",
      "why it failed (tau2@1, reward 0.00):",
      "  DB: 4 paths differ from the gold:",
      ...DIFFERENCES.map((d) => `    ${d.path}: gold ${d.gold}, actual ${d.actual}`),
      '  action not matched: assistant find_member_by_email({"email":"ben.schmidt1@example.org"})',
      '  action not matched: assistant renew_loan({"loan_id":"L001"})',
      "  not communicated: 2025-03-20",
    ])
    const json = jsonLines((await tau(["show", wrong, "--json", "--db", db], tmp.root)).stdout)[0] as { why_failed: { db: { differences: unknown } } }
    expect(json.why_failed.db.differences).toEqual(DIFFERENCES)
  })

  it("says nothing of a passing episode, in text or JSON", async () => {
    const shown = await tau(["show", right, "--db", db], tmp.root)
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).not.toContain("why it failed")
    expect(jsonLines((await tau(["show", right, "--json", "--db", db], tmp.root)).stdout)[0]).not.toHaveProperty("why_failed")
  })

  it("the viewer's episode gives the same breakdown as tau show --json", async () => {
    const view = await startView(db, tmp.root)
    try {
      const detail = (await (await view.get(`/api/episodes/${wrong}`)).json()) as { why_failed: unknown; failed_checks: string[] }
      const shown = jsonLines((await tau(["show", wrong, "--json", "--db", db], tmp.root)).stdout)[0] as { why_failed: unknown }
      expect(detail.why_failed).toEqual(shown.why_failed)
      expect(detail.failed_checks).toEqual([
        'action not matched: assistant find_member_by_email({"email":"ben.schmidt1@example.org"})',
        'action not matched: assistant renew_loan({"loan_id":"L001"})',
        "not communicated: 2025-03-20",
      ])
      const passing = (await (await view.get(`/api/episodes/${right}`)).json()) as { why_failed: unknown }
      expect(passing.why_failed).toBeNull()
    } finally {
      await view.stop()
    }
  }, 60_000)

  it("prints a stored check's text with control characters escaped", async () => {
    const copy = tmp.file("hostile.db")
    const source = new Database(db, { readonly: true })
    await source.backup(copy)
    source.close()
    // As an imported or tampered score could hold it: a terminal escape in a communicate check.
    const raw = new Database(copy)
    raw.prepare("UPDATE scores SET breakdown = json_set(breakdown, '$.communicate_checks[0].info', ?) WHERE episode_id = ?").run("\u001b[2Jgone\u202e", wrong)
    raw.close()
    const shown = await tau(["show", wrong, "--db", copy], tmp.root)
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toContain("  not communicated: \\u001b[2Jgone\\u202e")
    expect(shown.stdout).not.toContain("\u001b")
    expect(shown.stdout).not.toContain("\u202e")
  })
})
