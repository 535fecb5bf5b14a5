/**
 * The experiment file format against a model server: the local fake OpenAI-compatible server of
 * `@tau-sim/models/testing`, played by its demo brain (it solves the demo tasks `renew_loan` and
 * `link_card_in_app` as agent and as user). Modes reach the model (the oracle-plan agent is sent
 * `<resolution_steps>`), and the report counts the model calls and tokens of every participant.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { demoBrain, type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const MAIN = path.join(repoRoot, "packages/cli/src/main.ts")
const NODE = fs.existsSync(path.join(repoRoot, "node_modules/.bin/node")) ? path.join(repoRoot, "node_modules/.bin/node") : process.execPath

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-experiment-models-"))
let server: FakeLlmServer
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: demoBrain })
})
afterAll(async () => {
  await server.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Runs the CLI without blocking this process's event loop (the fake server lives here). */
const tau = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(NODE, [MAIN, ...args], { cwd: dir })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()))
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
    child.on("exit", (status) => resolve({ status, stdout, stderr }))
  })

describe("tau experiment with model participants", () => {
  it("runs the matrix against the local model server and reports model usage", async () => {
    const model = `compat:demo-model@${server.baseURL}`
    const file = path.join(dir, "models.yaml")
    const db = path.join(dir, "tau.db")
    fs.writeFileSync(
      file,
      [
        "name: model-ablation",
        "domains: [demo]",
        "modes: [default, oracle-plan]",
        `agents: [${JSON.stringify(model)}]`,
        `users: [${JSON.stringify(model)}]`,
        "trials: 2",
        "tasks: {ids: [renew_loan, link_card_in_app]}",
        "max_concurrency: 2",
        "",
      ].join("\n"),
    )
    const run = await tau("experiment", file, "--db", db, "--json")
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout).runs.map((r: { mode: string; episodes: number }) => [r.mode, r.episodes])).toEqual([
      ["default", 4],
      ["oracle-plan", 4],
    ])
    const planned = server.calls.filter((c) => c.system.includes("<resolution_steps>"))
    expect(planned.length).toBeGreaterThan(0)

    const out = path.join(dir, "report.json")
    const report = await tau("report", "--experiment", "model-ablation", "--db", db, "--format", "json", "--out", out)
    expect(report.status, report.stderr).toBe(0)
    const json = JSON.parse(fs.readFileSync(out, "utf8"))
    for (const cell of json.cells) {
      expect(cell.avg_reward).toBe(1)
      expect(cell.pass_hat_k).toEqual({ 1: 1, 2: 1 })
      expect(cell.usage.agent.calls).toBeGreaterThan(0)
      expect(cell.usage.user.calls).toBeGreaterThan(0)
      expect(cell.usage.agent.prompt_tokens).toBeGreaterThan(0)
    }
    // Every model request the server answered is one ModelCalled event in the store.
    const recorded = json.cells.reduce(
      (n: number, c: { usage: { agent: { calls: number }; user: { calls: number } } }) => n + c.usage.agent.calls + c.usage.user.calls,
      0,
    )
    expect(recorded).toBe(server.calls.length)
  }, 120_000)
})
