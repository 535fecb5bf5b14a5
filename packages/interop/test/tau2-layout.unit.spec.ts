/**
 * The two layouts of τ² results on disk, on real files: the dir layout as the reference writes it
 * reads as the same document as the single file; what a malformed dir layout does wrong is a
 * ResultsFileError naming the file and the place; our writer's files read back as the document.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type PyObject, PyJson, type PyValue, pyEquals } from "@tau-sim/engine"
import { Effect, Result } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { expandResultsPaths, readResultsFile, readResultsPath, ResultsFileError, resultsFiles, strayFiles } from "../src/index.ts"
import { v01Document, writeDirLayout, writeResults } from "./results-file.ts"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "tau-layout-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let n = 0
const fresh = (name: string) => {
  const dir = path.join(root, `${name}-${n++}`)
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

const sim = (id: string, reward: number | null, extra: Record<string, PyValue> = {}): PyObject => ({
  id,
  task_id: "t1",
  timestamp: "2025-06-10T12:00:01",
  start_time: "2025-06-10T12:00:01",
  end_time: "2025-06-10T12:00:03",
  duration: PyJson.parse("2.0"),
  termination_reason: "user_stop",
  agent_cost: PyJson.parse("0.5"),
  user_cost: null,
  reward_info: reward === null ? null : { reward: PyJson.parse(reward.toFixed(1)) },
  messages: [],
  trial: 0,
  seed: 7,
  ...extra,
})

// Not in id order, so index order and file-name order differ.
const document = (): PyObject => ({
  timestamp: "2025-06-10T12:00:00",
  info: {
    num_trials: 1,
    environment_info: { domain_name: "mock", policy: "" },
    agent_info: { implementation: "llm_agent" },
    user_info: { implementation: "user_simulator" },
  },
  tasks: [{ id: "t1", user_scenario: { instructions: "ask" } }],
  simulations: [sim("s2", 1), sim("s1", 0, { trial: 1 }), sim("s3", null, { trial: 2 })],
  simulation_index: null,
})

const read = (p: string) => Effect.runSync(readResultsPath(p))
const failure = (p: string): ResultsFileError => {
  const r = Effect.runSync(Effect.result(readResultsPath(p)))
  if (Result.isFailure(r) && r.failure instanceof ResultsFileError) return r.failure
  throw new Error(`expected a ResultsFileError for ${p}`)
}
const edit = (file: string, f: (doc: PyObject) => PyValue) => fs.writeFileSync(file, PyJson.dumps(f(PyJson.parse(fs.readFileSync(file, "utf8")) as PyObject)))
const simFile = (dir: string, id: string) => path.join(dir, "simulations", `${id}.json`)
const simulationsOf = (doc: PyObject) => doc.simulations as PyObject[]

describe("reading either layout", () => {
  it("the dir layout (given as its folder or its results.json) is the document of the single file, simulations in index order", () => {
    const doc = document()
    const dir = writeDirLayout(fresh("dir"), doc)
    for (const p of [dir, path.join(dir, "results.json")]) {
      const got = read(p)
      expect(got.layout).toBe("dir")
      expect(got.file).toBe(path.join(dir, "results.json"))
      expect(simulationsOf(got.document).map((s) => s.id)).toEqual(["s2", "s1", "s3"])
      expect(pyEquals(got.document.simulations, doc.simulations)).toBe(true)
      expect(got.sources).toEqual(["s2", "s1", "s3"].map((id) => simFile(dir, id)))
      // Everything else as the index file has it, simulations where the single file has them.
      expect(Object.keys(got.document)).toEqual(["timestamp", "info", "tasks", "simulations", "simulation_index"])
    }
    const single = read(writeResults(fresh("file"), "results.json", doc))
    expect(single.layout).toBe("file")
    expect(pyEquals(single.document, { ...read(dir).document, simulation_index: null })).toBe(true)
  })

  it("a run folder whose results.json holds its simulations is the file layout; so is a June-2025 file without simulation_index", () => {
    const dir = fresh("run")
    writeResults(dir, "results.json", document())
    expect(read(dir).layout).toBe("file")
    const v01 = read(writeResults(fresh("v01"), "old.json", v01Document(document())))
    expect(v01.layout).toBe("file")
    expect("simulation_index" in v01.document).toBe(false)
    expect(simulationsOf(v01.document)).toHaveLength(3)
    expect(Effect.runSync(readResultsFile(dir)).simulations).toHaveLength(3)
  })

  it("a dir layout without an index reads its files in name order, as the reference does", () => {
    const dir = writeDirLayout(fresh("noindex"), document())
    edit(path.join(dir, "results.json"), ({ simulation_index: _i, ...meta }) => meta as PyObject)
    expect(simulationsOf(read(dir).document).map((s) => s.id)).toEqual(["s1", "s2", "s3"])
  })
})

describe("a malformed dir layout is a ResultsFileError naming the file and the place", () => {
  const layout = () => writeDirLayout(fresh("bad"), document())
  it.each<[string, (dir: string) => void, (dir: string) => string, string]>([
    [
      "a simulation file missing",
      (d) => fs.rmSync(simFile(d, "s1")),
      (d) => path.join(d, "results.json"),
      "simulation s1 is in simulation_index but simulations/s1.json is missing",
    ],
    [
      "a file not in the index",
      (d) => fs.writeFileSync(simFile(d, "s9"), PyJson.dumps(sim("s9", 1))),
      (d) => simFile(d, "s9"),
      "this simulation file is not in simulation_index of results.json",
    ],
    ["a file that is not JSON", (d) => fs.writeFileSync(simFile(d, "s3"), '{"id": "s3", '), (d) => simFile(d, "s3"), "not valid JSON"],
    ["a file that is not an object", (d) => fs.writeFileSync(simFile(d, "s3"), "[1]"), (d) => simFile(d, "s3"), "<root>: expected a simulation object"],
    [
      "a file holding another simulation",
      (d) => fs.writeFileSync(simFile(d, "s3"), PyJson.dumps(sim("s2", 1))),
      (d) => simFile(d, "s3"),
      'holds simulation "s2", not s3',
    ],
    [
      "a tampered reward",
      (d) => edit(simFile(d, "s1"), (s) => ({ ...s, reward_info: { reward: PyJson.parse("1.0") } })),
      (d) => simFile(d, "s1"),
      "reward is 1.0 but simulation_index says 0.0",
    ],
    [
      "a tampered termination reason",
      (d) => edit(simFile(d, "s2"), (s) => ({ ...s, termination_reason: "max_steps" })),
      (d) => simFile(d, "s2"),
      'termination_reason is "max_steps" but simulation_index says "user_stop"',
    ],
    [
      "an index entry changed",
      (d) =>
        edit(path.join(d, "results.json"), (m) => ({
          ...m,
          simulation_index: (m.simulation_index as PyObject[]).map((e) => (e.id === "s2" ? { ...e, trial: 5 } : e)),
        })),
      (d) => simFile(d, "s2"),
      "trial is 0 but simulation_index says 5",
    ],
    [
      "no simulations folder",
      (d) => fs.rmSync(path.join(d, "simulations"), { recursive: true }),
      (d) => path.join(d, "results.json"),
      "there is no simulations/ folder",
    ],
    [
      "an index entry twice",
      (d) =>
        edit(path.join(d, "results.json"), (m) => ({
          ...m,
          simulation_index: [...(m.simulation_index as PyObject[]), (m.simulation_index as PyObject[])[0] as PyObject],
        })),
      (d) => path.join(d, "results.json"),
      "simulation_index[3]: simulation s2 is listed more than once",
    ],
    [
      "an index entry without an id",
      (d) => edit(path.join(d, "results.json"), (m) => ({ ...m, simulation_index: [...(m.simulation_index as PyObject[]), { task_id: "t1" }] })),
      (d) => path.join(d, "results.json"),
      "simulation_index[3]: expected an object with a simulation id",
    ],
    [
      "an index that is not a list",
      (d) => edit(path.join(d, "results.json"), (m) => ({ ...m, simulation_index: 3 })),
      (d) => path.join(d, "results.json"),
      "simulation_index",
    ],
  ])("%s", (_name, damage, file, detail) => {
    const dir = layout()
    damage(dir)
    const e = failure(dir)
    expect(e.file).toBe(file(dir))
    expect(e.detail).toContain(detail)
  })

  it("several problems are listed under results.json, each with its file", () => {
    const dir = layout()
    fs.rmSync(simFile(dir, "s1"))
    fs.writeFileSync(simFile(dir, "s3"), "nope")
    const e = failure(dir)
    expect(e.file).toBe(path.join(dir, "results.json"))
    expect(e.detail).toContain("the dir layout has 2 problems")
    expect(e.detail).toContain("simulations/s1.json is missing")
    expect(e.detail).toContain("simulations/s3.json: not valid JSON")
  })

  it("a folder without results.json is named", () => {
    const dir = fresh("empty")
    expect(failure(dir).file).toBe(dir)
    expect(failure(dir).detail).toContain("has no results.json")
  })
})

describe("writing either layout", () => {
  it("dir: one file per simulation, then results.json without simulations and with the index rebuilt; it reads back as the document", () => {
    const doc = document()
    const dir = fresh("out")
    const files = Result.getOrThrow(resultsFiles(doc, "dir", dir))
    expect(files.map((f) => path.relative(dir, f.path))).toEqual(["simulations/s2.json", "simulations/s1.json", "simulations/s3.json", "results.json"])
    for (const f of files) {
      fs.mkdirSync(path.dirname(f.path), { recursive: true })
      fs.writeFileSync(f.path, f.text)
    }
    const meta = PyJson.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8")) as PyObject
    expect("simulations" in meta).toBe(false)
    expect(PyJson.compact(meta.simulation_index as PyValue)).toBe(
      '[{"id":"s2","task_id":"t1","trial":0,"reward":1.0,"termination_reason":"user_stop","agent_cost":0.5,"duration":2.0},' +
        '{"id":"s1","task_id":"t1","trial":1,"reward":0.0,"termination_reason":"user_stop","agent_cost":0.5,"duration":2.0},' +
        '{"id":"s3","task_id":"t1","trial":2,"reward":null,"termination_reason":"user_stop","agent_cost":0.5,"duration":2.0}]',
    )
    const back = read(dir)
    expect(back.layout).toBe("dir")
    expect(pyEquals(back.document.simulations, doc.simulations)).toBe(true)
    // The same folder written again has no stray files; a file of other results does.
    expect(strayFiles("dir", dir, files)).toEqual([])
    const fewer = Result.getOrThrow(resultsFiles({ ...doc, simulations: simulationsOf(doc).slice(0, 2) }, "dir", path.join(dir, "results.json")))
    expect(strayFiles("dir", dir, fewer)).toEqual([simFile(dir, "s3")])
  })

  it("file: the document as it is", () => {
    const doc = document()
    const [file] = Result.getOrThrow(resultsFiles(doc, "file", "/x/out.json"))
    expect(file?.path).toBe("/x/out.json")
    expect(PyJson.compact(PyJson.parse(file?.text ?? ""))).toBe(PyJson.compact(doc))
  })

  it.each([
    ["a/b", "cannot be a file name"],
    ["..", "cannot be a file name"],
    ["", "is not a non-empty string"],
  ])("a simulation id %j has no file of its own in the dir layout", (id, detail) => {
    const r = resultsFiles({ ...document(), simulations: [sim(id, 1)] }, "dir", "/x/out")
    expect(Result.isFailure(r) && r.failure.detail).toContain(detail)
  })

  it("a repeated simulation id is refused for the dir layout", () => {
    const r = resultsFiles({ ...document(), simulations: [sim("s1", 1), sim("s1", 0)] }, "dir", "/x/out")
    expect(Result.isFailure(r) && r.failure.detail).toContain("simulation s1 appears more than once")
  })
})

describe("expandResultsPaths", () => {
  it("a folder of results stands for its results files and its results folders, by name; a results folder for itself", () => {
    const dir = fresh("many")
    writeResults(dir, "b.json", document())
    writeDirLayout(path.join(dir, "a"), document())
    fs.mkdirSync(path.join(dir, "not-results"))
    fs.writeFileSync(path.join(dir, "notes.txt"), "x")
    const single = path.join(dir, "a")
    expect(Effect.runSync(expandResultsPaths([dir, single]))).toEqual([path.join(dir, "a"), path.join(dir, "b.json"), single])
    const e = Effect.runSync(Effect.flip(expandResultsPaths([path.join(dir, "not-results")])))
    expect(e.detail).toContain("no τ² results here")
  })
})
