/**
 * The two layouts of τ² results on disk (semantics §1.5), the one place that knows them:
 *
 * - `file`: one `results.json` (any name) with the simulations inline and `simulation_index: null`
 *   (June-2025 files have no `simulation_index` at all);
 * - `dir`: `results.json` without `simulations` but with `simulation_index: [{id, task_id, trial,
 *   reward, termination_reason, agent_cost, duration}]`, and one `simulations/<sim id>.json` each.
 *
 * Reading turns a path (a results file, or a folder holding `results.json`) into the document with
 * the simulations inline whatever the layout, and says which layout it was; writing turns a
 * document and a layout into the files to write (`[{path, text}]`; the caller writes each one
 * atomically, in order: the simulation files first, the index last, so a reader never meets an
 * index naming a file not yet written).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { isObject, type PyObject, PyJson, type PyValue, pyEquals } from "@tau-sim/engine"
import { Effect, Result, Schema } from "effect"

/** Results that cannot be read or written as τ² results; `detail` names the place (simulation, task, field). */
export class ResultsFileError extends Schema.TaggedError<ResultsFileError>()("ResultsFileError", {
  file: Schema.String,
  detail: Schema.String,
}) {
  override get message(): string {
    return `${this.file}: ${this.detail}`
  }
}

export type ResultsLayout = "file" | "dir"
export const RESULTS_LAYOUTS: ReadonlyArray<ResultsLayout> = ["file", "dir"]
/** The index file of the dir layout (and the usual name of a single results file). */
export const RESULTS_JSON = "results.json"
/** The folder of the dir layout's per-simulation files, beside its `results.json`. */
export const SIMULATIONS_DIR = "simulations"

export interface ResultsOnDisk {
  /** The results document with `simulations` inline (for the dir layout: read from its files, in index order). */
  readonly document: PyObject
  readonly layout: ResultsLayout
  /** The results file read: the file given, or `results.json` of the folder given. */
  readonly file: string
  /** Where each simulation of `document.simulations` was read from (the dir layout: its own file). */
  readonly sources: ReadonlyArray<string>
}

export interface LayoutFile {
  readonly path: string
  readonly text: string
}

const fileError = (file: string, detail: string) => new ResultsFileError({ file, detail })
const reasonOf = (e: unknown) => (e instanceof Error ? e.message : String(e))
/** How many problems of a malformed dir layout one error lists (the count says how many there are). */
const PROBLEMS_SHOWN = 20

const isDirectory = (p: string): boolean => {
  try {
    return fs.statSync(p).isDirectory()
  } catch {
    return false
  }
}

const readJson = (file: string): Effect.Effect<PyValue, ResultsFileError> =>
  Effect.gen(function* () {
    const text = yield* Effect.try({ try: () => fs.readFileSync(file, "utf8"), catch: (e) => fileError(file, `cannot read: ${reasonOf(e)}`) })
    return yield* Effect.try({ try: () => PyJson.parse(text), catch: (e) => fileError(file, `not valid JSON: ${reasonOf(e)}`) })
  })

/** The results file a path names: the path itself, or `results.json` inside a folder. */
export const resultsFileOf = (p: string): string => (isDirectory(p) ? path.join(p, RESULTS_JSON) : p)

/**
 * The layout of a parsed results file: `file` when it holds its simulations (a file converted from
 * the dir layout by τ² may keep a stale index beside them: it is the file layout all the same);
 * `dir` when it has none and either an index or a `simulations/` folder beside it.
 */
const layoutOf = (file: string, doc: PyObject): ResultsLayout => {
  if (Array.isArray(doc.simulations)) return "file"
  if (Array.isArray(doc.simulation_index)) return "dir"
  return isDirectory(path.join(path.dirname(file), SIMULATIONS_DIR)) ? "dir" : "file"
}

/** The value an index entry records for `field`, taken from the simulation as τ² builds the entry. */
const indexValue = (sim: PyObject, field: (typeof INDEX_FIELDS)[number]): PyValue => {
  if (field === "reward") return isObject(sim.reward_info) ? (sim.reward_info.reward ?? null) : null
  return sim[field] ?? null
}
const INDEX_FIELDS = ["id", "task_id", "trial", "reward", "termination_reason", "agent_cost", "duration"] as const

/** The dir layout's `simulation_index` of a list of simulations (τ² `Results._build_simulation_index`). */
export const simulationIndex = (simulations: ReadonlyArray<PyObject>): PyObject[] =>
  simulations.map((sim) => Object.fromEntries(INDEX_FIELDS.map((f) => [f, indexValue(sim, f)])) as PyObject)

/** Why a simulation id cannot name a file of its own in `simulations/`, or null. */
const badFileId = (id: PyValue | undefined): string | null => {
  if (typeof id !== "string" || id === "") return `its id ${id === undefined ? "is missing" : `${PyJson.compact(id)} is not a non-empty string`}`
  if (id === "." || id === ".." || /[/\\\0]/.test(id)) return `its id ${JSON.stringify(id)} cannot be a file name`
  return null
}

interface Problem {
  readonly file: string
  readonly detail: string
}

/** One problem is an error naming its own file; several are listed under the results file. */
const problemsError = (file: string, problems: ReadonlyArray<Problem>): ResultsFileError => {
  const [only] = problems
  if (problems.length === 1 && only) return fileError(only.file, only.detail)
  const base = path.dirname(file)
  const shown = problems
    .slice(0, PROBLEMS_SHOWN)
    .map((p) => `\n  ${p.file === file ? "" : `${path.relative(base, p.file)}: `}${p.detail}`)
    .join("")
  const more = problems.length > PROBLEMS_SHOWN ? `\n  ... and ${problems.length - PROBLEMS_SHOWN} more` : ""
  return fileError(file, `the dir layout has ${problems.length} problems:${shown}${more}`)
}

/** The dir layout's simulations, checked against its index: every entry has its file, every file an entry, and they agree. */
const readDirSimulations = (file: string, doc: PyObject): Effect.Effect<{ simulations: PyObject[]; sources: string[] }, ResultsFileError> =>
  Effect.gen(function* () {
    const simsDir = path.join(path.dirname(file), SIMULATIONS_DIR)
    const problems: Problem[] = []
    const rawIndex = doc.simulation_index
    if (rawIndex !== null && rawIndex !== undefined && !Array.isArray(rawIndex)) return yield* fileError(file, "simulation_index: expected a list or null")
    const index: PyObject[] = []
    const indexed = new Set<string>()
    for (const [i, entry] of (rawIndex ?? []).entries()) {
      if (!isObject(entry) || typeof entry.id !== "string" || entry.id === "") {
        problems.push({ file, detail: `simulation_index[${i}]: expected an object with a simulation id` })
        continue
      }
      if (indexed.has(entry.id)) problems.push({ file, detail: `simulation_index[${i}]: simulation ${entry.id} is listed more than once` })
      indexed.add(entry.id)
      index.push(entry)
    }
    let names: string[] = []
    if (isDirectory(simsDir)) {
      names = yield* Effect.try({
        try: () =>
          fs
            .readdirSync(simsDir, { withFileTypes: true })
            .filter((d) => d.name.endsWith(".json") && !d.isDirectory())
            .map((d) => d.name)
            .sort(),
        catch: (e) => fileError(simsDir, `cannot list: ${reasonOf(e)}`),
      })
    } else if (index.length > 0) {
      return yield* fileError(file, `simulation_index lists ${index.length} simulations but there is no ${SIMULATIONS_DIR}/ folder beside it`)
    }
    const onDisk = new Set(names.map((n) => n.slice(0, -".json".length)))
    const hasIndex = Array.isArray(rawIndex)
    if (hasIndex) {
      for (const e of index) {
        if (!onDisk.has(String(e.id)))
          problems.push({ file, detail: `simulation ${String(e.id)} is in simulation_index but ${SIMULATIONS_DIR}/${String(e.id)}.json is missing` })
      }
      for (const id of onDisk) {
        if (!indexed.has(id))
          problems.push({ file: path.join(simsDir, `${id}.json`), detail: `this simulation file is not in simulation_index of ${RESULTS_JSON}` })
      }
    }
    // Index order when there is an index (the order τ² ran and saved them), else τ²'s sorted file order.
    const ids = hasIndex ? index.map((e) => String(e.id)).filter((id) => onDisk.has(id)) : [...onDisk]
    const entries = new Map(index.map((e) => [String(e.id), e]))
    const simulations: PyObject[] = []
    const sources: string[] = []
    for (const id of ids) {
      const simFile = path.join(simsDir, `${id}.json`)
      const parsed = yield* Effect.result(readJson(simFile))
      if (Result.isFailure(parsed)) {
        problems.push({ file: simFile, detail: parsed.failure.detail })
        continue
      }
      const sim = parsed.success
      if (!isObject(sim)) {
        problems.push({ file: simFile, detail: "<root>: expected a simulation object" })
        continue
      }
      if (sim.id !== id) {
        problems.push({
          file: simFile,
          detail: `holds simulation ${sim.id === undefined ? "without an id" : PyJson.compact(sim.id)}, not ${id} as its name says`,
        })
        continue
      }
      const entry = entries.get(id)
      if (entry) {
        for (const field of INDEX_FIELDS) {
          const listed = entry[field] ?? null
          const actual = indexValue(sim, field)
          if (!pyEquals(listed, actual)) {
            problems.push({
              file: simFile,
              detail: `${field} is ${PyJson.compact(actual)} but simulation_index says ${PyJson.compact(listed)} (the file or the index was changed)`,
            })
          }
        }
      }
      simulations.push(sim)
      sources.push(simFile)
    }
    if (problems.length > 0) return yield* problemsError(file, problems)
    return { simulations, sources }
  })

/** `doc` with `simulations` in the place the single-file layout has it (before `simulation_index`). */
const withSimulations = (doc: PyObject, simulations: ReadonlyArray<PyValue>): PyObject => {
  const out: Record<string, PyValue> = {}
  for (const [k, v] of Object.entries(doc)) {
    if (k === "simulations") continue
    if (k === "simulation_index") out.simulations = simulations as PyValue[]
    out[k] = v
  }
  if (!("simulations" in out)) out.simulations = simulations as PyValue[]
  return out
}

/**
 * Reads τ² results in either layout from a results file or a folder holding `results.json`; a
 * file or folder that cannot be read, malformed JSON, and a dir layout whose index and simulation
 * files disagree (an entry without its file, a file not in the index, a file that is not the
 * simulation its name says or differs from its entry) are a `ResultsFileError` naming the file and place.
 */
export const readResultsPath = (p: string): Effect.Effect<ResultsOnDisk, ResultsFileError> =>
  Effect.gen(function* () {
    const file = resultsFileOf(p)
    if (file !== p && !fs.existsSync(file)) {
      return yield* fileError(
        p,
        `a folder of τ² results holds ${RESULTS_JSON} (and, in the dir layout, ${SIMULATIONS_DIR}/), and this one has no ${RESULTS_JSON}`,
      )
    }
    const raw = yield* readJson(file)
    if (!isObject(raw)) return yield* fileError(file, "<root>: expected an object")
    const layout = layoutOf(file, raw)
    if (layout === "file") {
      const sims = Array.isArray(raw.simulations) ? raw.simulations : []
      return { document: raw, layout, file, sources: sims.map(() => file) } satisfies ResultsOnDisk
    }
    const { simulations, sources } = yield* readDirSimulations(file, raw)
    return { document: withSimulations(raw, simulations), layout, file, sources } satisfies ResultsOnDisk
  })

/**
 * The τ² results that command-line paths name, in order: a file is one (either layout's
 * `results.json`, or a single results file); a folder holding `results.json` is one (either
 * layout); any other folder stands for the results in it, as the reference's `evaluate-trajs`
 * takes a folder of results: its `*.json` files and its subfolders holding a `results.json`, by
 * name. A folder with no results is a `ResultsFileError` naming it.
 */
export const expandResultsPaths = (paths: ReadonlyArray<string>): Effect.Effect<string[], ResultsFileError> =>
  Effect.forEach(paths, (p) =>
    Effect.gen(function* () {
      // A path that is not a folder is read as a results file (one that does not exist: "cannot read").
      if (!isDirectory(p) || fs.existsSync(path.join(p, RESULTS_JSON))) return [p]
      const entries = yield* Effect.try({ try: () => fs.readdirSync(p, { withFileTypes: true }), catch: (e) => fileError(p, `cannot list: ${reasonOf(e)}`) })
      const found = entries
        .filter((d) => (d.isDirectory() ? fs.existsSync(path.join(p, d.name, RESULTS_JSON)) : d.name.endsWith(".json")))
        .map((d) => d.name)
        .sort()
        .map((name) => path.join(p, name))
      if (found.length === 0)
        return yield* fileError(p, `no τ² results here: neither ${RESULTS_JSON}, nor results files (*.json), nor folders holding ${RESULTS_JSON}`)
      return found
    }),
  ).pipe(Effect.map((lists) => lists.flat()))

/** A dir layout's target: a folder (its `results.json` inside), or the `results.json` path itself (`simulations/` beside it). */
const dirTarget = (target: string) => {
  const file = target.endsWith(".json") ? target : path.join(target, RESULTS_JSON)
  return { file, simsDir: path.join(path.dirname(file), SIMULATIONS_DIR) }
}

const text = (v: PyValue) => `${PyJson.dumps(v)}\n`

/**
 * The files of a results document in a layout, in the order to write them. `file`: the document
 * as it is, at `target`. `dir`: one file per simulation, then `results.json` without
 * `simulations` and with the index rebuilt from them (so it always agrees with the files);
 * `target` is the folder, or its `results.json`. A simulation whose id cannot be a file name, or
 * a repeated id, is a `ResultsFileError` naming the target.
 */
export const resultsFiles = (document: PyObject, layout: ResultsLayout, target: string): Result.Result<LayoutFile[], ResultsFileError> => {
  if (layout === "file") return Result.succeed([{ path: target, text: text(document) }])
  const { file, simsDir } = dirTarget(target)
  const sims = document.simulations ?? []
  if (!Array.isArray(sims)) return Result.fail(fileError(file, "simulations: expected a list"))
  const files: LayoutFile[] = []
  const seen = new Set<string>()
  for (const [i, sim] of sims.entries()) {
    if (!isObject(sim)) return Result.fail(fileError(file, `simulations[${i}]: expected an object`))
    const bad = badFileId(sim.id)
    if (bad !== null) return Result.fail(fileError(file, `simulations[${i}] cannot have a file in ${SIMULATIONS_DIR}/: ${bad}`))
    const id = sim.id as string
    if (seen.has(id)) return Result.fail(fileError(file, `simulation ${id} appears more than once`))
    seen.add(id)
    files.push({ path: path.join(simsDir, `${id}.json`), text: text(sim) })
  }
  const { simulations: _inline, ...header } = document
  // Spread keeps the index where the header has it (last in τ²'s files), else appends it.
  files.push({ path: file, text: text({ ...header, simulation_index: simulationIndex(sims as PyObject[]) }) })
  return Result.succeed(files)
}

/**
 * Simulation files already in the `simulations/` folder of a dir-layout `target` that `files` (its
 * new content) do not contain: left there they would make the written results unreadable (a file
 * not in the index), so a caller removes them or refuses to write. Always empty for the file layout.
 */
export const strayFiles = (layout: ResultsLayout, target: string, files: ReadonlyArray<LayoutFile>): string[] => {
  if (layout === "file") return []
  const { simsDir } = dirTarget(target)
  if (!isDirectory(simsDir)) return []
  const wanted = new Set(files.map((f) => path.resolve(f.path)))
  return fs
    .readdirSync(simsDir)
    .filter((name) => name.endsWith(".json") && !wanted.has(path.resolve(simsDir, name)))
    .map((name) => path.join(simsDir, name))
    .sort()
}
