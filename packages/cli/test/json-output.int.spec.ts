/**
 * One JSON vocabulary (issue 14 item 3): every command runs with `--json` over one demo store, and
 * its standard output is what the README's "JSON output" table says: every line parses, a
 * document is one line, a stream one object per line, the top-level fields are the documented
 * ones (all of them seen somewhere), keys are snake_case, and no retired name (`simulation_id`,
 * `ended`, a score's bare `version`) is printed. The README's list and compare examples run here.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { finished, jsonLines, REPO, spawnTau, tau, tempDir } from "./tau.ts"

const tmp = tempDir("json-output")
afterAll(tmp.dispose)
const db = tmp.db()

/** The README's table: command → stream or document, and its fields (first-level names in backticks, before any parenthesis). */
const documented = (): Map<string, { stream: boolean; fields: Set<string> }> => {
  const readme = readFileSync(join(REPO, "README.md"), "utf8")
  const section = readme.slice(readme.indexOf("## JSON output"), readme.indexOf("## Layout"))
  const out = new Map<string, { stream: boolean; fields: Set<string> }>()
  for (const line of section.split("\n").filter((l) => l.startsWith("| `"))) {
    const [, command, prints, fields] = line.split("|").map((c) => c.trim())
    // Names inside parentheses are a nested object's; the ones outside are the top level's.
    const topLevel = fields.replace(/\([^)]*\)/g, "")
    out.set(command.replaceAll("`", ""), {
      stream: prints.startsWith("a line per"),
      fields: new Set([...topLevel.matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1])),
    })
  }
  return out
}

/** Keys of another format's data, not ours: not checked below them. */
const FOREIGN = new Set([
  "termination_changes",
  "reward_components",
  "checks",
  "usage_by_model",
  "pricing",
  "breakdown",
  "reward_info",
  "world_diff",
  "world_changes",
  "pass_hat_k",
  "pass_hat_ks",
  "termination_reasons",
  "by_task",
])
const RETIRED = ["simulation_id", "ended", "version"]

const keysOf = (value: unknown, at: string, out: Array<[string, string]>) => {
  if (Array.isArray(value)) for (const [i, v] of value.entries()) keysOf(v, `${at}[${i}]`, out)
  else if (value !== null && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      out.push([k, `${at}.${k}`])
      if (!FOREIGN.has(k)) keysOf(v, `${at}.${k}`, out)
    }
  return out
}

describe("--json of every command", () => {
  const table = documented()
  const seen = new Map<string, Set<string>>()
  let run = ""
  let episode = ""
  let experimentFile = ""

  /** Runs `tau <args> --json`, checks the shape against the table, and returns the parsed lines. */
  const json = async (command: string, args: ReadonlyArray<string>, options: { foreign?: boolean } = {}) => {
    const r = await tau([...args, "--json"], tmp.root)
    expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0)
    const lines = r.stdout.split("\n").filter((l) => l !== "")
    for (const l of lines) expect(() => JSON.parse(l), `${command}: a line that is not JSON: ${l.slice(0, 80)}`).not.toThrow()
    const rows = jsonLines(r.stdout)
    const spec = table.get(command)
    expect(spec, `${command} is in the README's JSON output table`).toBeDefined()
    if (!spec?.stream) expect(rows, `${command} prints one document`).toHaveLength(1)
    if (options.foreign) return rows
    const names = seen.get(command) ?? new Set<string>()
    seen.set(command, names)
    const problems: string[] = []
    for (const row of rows) {
      for (const k of Object.keys(row)) {
        if (!spec?.fields.has(k)) problems.push(`${command}: ${k} is not documented`)
        names.add(k)
      }
      for (const [k, where] of keysOf(row, command, [])) {
        if (!/^[a-z0-9_]+$/.test(k)) problems.push(`${where}: not snake_case`)
        if (RETIRED.includes(k)) problems.push(`${where}: a retired name`)
      }
    }
    expect([...new Set(problems)]).toEqual([])
    return rows
  }

  beforeAll(async () => {
    const ran = await tau(["run", "--domain", "demo", "--trials", "2", "--num-tasks", "3", "--run-id", "base", "--db", db], tmp.root)
    expect(ran.code, ran.stderr).toBe(0)
    experimentFile = tmp.file("exp.yaml")
    writeFileSync(experimentFile, "name: vocab\ndomains: [demo]\nmodes: [default]\nagents: [oracle]\nusers: [scripted]\ntrials: 1\ntasks:\n  num_tasks: 2\n")
  }, 60_000)

  it("run, list, show, replay, fork, rescore, critical, counterfactual, experiment", async () => {
    const lines = await json("run", [
      "run",
      "--domain",
      "demo",
      "--agent",
      "noisy-oracle:0.5",
      "--trials",
      "2",
      "--num-tasks",
      "3",
      "--run-id",
      "noisy",
      "--db",
      db,
    ])
    run = "noisy"
    episode = String(lines[0].episode_id)
    await json("list runs", ["list", "runs", "--db", db])
    await json("list episodes", ["list", "episodes", "--db", db])
    await json("show", ["show", episode, "--db", db])
    await json("replay", ["replay", "--run", run, "--verify", "--db", db])
    await json("replay", ["replay", episode, "--at-turn", "2", "--db", db])
    const [fork] = await json("fork", ["fork", episode, "--at-turn", "2", "--db", db])
    await json("show", ["show", String(fork.episode_id), "--db", db])
    await json("rescore", ["rescore", "--run", run, "--evaluator-version", "1-rescored", "--db", db])
    await json("rescore", ["rescore", "--episode", episode, "--evaluator", "support-desk", "--db", db])
    await json("show", ["show", episode, "--db", db])
    await json("critical", ["critical", episode, "--samples", "2", "--turns", "2..3", "--db", db])
    await json("counterfactual", ["counterfactual", "--run", "base", "--at-turn", "2", "--agent", "noisy-oracle:0.5", "--db", db])
    await json("experiment", ["experiment", experimentFile, "--db", db])
  }, 240_000)

  it("tasks, tasks show, policy, export, import, evaluate-trajs, report, view", async () => {
    await json("tasks", ["tasks", "--domain", "demo"])
    await json("tasks show", ["tasks", "show", "renew_loan", "--domain", "demo"], { foreign: true })
    await json("policy", ["policy", "--domain", "demo"])
    const results = tmp.file("base.json")
    await json("export tau2", ["export", "tau2", "--run", "base", "--out", results, "--db", db])
    const [document] = await json("export tau2", ["export", "tau2", "--run", "base", "--db", db], { foreign: true })
    expect(document).toEqual(JSON.parse(readFileSync(results, "utf8")))
    await json("import tau2", ["import", "tau2", results, "--db", tmp.db()])
    const lines = await json("evaluate-trajs", ["evaluate-trajs", results])
    expect(lines.map((l) => l.type)).toEqual([...lines.slice(0, -1).map(() => "episode"), "summary"])
    await json("report", ["report", "--run", "base", "--db", db])
    const [compared] = await json("report", ["report", "--run", "base", "--run", "noisy", "--db", db])
    expect(compared).toHaveProperty("comparison.baseline_run_id", "base")
    // The viewer prints its address as one document, then serves until stopped.
    const viewer = spawnTau(["view", "--port", "0", "--db", db, "--json"], tmp.root)
    const first = await new Promise<string>((resolve) => viewer.stdout?.setEncoding("utf8").once("data", (d: string) => resolve(d)))
    const address = JSON.parse(first.split("\n")[0]) as Record<string, unknown>
    expect(Object.keys(address)).toEqual([...(table.get("view")?.fields ?? [])])
    expect(String(address.url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/)
    const done = finished(viewer)
    viewer.kill("SIGINT")
    expect((await done).code).toBe(130)
  }, 240_000)

  it("every documented field was printed by its command (data fetch: data-fetch.int.spec.ts)", () => {
    // Fields a command prints only in some cases, which this store does not have.
    const sometimes = new Set([
      "critical",
      "stopped_by",
      "cost",
      "known_cost",
      "unpriced_calls",
      "budget_usd",
      "why_failed",
      "judge_calls",
      "judge_reused",
      "judge_cost",
      "error",
      "breakdown",
      "model_usage",
      "skipped",
    ])
    for (const [command, spec] of table) {
      if (command === "data fetch" || command === "view" || command === "tasks show") continue
      const printed = seen.get(command) ?? new Set()
      for (const field of spec.fields) if (!sometimes.has(field)) expect(printed.has(field), `${command} printed ${field}`).toBe(true)
    }
  })

  it("the README's list and compare examples run", async () => {
    const examples = [
      ["list", "runs"],
      ["list", "runs", "--errored", "--json"],
      ["list", "episodes", "--run", run, "--failed"],
      ["list", "episodes", "--errored"],
      ["list", "episodes", "--task", "renew", "--reward-max", "0.5", "--agent", "oracle", "--mode", "default"],
      ["list", "episodes", "--evaluator-version", "tau2@1-rescored", "--json"],
      ["report", "--run", "base", "--run", run],
      ["report", "--run", "base", "--run", run, "--json"],
    ]
    for (const args of examples) {
      const r = await tau([...args, "--db", db], tmp.root)
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0)
    }
    const rescored = jsonLines((await tau(["list", "episodes", "--evaluator-version", "tau2@1-rescored", "--json", "--db", db], tmp.root)).stdout)
    expect(rescored.length).toBe(6)
  })
})
