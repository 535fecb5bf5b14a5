/**
 * Honest prices (issue 11, item 5), through the real `tau` against the models package's local
 * OpenAI-compatible server (demo brain): a model without a price has an unknown cost, never $0,
 * in the progress lines, the run summary, `show` and the report (text and HTML), and the CLI says
 * so once per run; prices given with `--prices FILE` / `--price` are recorded with the run and cost
 * the calls; a run with one priced and one unpriced model shows lower bounds; bad price files are
 * usage errors naming the file and key, before anything is created.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { ModelCalled } from "@tau-sim/engine"
import { PRICE_TABLE_VERSION } from "@tau-sim/models"
import { demoBrain, type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { gatedModelServer } from "./faults.ts"
import { finished, jsonLines, readStore, spawnTau, storedRun, tau, tempDir } from "./tau.ts"
import { Effect } from "effect"

const tmp = tempDir("prices")
let server: FakeLlmServer
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: demoBrain })
})
afterAll(async () => {
  await server.close()
  tmp.dispose()
})

const demoModel = () => `compat:demo-model@${server.baseURL}`
const otherModel = () => `compat:other-model@${server.baseURL}`
const TASKS = ["--domain", "demo", "--task-ids", "renew_loan,link_card_in_app", "--trials", "2", "--max-concurrency", "2"]

const priceFile = tmp.file("prices.yaml")
writeFileSync(priceFile, "# USD per million tokens\ndemo-model:\n  input_per_mtok: 1\n  output_per_mtok: 4\n")

/** Every model call of a run, in its episodes' order. */
const runCalls = async (db: string, runId: string): Promise<ModelCalled[]> => {
  const { events } = await storedRun(db, runId)
  return Object.values(events).flatMap((es) => es.map((e) => e.event).filter((e): e is ModelCalled => e._tag === "ModelCalled"))
}
const runConfig = (db: string, runId: string) =>
  readStore(db, ({ store }) => Effect.runPromise(store.getRun(runId))).then((r) => r?.config as Record<string, unknown>)

const warnings = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("warning: no price for model"))
const cost = (c: ModelCalled, input: number, output: number) => (c.usage.promptTokens * input + c.usage.completionTokens * output) / 1e6
const episodeIds = (stdout: string) => [...stdout.matchAll(/^(ep_[0-9a-f]{12})\s/gm)].map((m) => m[1])

describe("a model without a price", () => {
  const db = tmp.db()
  let run: Awaited<ReturnType<typeof tau>>
  beforeAll(async () => {
    run = await tau(["run", ...TASKS, "--agent", demoModel(), "--user", demoModel(), "--run-id", "unpriced", "--db", db], tmp.root)
  })

  it("costs unknown, never $0, in the record, the progress lines and the run summary, and is warned about once per run", async () => {
    expect(run.code, run.stderr).toBe(0)
    const calls = await runCalls(db, "unpriced")
    expect(calls.length).toBeGreaterThan(4)
    for (const c of calls) expect({ cost: c.cost, pricing: (c.response as { pricing: unknown }).pricing }).toEqual({ cost: null, pricing: null })
    // Four episodes, two at a time, many calls: one line for the model.
    expect(warnings(run.stderr)).toEqual([
      "warning: no price for model demo-model (compat): its cost is shown as unknown; give one with --price demo-model=<input>,<output> (USD per million tokens) or --prices FILE",
    ])
    expect(run.stderr).toMatch(/\[4\/4\] .* model cost so far unknown \(\d+ calls, \d+ unpriced\)/)
    expect(run.stdout).toContain(`model calls: ${calls.length}, cost unknown (${calls.length} calls unpriced); no price for demo-model`)
    expect(`${run.stdout}${run.stderr}`).not.toContain("$0.0000")
    // The table's version is recorded: nothing else was assumed.
    expect((await runConfig(db, "unpriced")).pricing).toEqual({ table: PRICE_TABLE_VERSION, user: {} })
  })

  it("shows unknown cost in tau show (text and JSON)", async () => {
    const [episode] = episodeIds(run.stdout)
    const { events } = await storedRun(db, "unpriced")
    const n = events[episode].filter((e) => e.event._tag === "ModelCalled").length
    const text = await tau(["show", episode, "--db", db], tmp.root)
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(
      new RegExp(
        `^model calls: agent \\d+, user \\d+ \\(\\d+ prompt \\+ \\d+ completion tokens\\), cost unknown \\(${n} calls unpriced\\); a model had no price`,
        "m",
      ),
    )
    const json = await tau(["show", episode, "--db", db, "--json"], tmp.root)
    const usage = (jsonLines(json.stdout)[0] as { model_usage: Record<string, Record<string, unknown>> }).model_usage
    expect(usage.total).toMatchObject({ calls: n, cost: null, known_cost: 0, unpriced_calls: n })
  })

  it("shows unknown cost in the report, as text and as HTML, with the note saying how to give prices", async () => {
    const report = await tau(["report", "--run", "unpriced", "--db", db], tmp.root)
    expect(report.code, report.stderr).toBe(0)
    const rows = report.stdout.split("\n").filter((l) => /^unpriced\s+(agent|user|compat:demo-model)\s/.test(l))
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      expect(row).toMatch(/unknown \(\d+ calls unpriced\)$/)
      expect(row).not.toContain("$")
    }
    expect(report.stdout).toContain("Unknown cost: calls of models without a price (give prices with --prices FILE or --price MODEL=IN,OUT when running)")
    expect(report.stdout).toContain("Prices: unpriced: table")

    const out = tmp.file("unpriced.html")
    expect((await tau(["report", "--run", "unpriced", "--db", db, "--format", "html", "--out", out], tmp.root)).code).toBe(0)
    const html = readFileSync(out, "utf8")
    expect(html).toMatch(/<td>unknown \(\d+ calls unpriced\)<\/td>/)
    expect(html).toContain("Unknown cost: calls of models without a price")
  })
})

describe("prices given with --prices", () => {
  const db = tmp.db()
  let run: Awaited<ReturnType<typeof tau>>
  beforeAll(async () => {
    run = await tau(["run", ...TASKS, "--agent", demoModel(), "--user", demoModel(), "--prices", priceFile, "--run-id", "priced", "--db", db], tmp.root)
  })

  it("are recorded with the run and cost every call; nothing is warned", async () => {
    expect(run.code, run.stderr).toBe(0)
    expect(warnings(run.stderr)).toEqual([])
    expect((await runConfig(db, "priced")).pricing).toEqual({ table: PRICE_TABLE_VERSION, user: { "demo-model": { input_per_mtok: 1, output_per_mtok: 4 } } })
    const calls = await runCalls(db, "priced")
    for (const c of calls) {
      expect(c.cost).toBeCloseTo(cost(c, 1, 4), 12)
      expect((c.response as { pricing: unknown }).pricing).toEqual({ inputPerMTok: 1, outputPerMTok: 4 })
    }
    const total = calls.reduce((s, c) => s + cost(c, 1, 4), 0)
    expect(total).toBeGreaterThan(0)
    expect(run.stdout).toContain(`model calls: ${calls.length}, cost $${total.toFixed(4)}\n`)
    expect(run.stdout).not.toContain("unknown")

    const [episode] = episodeIds(run.stdout)
    const show = await tau(["show", episode, "--db", db], tmp.root)
    expect(show.stdout).toMatch(/^model calls: .*, cost \$\d+\.\d{4}$/m)

    const report = await tau(["report", "--run", "priced", "--db", db], tmp.root)
    expect(report.stdout).toMatch(
      new RegExp(`^priced\\s+compat:demo-model\\s+${calls.length}\\s+\\d+\\s+\\d+\\s+\\$${total.toFixed(4).replace(".", "\\.")}$`, "m"),
    )
    expect(report.stdout).toContain(`Prices: priced: table ${PRICE_TABLE_VERSION}, user prices (USD per million input/output tokens) demo-model 1/4.`)
    expect(report.stdout).not.toContain("unknown")
  })
})

describe("one priced model and one without a price", () => {
  it("shows lower bounds (≥) over the priced calls in the summary, show and the report, and warns about the unpriced model only", async () => {
    const db = tmp.db()
    const run = await tau(
      ["run", ...TASKS, "--agent", demoModel(), "--user", otherModel(), "--price", "demo-model=1,4", "--run-id", "mixed", "--db", db],
      tmp.root,
    )
    expect(run.code, run.stderr).toBe(0)
    expect(warnings(run.stderr)).toHaveLength(1)
    expect(warnings(run.stderr)[0]).toContain("no price for model other-model (compat)")
    const calls = await runCalls(db, "mixed")
    const unpriced = calls.filter((c) => c.model === "other-model")
    expect(unpriced.length).toBeGreaterThan(0)
    expect(unpriced.every((c) => c.cost === null)).toBe(true)
    const known = calls.filter((c) => c.model === "demo-model").reduce((s, c) => s + cost(c, 1, 4), 0)
    expect(run.stdout).toContain(`cost ≥ $${known.toFixed(4)} (${unpriced.length} calls unpriced); no price for other-model`)
    expect((await runConfig(db, "mixed")).pricing).toEqual({ table: PRICE_TABLE_VERSION, user: { "demo-model": { input_per_mtok: 1, output_per_mtok: 4 } } })

    const [episode] = episodeIds(run.stdout)
    expect((await tau(["show", episode, "--db", db], tmp.root)).stdout).toMatch(/^model calls: .*, cost ≥ \$\d+\.\d{4} \(\d+ calls unpriced\)/m)
    const report = await tau(["report", "--run", "mixed", "--db", db], tmp.root)
    expect(report.stdout).toMatch(/^mixed\s+agent\s+.*\$\d+\.\d{4}$/m)
    expect(report.stdout).toMatch(/^mixed\s+user\s+.*unknown \(\d+ calls unpriced\)$/m)
    expect(report.stdout).toMatch(
      new RegExp(`^mixed\\s+all models\\s+${calls.length}\\s+.*≥ \\$${known.toFixed(4).replace(".", "\\.")} \\(${unpriced.length} calls unpriced\\)$`, "m"),
    )
    // The JSON report never gives a total over unknown costs as a number.
    const json = JSON.parse((await tau(["report", "--run", "mixed", "--db", db, "--format", "json"], tmp.root)).stdout)
    const [cell] = json.cells
    expect(cell.usage.user).toMatchObject({ cost: null, known_cost: 0, unpriced_calls: unpriced.length })
    expect(cell.usage.agent.cost).toBeCloseTo(known, 12)
    expect(cell.usage_by_model["compat:other-model"]).toMatchObject({ cost: null, unpriced_calls: unpriced.length })
    expect(cell.pricing).toEqual({ table: PRICE_TABLE_VERSION, user: { "demo-model": { input_per_mtok: 1, output_per_mtok: 4 } } })
  })

  it("in an experiment: each cell records the prices, the warning comes once for the whole invocation, and the report sums over every run", async () => {
    const db = tmp.db()
    const file = tmp.file("mixed.yaml")
    writeFileSync(
      file,
      [
        "name: priced-ablation",
        "domains: [demo]",
        "modes: [default, oracle-plan]",
        `agents: [${JSON.stringify(demoModel())}]`,
        `users: [${JSON.stringify(otherModel())}]`,
        "tasks: {ids: [renew_loan]}",
        "",
      ].join("\n"),
    )
    const run = await tau(["experiment", file, "--db", db, "--prices", priceFile], tmp.root)
    expect(run.code, run.stderr).toBe(0)
    expect(warnings(run.stderr)).toHaveLength(1)
    expect(run.stderr).toMatch(/\[2\] .* model cost so far ≥ \$\d+\.\d{4} \(\d+ calls, \d+ unpriced\)/)
    const runs = await readStore(db, ({ store }) => Effect.runPromise(store.listRuns()))
    expect(runs).toHaveLength(2)
    for (const r of runs) expect(r.config.pricing).toEqual({ table: PRICE_TABLE_VERSION, user: { "demo-model": { input_per_mtok: 1, output_per_mtok: 4 } } })
    const report = await tau(["report", "--experiment", "priced-ablation", "--db", db], tmp.root)
    expect(report.stdout).toMatch(/^all runs\s+all models\s+\d+\s+\d+\s+\d+\s+≥ \$\d+\.\d{4} \(\d+ calls unpriced\)$/m)
  })
})

describe("a resume", () => {
  it("costs the rest of the run with the prices recorded with it, and records prices given with the resume over them", async () => {
    const models = await gatedModelServer()
    try {
      const db = tmp.db()
      const prices = tmp.file("demo-prices.json")
      writeFileSync(prices, JSON.stringify({ demo: { input_per_mtok: 2, output_per_mtok: 8 } }))
      const args = [
        "run",
        "--domain",
        "demo",
        "--task-ids",
        "renew_loan",
        "--trials",
        "3",
        "--max-concurrency",
        "1",
        "--agent",
        "openai:demo",
        "--user",
        "openai:demo",
      ]
      // Stopped while its third model call is in flight: the run has unfinished episodes.
      const hang = models.hangAt(3)
      const child = spawnTau([...args, "--prices", prices, "--run-id", "R", "--db", db], tmp.root, models.env())
      const done = finished(child)
      await hang.reached
      child.kill("SIGTERM")
      const stopped = await done
      hang.release()
      expect(stopped.code, stopped.stderr).toBe(143)
      const before = (await runCalls(db, "R")).length

      // No --prices: the recorded ones cost the calls it makes, and nothing is unpriced.
      const resumed = await tau(["run", "--resume", "R", "--price", "other-model=1,1", "--db", db], tmp.root, models.env())
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(warnings(resumed.stderr)).toEqual([])
      const calls = await runCalls(db, "R")
      expect(calls.length).toBeGreaterThan(before)
      for (const c of calls) expect(c.cost).toBeCloseTo(cost(c, 2, 8), 12)
      expect((await runConfig(db, "R")).pricing).toEqual({
        table: PRICE_TABLE_VERSION,
        user: { demo: { input_per_mtok: 2, output_per_mtok: 8 }, "other-model": { input_per_mtok: 1, output_per_mtok: 1 } },
      })
    } finally {
      await models.close()
    }
  })
})

describe("bad prices", () => {
  const bad = (name: string, text: string) => {
    const file = tmp.file(name)
    writeFileSync(file, text)
    return file
  }
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, RegExp]> = [
    ["not YAML", ["--prices", bad("broken.yaml", "demo-model: {input_per_mtok: 1\n")], /broken\.yaml: not JSON or YAML/],
    ["a list", ["--prices", bad("list.json", "[1, 2]")], /list\.json: expected \{/],
    [
      "a negative price",
      ["--prices", bad("negative.json", '{"m": {"input_per_mtok": -1, "output_per_mtok": 1}}')],
      /negative\.json: m\.input_per_mtok: expected a number ≥ 0/,
    ],
    [
      "a missing field",
      ["--prices", bad("missing.json", '{"m": {"input_per_mtok": 1}}')],
      /missing\.json: m\.output_per_mtok: expected a number ≥ 0 .*got nothing/,
    ],
    [
      "an unknown field",
      ["--prices", bad("extra.yaml", "m: {input_per_mtok: 1, output_per_mtok: 2, cache_per_mtok: 0.1}\n")],
      /extra\.yaml: m\.cache_per_mtok: unknown field/,
    ],
    ["a file that is not there", ["--prices", tmp.file("absent.json")], /absent\.json: cannot be read \(ENOENT\)/],
    ["a --price without an output price", ["--price", "m=1"], /--price: m: expected <model>=<input USD per million tokens>,<output USD per million tokens>/],
  ]
  const commands: ReadonlyArray<ReadonlyArray<string>> = [
    ["run", "--domain", "demo"],
    ["experiment", "exp.yaml"],
    ["fork", "ep_x", "--at-turn", "1"],
    ["counterfactual", "--run", "r", "--at-turn", "1"],
  ]
  // Every case on tau run; one on each other command that runs models (the flags are the same, model-flags.ts).
  const runs = cases.map(([what, flags, message]) => ["run", what, commands[0], flags, message] as const)
  const others = commands.slice(1).map((command) => [command[0], cases[2][0], command, cases[2][1], cases[2][2]] as const)
  let n = 0
  it.concurrent.each([...runs, ...others])(
    "tau %s with %s: a usage error naming the file and key, nothing created",
    async (_name, _what, command, flags, message) => {
      const cwd = join(tmp.root, `bad-${n++}`)
      mkdirSync(cwd)
      const r = await tau([...command, ...flags], cwd)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).toMatch(/^error: Invalid value for flag --prices?: /)
      expect(r.stderr).toMatch(message)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(readdirSync(cwd)).toEqual([])
    },
  )
})
