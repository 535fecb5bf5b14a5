/**
 * `tau export tau2` writes results that τ²'s own `Results` model accepts: every export below is
 * checked against τ²'s JSON Schema with ajv, in both layouts (one `results.json`; the dir layout's
 * `results.json` with its index and one `simulations/<id>.json` per simulation), and a failure
 * prints ajv's errors. Exported: oracle runs of each τ² domain (default, no-user,
 * no-user-oracle-plan, oracle-plan, no-policy, telecom's workflow policy) and of the demo domain,
 * model-backed runs against the local model server (priced and unpriced), a run whose model
 * server refuses connections (`infrastructure_error`), a fork, a run stopped by SIGTERM during a
 * model call (its unfinished episode is skipped and named, exit 3), and an import of a results
 * file in an older format (no times: filled in). Export → import → export gives the same files.
 * Every file-layout export (written a simulation at a time) is the text of the whole document
 * that standard output gets, byte for byte, a run of 120 episodes included.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { type ModelCalled, type PyObject, PyJson, type PyValue } from "@tau-sim/engine"
import { needsData } from "@tau-sim/domains/testing"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { resultsFromFixtures, v01Document, writeResults } from "../../interop/test/results-file.ts"
import { gatedModelServer } from "./faults.ts"
import { finished, jsonLines, readStore, spawnTau, storedRun, tau, tempDir } from "./tau.ts"
import { describeErrors, errorKinds, schemaPresent, tau2ResultsValidator } from "./tau2-schema.ts"

const data = needsData("tau2", "conformance")
const suite = schemaPresent() ? data.describe : describe.skip
const TAU2 = data.tau2
const tmp = tempDir("export-schema")
const db = tmp.db()

let models: Awaited<ReturnType<typeof gatedModelServer>>
beforeAll(async () => {
  models = await gatedModelServer()
})
afterAll(async () => {
  await models?.close()
  tmp.dispose()
})

const ok = async (args: ReadonlyArray<string>, env?: NodeJS.ProcessEnv) => {
  const r = await tau([...args, "--db", db], tmp.root, env)
  expect(r.code, `tau ${args.join(" ")}\n${r.stderr}`).toBe(0)
  return r
}

const runId = (stdout: string): string => String(jsonLines(stdout)[0]?.run_id)

interface Exported {
  /** The file layout's file. */
  readonly file: string
  readonly text: string
  readonly document: PyObject
  readonly simulations: PyObject[]
  /** The dir layout's files, by path relative to its folder. */
  readonly dir: Record<string, string>
}

/** Every file of a folder, by relative path. */
const filesOf = (root: string): Record<string, string> =>
  Object.fromEntries(
    (fs.readdirSync(root, { recursive: true }) as string[])
      .filter((p) => fs.statSync(path.join(root, p)).isFile())
      .sort()
      .map((p) => [p, fs.readFileSync(path.join(root, p), "utf8")]),
  )

let validator: ReturnType<typeof tau2ResultsValidator>
let exportCount = 0

/** The errors of a file, printed (the assertion shows every one of them). */
const expectValid = (label: string, errors: ReturnType<typeof validator.errorsOf>) =>
  expect(describeErrors(errors), `${label}: ${JSON.stringify(errorKinds(errors))}`).toEqual([])

/** Exports `run` in both layouts (exit code `code`), checks both against the schema and against each other. */
const exportBoth = async (run: string, code = 0): Promise<Exported> => {
  const n = exportCount++
  const file = tmp.file(`export-${n}.json`)
  const folder = tmp.file(`export-${n}`)
  const single = await tau(["export", "tau2", "--run", run, "--out", file, "--layout", "file", "--db", db], tmp.root)
  expect(single.code, single.stderr).toBe(code)
  const dirExport = await tau(["export", "tau2", "--run", run, "--out", folder, "--layout", "dir", "--db", db], tmp.root)
  expect(dirExport.code, dirExport.stderr).toBe(code)
  const text = fs.readFileSync(file, "utf8")
  expectValid(`${run} (file layout)`, validator.errorsOf(text))
  // A file is written a simulation at a time; standard output gets the document built whole: the same text.
  const whole = await tau(["export", "tau2", "--run", run, "--layout", "file", "--db", db], tmp.root)
  expect(whole.code, whole.stderr).toBe(code)
  expect(whole.stdout === text, `${run}: the streamed file differs from the whole document`).toBe(true)
  const document = PyJson.parse(text) as PyObject
  expect(document.simulation_index).toBeNull()
  const simulations = document.simulations as PyObject[]

  const dir = filesOf(folder)
  expectValid(`${run} (dir layout, results.json)`, validator.errorsOf(dir["results.json"]))
  const index = PyJson.parse(dir["results.json"]) as PyObject
  expect(index.simulations).toBeUndefined()
  expect(Object.keys(dir).sort()).toEqual(["results.json", ...simulations.map((s) => `simulations/${String(s.id)}.json`)].sort())
  for (const sim of simulations) {
    const simText = dir[`simulations/${String(sim.id)}.json`]
    expectValid(`${run} (dir layout, simulation ${String(sim.id)})`, validator.simulationErrorsOf(simText))
    expect(simText).toBe(`${PyJson.dumps(sim)}\n`)
  }
  expect(PyJson.compact(index.simulation_index ?? null)).toBe(
    PyJson.compact(
      simulations.map((s) => ({
        id: s.id,
        task_id: s.task_id,
        trial: s.trial,
        reward: (s.reward_info as PyObject | null)?.reward ?? null,
        termination_reason: s.termination_reason,
        agent_cost: s.agent_cost ?? null,
        duration: s.duration,
      })) as PyValue,
    ),
  )
  const { simulations: _s, simulation_index: _i, ...header } = document
  const { simulation_index: _j, ...dirHeader } = index
  expect(PyJson.compact(dirHeader)).toBe(PyJson.compact(header))
  return { file, text, document, simulations, dir }
}

/** A τ² time (Python isoformat, no zone: ours are UTC) in microseconds. */
const iso = (t: PyValue | undefined) => {
  const [whole, fraction = ""] = String(t).split(".")
  return Date.parse(`${whole}Z`) * 1000 + Number(fraction.padEnd(6, "0"))
}

/** What every native simulation must say about its times: ordered, inside the episode, duration = end - start. */
const expectTimes = (sim: PyObject) => {
  const stamps = (sim.messages as PyObject[]).map((m) => String(m.timestamp))
  expect(
    stamps.every((s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/.test(s)),
    stamps.join(" "),
  ).toBe(true)
  expect([...stamps].sort(), "τ² sorts a trajectory by its timestamps: that order is ours").toEqual(stamps)
  expect(new Set(stamps).size).toBe(stamps.length)
  const [start, end] = [iso(sim.start_time), iso(sim.end_time)]
  expect(end).toBeGreaterThanOrEqual(start)
  expect(Number(PyJson.toPlain(sim.duration as PyValue))).toBeCloseTo((end - start) / 1e6, 6)
  expect(sim.timestamp).toBe(sim.end_time)
}

/** export (file) → import → export gives the same text; the same for the dir layout. */
const expectRoundTrip = async (exported: Exported, dataDir: ReadonlyArray<string>) => {
  const n = exportCount++
  const file = tmp.file(`roundtrip-${n}.json`)
  fs.writeFileSync(file, exported.text)
  const imported = JSON.parse((await ok(["import", "tau2", file, ...dataDir, "--json"])).stdout) as { run_id: string; episodes: number }
  expect(imported.episodes).toBe(exported.simulations.length)
  const again = tmp.file(`roundtrip-${n}-again.json`)
  await ok(["export", "tau2", "--run", imported.run_id, "--out", again])
  expect(fs.readFileSync(again, "utf8")).toBe(exported.text)

  const folder = tmp.file(`roundtrip-${n}-dir`)
  fs.mkdirSync(path.join(folder, "simulations"), { recursive: true })
  for (const [p, text] of Object.entries(exported.dir)) fs.writeFileSync(path.join(folder, p), text)
  const importedDir = JSON.parse((await ok(["import", "tau2", folder, ...dataDir, "--json"])).stdout) as { run_id: string }
  const againDir = tmp.file(`roundtrip-${n}-dir-again`)
  // An import of the dir layout is written back in it by default.
  await ok(["export", "tau2", "--run", importedDir.run_id, "--out", againDir])
  expect(filesOf(againDir)).toEqual(exported.dir)
}

const oracle = (domain: string, ...more: string[]) => [
  "run",
  "--domain",
  domain,
  ...(domain === "demo" ? [] : ["--data-dir", TAU2]),
  "--agent",
  "oracle",
  "--user",
  "scripted",
  "--json",
  ...more,
]
const dataDirOf = (domain: string) => (domain === "demo" ? [] : ["--data-dir", TAU2])

suite("tau export tau2: results τ²'s Results model accepts, both layouts", () => {
  beforeAll(() => {
    validator = tau2ResultsValidator()
  })

  it.each([
    ["demo", []],
    ["mock", []],
    ["airline", ["--num-tasks", "3"]],
    ["retail", ["--num-tasks", "3"]],
    ["telecom", ["--num-tasks", "3"]],
    ["mock", ["--mode", "no-user"]],
    ["mock", ["--mode", "no-user-oracle-plan"]],
    ["telecom", ["--mode", "no-user", "--num-tasks", "3"]],
    ["telecom", ["--mode", "oracle-plan", "--num-tasks", "3"]],
    ["airline", ["--mode", "no-policy", "--num-tasks", "3"]],
    ["telecom", ["--policy-variant", "workflow", "--num-tasks", "3"]],
  ] as ReadonlyArray<readonly [string, ReadonlyArray<string>]>)("oracle run of %s %j", async (domain, more) => {
    const r = await ok(oracle(domain, ...more))
    const run = runId(r.stdout)
    const exported = await exportBoth(run)
    const lines = jsonLines(r.stdout)
    expect(exported.simulations.map((s) => s.id).sort()).toEqual(lines.map((l) => l.episode_id).sort())
    const mode = more.includes("--mode") ? String(more[more.indexOf("--mode") + 1]) : "default"
    const solo = mode.startsWith("no-user")
    const info = exported.document.info as PyObject
    expect((info.environment_info as PyObject).domain_name).toBe(more.includes("workflow") ? `${domain}-workflow` : domain)
    // Ours are no τ² agents: their own names, no llm. Without a user, τ²'s solo pair, by which it knows the mode.
    expect(info.agent_info).toEqual({ implementation: solo ? "llm_agent_solo" : "oracle", llm: null, llm_args: null, voice_settings: null })
    expect((info.user_info as PyObject).implementation).toBe(solo ? "dummy_user" : "scripted")
    if (solo) {
      // Scored from the file alone as the run scored it (a solo run read as dual control scores 0).
      const evaluated = await tau(["evaluate-trajs", exported.file, "--data-dir", TAU2, "--json"], tmp.root)
      expect(evaluated.code, evaluated.stderr).toBe(0)
      const scored = jsonLines(evaluated.stdout)
      const rewards = Object.fromEntries(scored.filter((l) => l.episode_id !== undefined).map((l) => [l.episode_id, l.reward]))
      expect(rewards).toEqual(Object.fromEntries(lines.map((l) => [l.episode_id, l.reward])))
    }
    for (const sim of exported.simulations) {
      expectTimes(sim)
      // No model ran: nothing is priced, and that is not a cost of 0.
      expect([sim.agent_cost, sim.user_cost]).toEqual([null, null])
      expect(sim.policy === null).toBe(mode === "no-policy")
      const reward = lines.find((l) => l.episode_id === sim.id)?.reward
      expect(Number(PyJson.toPlain((sim.reward_info as PyObject).reward as PyValue))).toBe(reward)
    }
    if (domain === "demo" || mode === "no-user") await expectRoundTrip(exported, dataDirOf(domain))
  })

  it("a run of many episodes (telecom, 40 tasks × 3 trials) is written a simulation at a time, the same text as the whole document", async () => {
    const r = await ok(oracle("telecom", "--num-tasks", "40", "--trials", "3"))
    const exported = await exportBoth(runId(r.stdout))
    expect(exported.simulations).toHaveLength(120)
    expect((exported.document.tasks as PyValue[]).length).toBe(40)
  })

  it("model-backed runs: per-message cost and usage from the recorded calls, totals null when a model has no price", async () => {
    const env = models.env()
    const tasks = ["--task-ids", "renew_loan,link_card_in_app"]
    const priced = runId(
      (
        await ok(
          ["run", "--domain", "demo", "--agent", "openai:gpt-4.1", "--agent-args", '{"temperature": 0}', "--user", "openai:gpt-4.1", ...tasks, "--json"],
          env,
        )
      ).stdout,
    )
    const unpriced = runId((await ok(["run", "--domain", "demo", "--agent", "openai:demo", "--user", "openai:demo", ...tasks, "--json"], env)).stdout)

    const exported = await exportBoth(priced)
    const info = exported.document.info as PyObject
    expect(PyJson.toPlain(info.agent_info as PyValue)).toEqual({
      implementation: "llm_agent",
      llm: "gpt-4.1",
      llm_args: { temperature: 0 },
      voice_settings: null,
    })
    expect((info.user_info as PyObject).implementation).toBe("user_simulator")
    expect(typeof (info.user_info as PyObject).global_simulation_guidelines).toBe("string")
    const stored = await storedRun(db, priced)
    for (const sim of exported.simulations) {
      expectTimes(sim)
      const calls = stored.events[String(sim.id)].flatMap((e) => (e.event._tag === "ModelCalled" ? [e.event as ModelCalled] : []))
      for (const [side, role] of [
        ["agent", "assistant"],
        ["user", "user"],
      ] as const) {
        const mine = calls.filter((c) => c.participant === side)
        expect(mine.length).toBeGreaterThan(0)
        const total = mine.reduce((s, c) => s + (c.cost ?? 0), 0)
        expect(total).toBeGreaterThan(0)
        expect(Number(PyJson.toPlain(sim[`${side}_cost`] as PyValue))).toBeCloseTo(total, 12)
        const produced = (sim.messages as PyObject[]).filter((m) => m.role === role && m.usage !== null)
        // Every model-produced message carries its call's tokens; their sum is the calls'.
        expect(produced.reduce((s, m) => s + Number((m.usage as PyObject).prompt_tokens), 0)).toBe(mine.reduce((s, c) => s + c.usage.promptTokens, 0))
      }
    }
    await expectRoundTrip(exported, [])

    const free = await exportBoth(unpriced)
    for (const sim of free.simulations) {
      expect([sim.agent_cost, sim.user_cost]).toEqual([null, null])
      const produced = (sim.messages as PyObject[]).filter((m) => m.usage !== null && m.usage !== undefined)
      expect(produced.length).toBeGreaterThan(0)
      expect(produced.every((m) => m.cost === null)).toBe(true)
    }
  })

  it("a run whose model server refuses connections: infrastructure_error, valid, with the error in info", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo
        server.close(() => resolve(port))
      })
    })
    const env = { ...models.env(), OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }
    const r = await tau(
      ["run", "--domain", "demo", "--agent", "openai:gpt-4.1", "--user", "scripted", "--task-ids", "renew_loan", "--model-retries", "0", "--json", "--db", db],
      tmp.root,
      env,
    )
    expect(r.code, r.stderr).toBe(1)
    const exported = await exportBoth(runId(r.stdout))
    const [sim] = exported.simulations
    expect(sim.termination_reason).toBe("infrastructure_error")
    expect(String((sim.info as PyObject).error)).toMatch(/refused|ECONNREFUSED|connect/i)
    expect(Number(PyJson.toPlain((sim.reward_info as PyObject).reward as PyValue))).toBe(0)
    expectTimes(sim)
    await expectRoundTrip(exported, [])
  })

  it("a fork: its inherited messages keep their parent's times, and the file validates", async () => {
    const parent = jsonLines((await ok(oracle("demo", "--task-ids", "renew_loan"))).stdout)[0]
    const fork = JSON.parse((await ok(["fork", String(parent.episode_id), "--at-turn", "2", "--json"])).stdout.trim().split("\n").at(-1) as string)
    const exported = await exportBoth(`${String(parent.run_id)}~forks`)
    const [sim] = exported.simulations
    expect(sim.id).toBe(fork.episode_id)
    expectTimes(sim)
    const parentSim = (await exportBoth(String(parent.run_id))).simulations[0]
    const [inherited, own] = [(parentSim.messages as PyObject[]).slice(0, 2), (sim.messages as PyObject[]).slice(0, 2)]
    expect(own.map((m) => m.timestamp)).toEqual(inherited.map((m) => m.timestamp))
    await expectRoundTrip(exported, [])
  })

  it("a run stopped during a model call: the unfinished episode is skipped and named (exit 3), the rest validates", async () => {
    // One at a time: renew_loan's five calls are answered, link_card_in_app's third hangs.
    const hang = models.hangAt(8)
    const args = [
      "run",
      "--domain",
      "demo",
      "--agent",
      "openai:demo",
      "--user",
      "openai:demo",
      "--task-ids",
      "renew_loan,link_card_in_app",
      "--run-id",
      "STOPPED",
    ]
    const child = spawnTau([...args, "--max-concurrency", "1", "--db", db], tmp.root, models.env())
    const done = finished(child)
    await hang.reached
    child.kill("SIGTERM")
    const stopped = await done
    hang.release()
    expect(stopped.code, stopped.stderr).toBe(143)
    const running = (await storedRun(db, "STOPPED")).rows.filter((r) => r.status === "running")
    expect(running).toHaveLength(1)
    const exported = await exportBoth("STOPPED", 3)
    expect(exported.simulations.map((s) => s.task_id)).toEqual(["renew_loan"])
    expect(exported.simulations.map((s) => s.id)).not.toContain(running[0].episodeId)
    const err = await tau(["export", "tau2", "--run", "STOPPED", "--out", tmp.file("stopped.json"), "--db", db], tmp.root)
    expect(err.stderr).toContain(`${running[0].episodeId}: episode ${running[0].episodeId} has not ended`)
  })

  it("an imported file of an older format (no times): completed where τ² requires it, otherwise as it was", async () => {
    // Simulations without the start and end times τ²'s model requires (its early files had none).
    const complete = resultsFromFixtures("perturbed", "mock")
    const original: PyObject = {
      ...complete,
      simulations: (complete.simulations as PyObject[]).map(({ start_time: _s, end_time: _e, ...sim }) => sim),
    }
    const file = writeResults(tmp.root, "older.json", original)
    // The fixture is what an older τ² wrote: without the times τ² now requires.
    expect(validator.errorsOf(fs.readFileSync(file, "utf8")).some((e) => e.params.missingProperty === "start_time")).toBe(true)
    const imported = JSON.parse((await ok(["import", "tau2", file, "--data-dir", TAU2, "--json"])).stdout) as { run_id: string }
    const exported = await exportBoth(imported.run_id)
    const sims = original.simulations as PyObject[]
    expect(exported.simulations).toHaveLength(sims.length)
    for (const [i, sim] of exported.simulations.entries()) {
      const { start_time, end_time, ...rest } = sim
      expect(PyJson.compact(rest)).toBe(PyJson.compact(sims[i]))
      expect([typeof start_time, typeof end_time]).toEqual(["string", "string"])
    }
    await expectRoundTrip(exported, ["--data-dir", TAU2])
  })

  it("a June-2025 (v0.1) file, imported: exported as it was, with the index τ² now writes", async () => {
    const original = v01Document(resultsFromFixtures("gold", "retail"))
    const imported = JSON.parse((await ok(["import", "tau2", writeResults(tmp.root, "v01.json", original), "--data-dir", TAU2, "--json"])).stdout) as {
      run_id: string
    }
    const exported = await exportBoth(imported.run_id)
    const { simulation_index, ...rest } = exported.document
    expect(simulation_index).toBeNull()
    expect(PyJson.compact(rest)).toBe(PyJson.compact(original))
    await expectRoundTrip(exported, ["--data-dir", TAU2])
  })

  it("a latest τ² score whose evaluator failed (no RewardInfo) is exported as its reward with the error in info", async () => {
    const first = jsonLines((await ok(oracle("demo", "--task-ids", "renew_loan"))).stdout)[0]
    const episodeId = String(first.episode_id)
    await readStore(db, ({ store }) =>
      Effect.runPromise(
        store.appendScore({
          episodeId,
          evaluator: "tau2",
          evaluatorVersion: "test",
          reward: 0,
          breakdown: { evaluator_error: "EvaluationError: the env assertion raised" },
          recordedAt: "2026-01-01T00:00:00.000Z",
        }),
      ),
    )
    const [sim] = (await exportBoth(String(first.run_id))).simulations
    expect(PyJson.toPlain(sim.reward_info as PyValue)).toEqual({
      reward: 0,
      reward_basis: null,
      info: { evaluator_error: "EvaluationError: the env assertion raised" },
    })
  })

  it("the dir layout needs --out, and a folder holding other simulations is refused with nothing written", async () => {
    const run = runId((await ok(oracle("demo", "--task-ids", "renew_loan"))).stdout)
    const toStdout = await tau(["export", "tau2", "--run", run, "--layout", "dir", "--db", db], tmp.root)
    expect([toStdout.code, toStdout.stdout]).toEqual([2, ""])
    expect(toStdout.stderr).toContain("give it with --out DIR")
    const folder = tmp.file("occupied")
    fs.mkdirSync(path.join(folder, "simulations"), { recursive: true })
    fs.writeFileSync(path.join(folder, "simulations", "other.json"), "{}")
    const refused = await tau(["export", "tau2", "--run", run, "--layout", "dir", "--out", folder, "--db", db], tmp.root)
    expect(refused.code, refused.stderr).toBe(2)
    expect(refused.stderr).toContain(path.join(folder, "simulations", "other.json"))
    expect(filesOf(folder)).toEqual({ "simulations/other.json": "{}" })
  })
})
