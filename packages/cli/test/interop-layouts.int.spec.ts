/**
 * τ² results in both layouts and from June 2025 through the real CLI (child processes):
 * `evaluate-trajs` scores a dir layout as the equivalent single file, prints the reference's
 * summary (pass^k checked against a hand computation), writes `--out` in the input's layout
 * (valid against τ²'s own schema), and `--fresh-tasks` scores against the data folder's tasks;
 * `import tau2` takes the dir layout and v0.1 files (and `replay --verify` is clean on them), and
 * a malformed dir layout is refused with the file at fault named and nothing stored.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type PyObject, PyJson, type PyValue } from "@tau-sim/engine"
import { Effect } from "effect"
import { afterAll, expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { fixtureRecords, resultsFromFixtures, v01Document, writeDirLayout, writeResults } from "../../interop/test/results-file.ts"
import { describeErrors, schemaPresent, tau2ResultsValidator } from "./tau2-schema.ts"
import { jsonLines, readStore, tau, tempDir } from "./tau.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2
const hasSchema = schemaPresent()
const tmp = tempDir("layouts")
afterAll(tmp.dispose)

let n = 0
const folder = (name: string) => {
  const dir = tmp.file(`${name}-${n++}`)
  fs.mkdirSync(dir, { recursive: true })
  return dir
}
const run = async (...args: string[]) => tau(args, tmp.root)
const ok = async (...args: string[]) => {
  const r = await run(...args)
  expect(r.code, r.stderr).toBe(0)
  return r
}
const readDoc = (file: string) => PyJson.parse(fs.readFileSync(file, "utf8")) as PyObject
const sims = (doc: PyObject) => doc.simulations as PyObject[]

/** `evaluate-trajs --json`: the per-simulation lines and the summary lines (`"type": "summary"`, last). */
const evaluate = async (...args: string[]) => {
  const r = await ok("evaluate-trajs", ...args, "--data-dir", TAU2_DATA_DIR, "--json")
  const lines = jsonLines(r.stdout)
  const firstSummary = lines.findIndex((l) => l.type === "summary")
  expect(firstSummary, "a summary line per input").toBeGreaterThanOrEqual(0)
  expect(lines.slice(firstSummary).every((l) => l.type === "summary")).toBe(true)
  return { scores: lines.slice(0, firstSummary), summaries: lines.slice(firstSummary), stderr: r.stderr }
}
const withoutSource = ({ results: _r, layout: _l, ...rest }: Record<string, unknown>) => rest

data.describe("evaluate-trajs on both layouts", () => {
  const airline = resultsFromFixtures("perturbed", "airline")

  it("a dir layout (its folder or its results.json) scores as the equivalent single file", async () => {
    const file = writeResults(folder("single"), "results.json", airline)
    const dir = writeDirLayout(folder("dir"), airline)
    const single = await evaluate(file)
    expect(single.scores).toHaveLength(sims(airline).length)
    // The reference's rewards (its fixtures), so the equality below is between right answers.
    expect(single.scores.map((s) => s.reward)).toEqual(sims(airline).map((s) => PyJson.toPlain((s.reward_info as PyObject).reward as PyValue)))
    for (const p of [dir, path.join(dir, "results.json")]) {
      const got = await evaluate(p)
      expect(got.scores).toEqual(single.scores)
      expect(got.summaries.map(withoutSource)).toEqual(single.summaries.map(withoutSource))
      expect(got.summaries[0]).toMatchObject({ results: p, layout: "dir" })
    }
    expect(single.summaries[0]).toMatchObject({ results: file, layout: "file", simulations: 194, tasks: 46, infrastructure_errors: 0 })
  })

  it("--out writes the re-scored results in the input's layout, valid against τ²'s schema when the input is", async () => {
    // Stale rewards in the input, so the output shows what was computed.
    const stale = { ...airline, simulations: sims(airline).map((s) => ({ ...s, reward_info: { reward: PyJson.parse("0.5") } })) } as PyObject
    const file = writeResults(folder("in-file"), "stale.json", stale)
    const dir = writeDirLayout(folder("in-dir"), stale)
    const validator = hasSchema ? tau2ResultsValidator() : null
    if (validator) {
      expect(describeErrors(validator.errorsOf(fs.readFileSync(file, "utf8")))).toEqual([])
      expect(describeErrors(validator.errorsOf(fs.readFileSync(path.join(dir, "results.json"), "utf8")))).toEqual([])
    }
    const outFile = tmp.file("rescored.json")
    const outDir = folder("rescored-dir")
    const one = await evaluate(file, "--out", outFile)
    await evaluate(dir, "--out", outDir)
    // Several inputs: a folder with one output per input, named after it, each in its layout.
    const many = folder("many")
    const both = await evaluate(file, dir, "--out", many)
    expect(both.summaries.map((s) => s.layout)).toEqual(["file", "dir"])
    const expectedReward = one.scores.map((s) => s.reward)

    const rescoredFile = readDoc(outFile)
    expect(rescoredFile.simulation_index).toBeNull()
    expect(sims(rescoredFile).map((s) => PyJson.toPlain((s.reward_info as PyObject).reward as PyValue))).toEqual(expectedReward)
    // Nothing else changed.
    const strip = (doc: PyObject) => PyJson.compact({ ...doc, simulations: sims(doc).map(({ reward_info: _r, ...s }) => s as PyObject) })
    expect(strip(rescoredFile)).toBe(strip(stale))
    expect(PyJson.compact(readDoc(path.join(many, "stale.json")))).toBe(PyJson.compact(rescoredFile))

    for (const out of [outDir, path.join(many, path.basename(dir))]) {
      const meta = readDoc(path.join(out, "results.json"))
      expect("simulations" in meta).toBe(false)
      const index = meta.simulation_index as PyObject[]
      expect(index.map((e) => e.id)).toEqual(sims(stale).map((s) => s.id))
      expect(index.map((e) => PyJson.toPlain(e.reward as PyValue))).toEqual(expectedReward)
      const files = fs.readdirSync(path.join(out, "simulations")).sort()
      expect(files).toEqual(
        sims(stale)
          .map((s) => `${String(s.id)}.json`)
          .sort(),
      )
      for (const [i, s] of sims(stale).entries()) {
        const written = readDoc(path.join(out, "simulations", `${String(s.id)}.json`))
        expect(PyJson.toPlain((written.reward_info as PyObject).reward as PyValue)).toBe(expectedReward[i])
        expect(PyJson.compact(written.reward_info as PyValue)).toBe(PyJson.compact(sims(rescoredFile)[i]?.reward_info as PyValue))
      }
      if (validator) {
        expect(describeErrors(validator.errorsOf(fs.readFileSync(path.join(out, "results.json"), "utf8")))).toEqual([])
        const invalid = files.flatMap((f) => describeErrors(validator.simulationErrorsOf(fs.readFileSync(path.join(out, "simulations", f), "utf8"))))
        expect(invalid).toEqual([])
      }
      // The output reads back as results of its layout with the same scores.
      expect((await evaluate(out)).scores).toEqual(one.scores)
    }
    if (validator) expect(describeErrors(validator.errorsOf(fs.readFileSync(outFile, "utf8")))).toEqual([])
  })

  it("--out refuses a folder for a results file, and a dir-layout folder holding other simulations", async () => {
    const file = writeResults(folder("in"), "r.json", airline)
    const taken = folder("taken")
    const intoFolder = await run("evaluate-trajs", file, "--data-dir", TAU2_DATA_DIR, "--out", taken)
    expect(intoFolder.code).toBe(2)
    expect(intoFolder.stderr).toContain(`--out ${taken}: ${file} is a results file`)
    const dir = writeDirLayout(folder("in-dir"), airline)
    const other = writeDirLayout(folder("other"), { ...airline, simulations: [{ ...sims(airline)[0], id: "someone-else" } as PyObject] })
    const intoOther = await run("evaluate-trajs", dir, "--data-dir", TAU2_DATA_DIR, "--out", other)
    expect(intoOther.code).toBe(2)
    expect(intoOther.stderr).toContain("someone-else.json")
    expect(fs.readdirSync(path.join(other, "simulations"))).toEqual(["someone-else.json"])
  })

  it("simulations that cannot be scored are counted in the summary, and --out writes nothing rather than their old rewards", async () => {
    // Two perturbed mock trajectories make the reference's evaluator raise, and ours.
    const file = writeResults(folder("raising"), "mock.json", resultsFromFixtures("perturbed", "mock"))
    const { scores, summaries } = await evaluate(file)
    expect(scores.filter((s) => s.error !== undefined).map((s) => s.episode_id)).toEqual([
      "create_task_1_with_env_assertions::shared1::0",
      "create_task_1_with_env_assertions::shared1::3",
    ])
    expect(summaries[0]).toMatchObject({ simulations: 32, unscored: 2 })
    const out = tmp.file("raising-out.json")
    const r = await run("evaluate-trajs", file, "--data-dir", TAU2_DATA_DIR, "--out", out)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      `error: ${file}: no re-scored results written: 2 of 32 simulations could not be scored (simulation create_task_1_with_env_assertions::shared1::0: `,
    )
    expect(fs.existsSync(out)).toBe(false)
  })
})

data.describe("evaluate-trajs --fresh-tasks", () => {
  const tasksFile = path.join(TAU2_DATA_DIR, "domains", "mock", "tasks.json")
  const dataTasks = (PyJson.parse(fs.readFileSync(tasksFile, "utf8")) as PyObject[]).filter((t) => t.id === "create_task_1" || t.id === "update_task_1")
  const gold = fixtureRecords("gold", "mock").filter((r) => r.task_id === "create_task_1" || r.task_id === "update_task_1")
  const base = resultsFromFixtures("gold", "mock", gold)
  // The embedded create_task_1 expects another title than the data folder's (which the trajectory created).
  const edited = (t: PyObject): PyObject => {
    const criteria = t.evaluation_criteria as PyObject
    const [action, ...rest] = criteria.actions as PyObject[]
    return {
      ...t,
      evaluation_criteria: { ...criteria, actions: [{ ...action, arguments: { ...(action?.arguments as PyObject), title: "Another Meeting" } }, ...rest] },
    }
  }
  const ghost = { id: "ghost_task", user_scenario: { instructions: "not in the data folder" } }
  const doc = { ...base, tasks: [...(base.tasks as PyObject[]).map((t) => (t.id === "create_task_1" ? edited(t) : t)), ghost] } as PyObject

  it.each(["file", "dir"] as const)("scores the %s layout against the data folder's tasks, and --out carries them", async (layout) => {
    const input = layout === "file" ? writeResults(folder("fresh"), "results.json", doc) : writeDirLayout(folder("fresh-dir"), doc)
    const rewards = (lines: ReadonlyArray<Record<string, unknown>>) => Object.fromEntries(lines.map((l) => [l.task_id, l.reward]))
    expect(rewards((await evaluate(input)).scores)).toEqual({ create_task_1: 0, update_task_1: 1 })
    const out = layout === "file" ? tmp.file(`fresh-out-${n++}.json`) : folder("fresh-out")
    const fresh = await evaluate(input, "--fresh-tasks", "--out", out)
    expect(rewards(fresh.scores)).toEqual({ create_task_1: 1, update_task_1: 1 })
    expect(fresh.stderr).toContain("1 task(s) not in the data folder keep their embedded definitions: ghost_task")
    const written = readDoc(layout === "file" ? out : path.join(out, "results.json"))
    const writtenTasks = written.tasks as PyObject[]
    expect(writtenTasks.map((t) => t.id)).toEqual(["create_task_1", "update_task_1", "ghost_task"])
    const dataCreate = dataTasks.find((t) => t.id === "create_task_1") as PyObject
    expect(PyJson.compact((writtenTasks[0] as PyObject).evaluation_criteria as PyValue)).toBe(PyJson.compact(dataCreate.evaluation_criteria as PyValue))
    // Without --fresh-tasks the output keeps the embedded tasks.
    const kept = layout === "file" ? tmp.file(`kept-${n++}.json`) : folder("kept")
    await evaluate(input, "--out", kept)
    expect(PyJson.compact(readDoc(layout === "file" ? kept : path.join(kept, "results.json")).tasks as PyValue)).toBe(PyJson.compact(doc.tasks as PyValue))
  })
})

data.describe("evaluate-trajs summary", () => {
  it("pass^k, average reward and termination counts match a hand computation", async () => {
    const perturbed = fixtureRecords("perturbed", "mock")
    const gold = fixtureRecords("gold", "mock")
    const pick = (records: PyObject[], id: string) => records.find((r) => (r.perturbation_id ?? `gold::${String(r.task_id)}`) === id) as PyObject
    const goldUpdate = pick(gold, "gold::update_task_1")
    const records = [
      // update_task_1: 4 simulations, 2 successes (the last ran out of steps: reward 0 whatever its messages).
      goldUpdate,
      pick(perturbed, "update_task_1::shared1::2"),
      pick(perturbed, "update_task_1::shared1::0"),
      { ...goldUpdate, perturbation_id: "update_task_1::max_steps", termination_reason: "max_steps" },
      // impossible_task_1: 3 of 3.
      pick(gold, "gold::impossible_task_1"),
      pick(perturbed, "impossible_task_1::shared1::0"),
      pick(perturbed, "impossible_task_1::shared1::1"),
      // create_task_1: 0 of 3, and a simulation that never ran (left out of everything).
      pick(perturbed, "create_task_1::shared1::0"),
      pick(perturbed, "create_task_1::shared1::1"),
      pick(perturbed, "create_task_1::shared1::2"),
      {
        ...pick(gold, "gold::create_task_1"),
        perturbation_id: "create_task_1::infra",
        termination_reason: "infrastructure_error",
        trajectory: [],
        reward_info: null,
      },
    ]
    const base = resultsFromFixtures("perturbed", "mock", records)
    const doc = {
      ...base,
      info: { ...(base.info as PyObject), num_trials: 3 },
      simulations: sims(base).map((s) => ({ ...s, agent_cost: null })),
    } as PyObject
    const file = writeResults(folder("passk"), "passk.json", doc)
    // By hand: per task C(c,k)/C(n,k) with (n, c) = (4, 2), (3, 3), (3, 0); k ≤ min(num_trials 3, fewest simulations 3).
    const expected = { 1: (2 / 4 + 1 + 0) / 3, 2: (1 / 6 + 1 + 0) / 3, 3: (0 + 1 + 0) / 3 }
    const { summaries } = await evaluate(file)
    const s = summaries[0] as Record<string, unknown>
    expect(s).toMatchObject({ simulations: 11, infrastructure_errors: 1, unscored: 0, tasks: 3, num_trials: 3, avg_reward: 0.5, avg_agent_cost: null })
    expect(s.termination_reasons).toEqual({ infrastructure_error: 1, max_steps: 1, user_stop: 9 })
    const ks = s.pass_hat_k as Record<string, number>
    expect(Object.keys(ks)).toEqual(["1", "2", "3"])
    for (const [k, v] of Object.entries(expected)) expect(ks[k]).toBeCloseTo(v, 12)
    // The table, then the summary as the reference prints it (reward to 4 places, pass^k to 3).
    const text = (await ok("evaluate-trajs", file, "--data-dir", TAU2_DATA_DIR)).stdout
    const summaryAt = text.indexOf(`${file} (file layout): 11 simulations of 3 tasks (1 infrastructure_error, left out of the metrics)`)
    expect(summaryAt).toBeGreaterThan(text.indexOf("update_task_1::max_steps"))
    const summaryText = text.slice(summaryAt)
    for (const line of [
      /average reward +0\.5000/,
      /pass\^1 +0\.500/,
      /pass\^2 +0\.389/,
      /pass\^3 +0\.333/,
      /average agent cost +unknown \(no agent cost recorded\)/,
      /termination +infrastructure_error 1, max_steps 1, user_stop 9/,
    ])
      expect(summaryText).toMatch(line)
  })
})

data.describe("import tau2: both layouts and June-2025 files", () => {
  const mock = resultsFromFixtures("perturbed", "mock")

  const verified = async (db: string, runId: string, simulations: number) => {
    const r = await run("replay", "--run", runId, "--verify", "--json", "--db", db)
    expect(r.code, r.stderr).toBe(0)
    const rows = jsonLines(r.stdout)
    expect(rows).toHaveLength(simulations)
    expect(rows.filter((row) => row.verified !== true)).toEqual([])
  }
  const storedConfig = (db: string, runId: string) =>
    readStore(db, ({ store }) => Effect.runPromise(store.getRun(runId))).then((run) => run?.config as Record<string, unknown> | undefined)

  it("the dir layout imports (its folder or its results.json: the same run), verifies clean and records its layout", async () => {
    const dir = writeDirLayout(folder("import-dir"), mock)
    const db = tmp.db()
    const first = jsonLines((await ok("import", "tau2", dir, "--data-dir", TAU2_DATA_DIR, "--db", db, "--json")).stdout)[0] as Record<string, unknown>
    expect(first).toMatchObject({ simulations: 32, episodes: 32, domain: "mock" })
    const again = jsonLines((await ok("import", "tau2", path.join(dir, "results.json"), "--data-dir", TAU2_DATA_DIR, "--db", db, "--json")).stdout)[0]
    expect(again).toMatchObject({ run_id: first.run_id, episodes: 0, already_present: 32 })
    await verified(db, String(first.run_id), 32)
    expect(await storedConfig(db, String(first.run_id))).toMatchObject({ layout: "dir", file: path.join(dir, "results.json") })
    // The episodes are the simulations of the files, in index order.
    const episodes = jsonLines((await ok("replay", "--run", String(first.run_id), "--json", "--db", db)).stdout)
    expect(episodes).toHaveLength(32)
  })

  it("a June-2025 file (no simulation_index, none of the newer fields) imports, verifies clean and scores as the current format", async () => {
    const old = v01Document(mock)
    expect("simulation_index" in old || sims(old).some((s) => "mode" in s)).toBe(false)
    const file = writeResults(folder("v01"), "results.json", old)
    const db = tmp.db()
    const summary = jsonLines((await ok("import", "tau2", file, "--data-dir", TAU2_DATA_DIR, "--db", db, "--json")).stdout)[0] as Record<string, unknown>
    expect(summary).toMatchObject({ simulations: 32, episodes: 32 })
    await verified(db, String(summary.run_id), 32)
    expect(await storedConfig(db, String(summary.run_id))).toMatchObject({ layout: "file" })
    const current = writeResults(folder("current"), "results.json", mock)
    expect((await evaluate(file)).scores).toEqual((await evaluate(current)).scores)
  })

  const damaged: Array<[string, (dir: string) => string, string]> = [
    [
      "a tampered simulation file",
      (d) => {
        const f = path.join(d, "simulations", "create_task_1::shared1::0.json")
        fs.writeFileSync(f, PyJson.dumps({ ...readDoc(f), termination_reason: "agent_stop" }))
        return f
      },
      'termination_reason is "agent_stop" but simulation_index says "user_stop"',
    ],
    [
      "a missing simulation file",
      (d) => {
        fs.rmSync(path.join(d, "simulations", "update_task_1::shared1::1.json"))
        return path.join(d, "results.json")
      },
      "simulation update_task_1::shared1::1 is in simulation_index but simulations/update_task_1::shared1::1.json is missing",
    ],
    [
      "a simulation file not in the index",
      (d) => {
        const f = path.join(d, "simulations", "extra.json")
        fs.writeFileSync(f, PyJson.dumps({ ...(sims(mock)[0] as PyObject), id: "extra" }))
        return f
      },
      "this simulation file is not in simulation_index of results.json",
    ],
    [
      "a corrupt simulation file",
      (d) => {
        const f = path.join(d, "simulations", "impossible_task_1::shared1::1.json")
        fs.writeFileSync(f, fs.readFileSync(f, "utf8").slice(0, 100))
        return f
      },
      "not valid JSON",
    ],
  ]

  it("a dir layout whose files agree but name an unknown task: the import names the simulation's file and stores nothing", async () => {
    const doc = { ...mock, simulations: sims(mock).map((s, i) => (i === 3 ? { ...s, task_id: "no_such_task" } : s)) } as PyObject
    const dir = writeDirLayout(folder("unknown-task"), doc)
    const db = tmp.db()
    const r = await run("import", "tau2", dir, "--data-dir", TAU2_DATA_DIR, "--db", db)
    expect(r.code).toBe(1)
    const id = String(sims(doc)[3]?.id)
    expect(r.stderr).toContain(`error: ${path.join(dir, "results.json")}: nothing was imported: 1 of 32 simulations cannot be imported:`)
    expect(r.stderr).toContain(`simulation ${id} (simulations/${id}.json) refers to task no_such_task`)
    const stored = await readStore(db, ({ store }) => Effect.runPromise(Effect.all([store.listRuns(), store.listEpisodes()])))
    expect(stored).toEqual([[], []])
  })

  it.each(damaged)("%s: import and evaluate-trajs refuse it naming the file, and nothing is stored", async (_name, damage, detail) => {
    const dir = writeDirLayout(folder("damaged"), mock)
    const file = damage(dir)
    const db = tmp.db()
    for (const args of [
      ["import", "tau2", dir, "--data-dir", TAU2_DATA_DIR, "--db", db],
      ["evaluate-trajs", dir, "--data-dir", TAU2_DATA_DIR, "--json"],
    ]) {
      const r = await run(...args)
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toContain(`error: ${file}: `)
      expect(r.stderr).toContain(detail)
      expect(r.stdout).toBe("")
    }
    if (fs.existsSync(db)) {
      const stored = await readStore(db, ({ store }) => Effect.runPromise(Effect.all([store.listRuns(), store.listEpisodes()])))
      expect(stored).toEqual([[], []])
    }
  })
})
