/**
 * `tau experiment` and `tau report` as a user runs them: an experiment of 2 domains (mock,
 * telecom: the τ² domains with a solo setup) × 2 modes (default, no-user) × 3 trials with the
 * offline participants, killed with SIGKILL mid-run, re-run from the same file, then reported as
 * JSON, Markdown and HTML.
 *
 * Why mock and telecom: the no-user mode needs a domain with a solo policy whose user-side tools the
 * agent may call (semantics §6.4); of the τ² domains only mock and telecom have that, and our demo
 * domain has none (its patron's app is only ever operated by the patron), so it rejects no-user.
 *
 * Hand-computed outcomes (oracle agent, task-script user):
 * - mock create_task_1: the gold write is performed in both modes -> 1, 1.
 * - mock update_task_with_initialization_data: rewards DB × COMMUNICATE; with a user the oracle's
 *   last message lists both communicate infos -> 1; a solo agent's only text is `###STOP###`
 *   (the reference's solo agent ends with done(), turned into that token) -> 0.
 * - mock update_task_with_user_tools: needs notification notif_1 read, which no gold action does -> 0, 0.
 * - telecom (2 tasks): the oracle does the agent-side actions and, solo, the user-side ones -> 1.
 * Per cell (3 trials, every trial alike): mock default pass^1..3 = avg = 2/3; mock no-user 1/3;
 * telecom 1 and 1. Δ no-user − default: mock per-task (0, −1, 0) -> −1/3; bootstrap over the 3
 * tasks: P(mean = −1) = 1/27 > 2.5% and P(mean = 0) = 8/27 > 2.5% -> interval [−1, 0]; telecom 0 [0, 0].
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { openSqliteStore } from "@tau-sim/engine"
import { Effect } from "effect"
import { afterAll, expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const MAIN = path.join(repoRoot, "packages/cli/src/main.ts")
// The CLI runs TypeScript directly: it needs Node 24 (pinned in node_modules), not the machine's Node 20.
const NODE = fs.existsSync(path.join(repoRoot, "node_modules/.bin/node")) ? path.join(repoRoot, "node_modules/.bin/node") : process.execPath

const MOCK_TASKS = ["create_task_1", "update_task_with_initialization_data", "update_task_with_user_tools"]
const TELECOM_TASKS = ["[mobile_data_issue]user_abroad_roaming_enabled_off[PERSONA:None]", "[service_issue]airplane_mode_on[PERSONA:None]"]
const TOTAL = 2 * 3 * (MOCK_TASKS.length + TELECOM_TASKS.length)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-experiment-cli-"))
const db = path.join(dir, "tau.db")
const file = path.join(dir, "ablation.yaml")
fs.writeFileSync(
  file,
  [
    "name: offline-ablation",
    `data_dir: ${JSON.stringify(TAU2_DATA_DIR)}`,
    "domains: [mock, telecom]",
    "modes: [default, no-user]",
    "agents: [oracle]",
    "users: [scripted]",
    "trials: 3",
    "tasks:",
    "  ids:",
    `    mock: ${JSON.stringify(MOCK_TASKS)}`,
    `    telecom: ${JSON.stringify(TELECOM_TASKS)}`,
    "max_concurrency: 1",
    "",
  ].join("\n"),
)

const tau = (...args: string[]) => spawnSync(NODE, [MAIN, ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 })

const episodeRows = () => {
  const handle = openSqliteStore(db)
  try {
    return Effect.runSync(handle.store.listEpisodes())
  } finally {
    handle.close()
  }
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

data.describe("tau experiment / tau report", () => {
  it("runs, survives SIGKILL, resumes from the same file", async () => {
    // First attempt: killed -9 as soon as the first episode is reported.
    const child = spawn(NODE, [MAIN, "experiment", file, "--db", db], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)))
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
      if (/\[1\] .*reward/.test(stderr)) child.kill("SIGKILL")
    })
    expect(await exit).toBe("SIGKILL")
    const killed = episodeRows()
    // Finished = ended and scored: one killed between its end and its score is scored by the rerun, not skipped.
    const finished = killed.filter((r) => r.status === "ended" && r.reward !== null).length
    expect(finished).toBeGreaterThan(0)
    expect(finished).toBeLessThan(TOTAL)

    const rerun = tau("experiment", file, "--db", db, "--json")
    expect(rerun.status, rerun.stderr).toBe(0)
    expect(rerun.stderr).toMatch(new RegExp(`${finished} episodes were already finished and were skipped`))
    const summary = JSON.parse(rerun.stdout)
    expect(summary.runs.map((r: { domain: string; mode: string; user: string; episodes: number }) => [r.domain, r.mode, r.user, r.episodes])).toEqual([
      ["mock", "default", "scripted", 9],
      ["mock", "no-user", "none", 9],
      ["telecom", "default", "scripted", 6],
      ["telecom", "no-user", "none", 6],
    ])
    const rows = episodeRows()
    expect(rows).toHaveLength(TOTAL)
    expect(rows.every((r) => r.status === "ended" && r.reward !== null)).toBe(true)
    // Episodes that were running when killed were continued, not restarted under a new id.
    for (const r of killed) expect(rows.find((x) => x.episodeId === r.episodeId)?.version).toBeGreaterThanOrEqual(r.version)

    const third = tau("experiment", file, "--db", db, "--json")
    expect(third.status, third.stderr).toBe(0)
    expect(JSON.parse(third.stdout).runs.map((r: { ran: number }) => r.ran)).toEqual([0, 0, 0, 0])
  }, 120_000)

  // Reads the store the previous test filled (tests of a file run in order).
  it("reports the hand-computed numbers as JSON, Markdown and HTML", () => {
    const out = (format: string) => path.join(dir, `report.${format}`)
    for (const format of ["json", "md", "html"]) {
      const r = tau("report", "--experiment", "offline-ablation", "--db", db, "--format", format, "--out", out(format))
      expect(r.status, r.stderr).toBe(0)
    }
    const report = JSON.parse(fs.readFileSync(out("json"), "utf8"))
    const cells = report.cells.map((c: { domain: string; mode: string; avg_reward: number; pass_hat_k: Record<string, number> }) => [
      c.domain,
      c.mode,
      c.avg_reward,
      c.pass_hat_k,
    ])
    expect(cells).toEqual([
      ["mock", "default", expect.closeTo(2 / 3, 12), { 1: expect.closeTo(2 / 3, 12), 2: expect.closeTo(2 / 3, 12), 3: expect.closeTo(2 / 3, 12) }],
      ["mock", "no-user", expect.closeTo(1 / 3, 12), { 1: expect.closeTo(1 / 3, 12), 2: expect.closeTo(1 / 3, 12), 3: expect.closeTo(1 / 3, 12) }],
      ["telecom", "default", 1, { 1: 1, 2: 1, 3: 1 }],
      ["telecom", "no-user", 1, { 1: 1, 2: 1, 3: 1 }],
    ])
    expect(report.cells.map((c: { termination_reasons: unknown }) => c.termination_reasons)).toEqual([
      { user_stop: 9 },
      { agent_stop: 9 },
      { user_stop: 6 },
      { agent_stop: 6 },
    ])
    expect(report.cells[0].usage.agent).toEqual({ calls: 0, prompt_tokens: 0, completion_tokens: 0, cost: 0 })
    const mockNoUser = report.cells[1].tasks.map((t: { task_id: string; successes: number; simulations: number }) => [t.task_id, t.successes, t.simulations])
    expect(mockNoUser).toEqual([
      ["create_task_1", 3, 3],
      ["update_task_with_initialization_data", 0, 3],
      ["update_task_with_user_tools", 0, 3],
    ])
    // COMMUNICATE is in the (default) basis of create_task_1 (nothing to communicate: 1) and of
    // update_task_with_initialization_data (1 with a user, 0 solo): means 6/6 and 3/6.
    expect(report.cells[0].reward_components.COMMUNICATE).toEqual({ mean: 1, episodes: 6 })
    expect(report.cells[1].reward_components.COMMUNICATE).toEqual({ mean: 0.5, episodes: 6 })
    expect(
      report.deltas.map((d: { domain: string; mode: string; tasks: number; avg_reward: { delta: object } }) => [d.domain, d.mode, d.tasks, d.avg_reward.delta]),
    ).toEqual([
      ["mock", "no-user", 3, { estimate: expect.closeTo(-1 / 3, 12), low: -1, high: 0 }],
      ["telecom", "no-user", 2, { estimate: 0, low: 0, high: 0 }],
    ])

    const md = fs.readFileSync(out("md"), "utf8")
    expect(md).toMatch(
      /\| offline-ablation\.mock\.default\.oracle\.scripted\.[0-9a-f]{6} \| mock \| default \| oracle \| scripted \| 9 \| 3 \| 0\.667 \| 0\.667 \| 0\.667 \| 0\.667 \|/,
    )
    expect(md).toMatch(
      /\| offline-ablation\.mock\.no-user\.oracle\.none\.[0-9a-f]{6} \| mock \| no-user \| oracle \| none \| 9 \| 3 \| 0\.333 \| 0\.333 \| 0\.333 \| 0\.333 \|/,
    )
    expect(md).toContain("| mock | oracle | no-user | scripted | 3 | 0.667 → 0.333 | -0.333 [-1.000, 0.000] | 0.667 → 0.333 | -0.333 [-1.000, 0.000] |")

    const html = fs.readFileSync(out("html"), "utf8")
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true)
    // pass^k by k, pass^1 by run (every reward is 0 or 1: the average reward is the same numbers), Δ pass^1.
    expect(html.match(/<svg /g)?.length).toBe(3)
    expect(html).toContain('class="chart success-chart"')
    expect(html).toContain("<td>0.333</td>")
  }, 60_000)

  // Branches the mock default run (previous tests) at each episode's first write under an agent that gives up.
  it("tau counterfactual compares branches with their parents", () => {
    const stop = path.join(dir, "give-up.json")
    fs.writeFileSync(stop, JSON.stringify([{ text: "I cannot do that. ###STOP###" }]))
    const report = JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8"))
    const parentRun = report.cells[0].run_id
    const r = tau("counterfactual", "--run", parentRun, "--at-first-write", "--agent", `scripted:${stop}`, "--db", db, "--json")
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.run_id).toBe(`${parentRun}~cf-${out.run_id.split("~cf-")[1]}`)
    // Parents: create_task_1 and update_task_with_initialization_data succeed (6), update_task_with_user_tools fails (3);
    // giving up before the first write fails all 9: 6 regress, 3 stay failures; Δ per task (-1, -1, 0) -> -2/3.
    expect(out.comparison.pairs).toBe(9)
    expect(out.comparison.transitions).toEqual({ improved: 0, regressed: 6, still_success: 0, still_failure: 3 })
    expect(out.comparison.delta.estimate).toBeCloseTo(-2 / 3, 12)
    expect(out.branches.every((b: { at_turn: number }) => b.at_turn === 2)).toBe(true)
    const md = tau("report", "--run", out.run_id, "--db", db, "--format", "md")
    expect(md.stdout).toContain(`## Counterfactual: branches of ${parentRun}`)
    expect(md.stdout).toContain("| 9 | 0.667 | 0.000 | -0.667 [-1.000, 0.000] | 0 | 6 | 0 | 3 | 0 |")
  }, 60_000)

  it("rejects an unsupported mode before running anything", () => {
    const bad = path.join(dir, "bad.yaml")
    fs.writeFileSync(bad, "name: bad\ndomains: [demo]\nmodes: [default, no-user]\nagents: [oracle]\n")
    const badDb = path.join(dir, "bad.db")
    const r = tau("experiment", bad, "--db", badDb)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("domain demo does not support mode no-user")
    expect(fs.existsSync(badDb)).toBe(false)
    const typo = path.join(dir, "typo.yaml")
    fs.writeFileSync(typo, "name: typo\ndomains: [demo]\nagents: [oracle]\ntrails: 3\n")
    const t = tau("experiment", typo, "--db", badDb)
    expect(t.stderr).toContain(`experiment file ${typo}: trails: Expected no excess property`)
  }, 60_000)
})
