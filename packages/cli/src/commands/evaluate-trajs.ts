/**
 * `tau evaluate-trajs`: scores τ² results (files and folders, either layout) without storing
 * anything, prints each simulation's score and then the reference's summary per input (average
 * reward, pass^k, termination reasons), and with `--out` writes the re-scored results in the
 * input's layout.
 *
 * `--json`: one line per simulation, `{"type": "episode", "episode_id", "task_id", "trial", "reward",
 * "reward_info", "error"?}` (the simulation's id as the episode id), then one line per input
 * `{"type": "summary", "results": <input>, ..., "pass_hat_k"}` (`ResultsSummary`), after every simulation line.
 *
 * `--out`: with one input, the output itself (a file for a results file, a folder or its
 * results.json for the dir layout); with several, a folder receiving `<name>.json` (file layout)
 * or `<name>/` (dir layout) per input, `<name>` being the results file's name without `.json`, or
 * the folder's name for a folder or a `results.json`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { PyJson } from "@tau-sim/engine"
import {
  evaluateResults,
  expandResultsPaths,
  RESULTS_JSON,
  type ResultsLayout,
  type ResultsSummary,
  rescoredDocument,
  resultsFiles,
  strayFiles,
  summarizeScores,
  type TrajectoryScore,
} from "@tau-sim/interop"
import { Effect, Option, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { usage } from "../usage-error.ts"
import { writeFilesAtomic } from "../write-file.ts"
import { dataDirFlag, jsonFlag, print, progress } from "./common.ts"
import { judgeFor, nlJudgeFlag } from "./nl-judge.ts"

const isDirectory = (p: string) => fs.existsSync(p) && fs.statSync(p).isDirectory()

/** The name an input's output gets in a `--out` folder of several. */
const outputName = (input: string): string => {
  const base = path.basename(path.resolve(input))
  if (isDirectory(input) || base === RESULTS_JSON) return path.basename(isDirectory(input) ? path.resolve(input) : path.dirname(path.resolve(input)))
  return base.endsWith(".json") ? base.slice(0, -".json".length) : base
}

/** Where each input's re-scored results go, or a usage error (a folder for a file, two inputs with one name). */
const outputTargets = (out: string, inputs: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (inputs.length === 1) return (_layout: ResultsLayout, _input: string) => out
    if (fs.existsSync(out) && !isDirectory(out))
      return yield* usage(`--out ${out}: with several results it is a folder receiving one output per input, and this is a file`)
    const byName = new Map<string, string[]>()
    for (const input of inputs) byName.set(outputName(input), [...(byName.get(outputName(input)) ?? []), input])
    const clashes = [...byName.entries()].filter(([, xs]) => xs.length > 1)
    if (clashes.length > 0) {
      return yield* usage(`--out ${out}: these inputs would be written to the same name: ${clashes.map(([n, xs]) => `${n} (${xs.join(", ")})`).join("; ")}`)
    }
    return (layout: ResultsLayout, input: string) => path.join(out, layout === "file" ? `${outputName(input)}.json` : outputName(input))
  })

const fmtRate = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(3))

/** The summary as the reference's evaluate-trajs prints its metrics (reward to 4 places, pass^k to 3). */
const summaryText = (s: ResultsSummary): string => {
  const excluded = s.infrastructure_errors > 0 ? ` (${s.infrastructure_errors} infrastructure_error, left out of the metrics)` : ""
  const unscored = s.unscored > 0 ? [["not scored", `${s.unscored} (failures for pass^k, not in the average reward)`]] : []
  const ks = Object.keys(s.pass_hat_ks)
    .map(Number)
    .sort((a, b) => a - b)
  const rows: Array<[string, string]> = [
    ["average reward", s.avg_reward.toFixed(4)],
    ...ks.map((k): [string, string] => [`pass^${k}`, fmtRate(s.pass_hat_ks[k])]),
    ["average agent cost", s.avg_agent_cost === null ? "unknown (no agent cost recorded)" : `$${s.avg_agent_cost.toFixed(4)}`],
    [
      "termination",
      Object.entries(s.termination_reasons)
        .map(([r, n]) => `${r} ${n}`)
        .join(", ") || "-",
    ],
    ...(unscored as Array<[string, string]>),
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  return [
    `${s.results} (${s.layout} layout): ${s.simulations} simulations of ${s.tasks} tasks${excluded}`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
  ].join("\n")
}

export const evaluateTrajsCommand = Command.make(
  "evaluate-trajs",
  {
    files: Argument.String("results").pipe(
      Argument.withDescription("τ² results: files, results folders (either layout), or folders of results"),
      Argument.variadic({ min: 1 }),
    ),
    dataDir: dataDirFlag,
    freshTasks: Flag.Boolean("fresh-tasks").pipe(Flag.withDescription("Use the tasks from --data-dir instead of the embedded ones"), Flag.withDefault(false)),
    nlJudge: nlJudgeFlag,
    out: Flag.String("out").pipe(
      Flag.withDescription("Write the re-scored results in the input's layout (several inputs: a folder receiving one per input)"),
      Flag.optional,
    ),
    json: jsonFlag,
  },
  (f) =>
    Effect.gen(function* () {
      const judge = yield* judgeFor(f.nlJudge)
      const inputs = yield* expandResultsPaths(f.files)
      const targetOf = Option.isSome(f.out) ? yield* outputTargets(f.out.value, inputs) : null
      const summaries: ResultsSummary[] = []
      for (const input of inputs) {
        const evaluated = yield* evaluateResults(input, { dataDir: Option.getOrNull(f.dataDir), freshTasks: f.freshTasks, nlJudge: judge })
        if (evaluated.tasksNotFresh.length > 0) {
          yield* progress(
            `warning: ${input}: ${evaluated.tasksNotFresh.length} task(s) not in the data folder keep their embedded definitions: ${evaluated.tasksNotFresh.join(", ")}`,
          )
        }
        const scores: TrajectoryScore[] = []
        // Each score as soon as it is evaluated (--json streams one line per simulation).
        yield* evaluated.scores.pipe(
          Stream.runForEach((s) =>
            Effect.sync(() => {
              if (f.json) {
                // In the vocabulary's names: a simulation of the results is an episode (an import stores it under this id).
                // Python floats as the floats they are (`1.0`), as every --json prints them.
                const { simulation_id, ...rest } = s
                process.stdout.write(`${PyJson.stringify({ type: "episode", episode_id: simulation_id, ...rest })}\n`)
              }
              scores.push(s)
            }),
          ),
        )
        const summary = summarizeScores(input, evaluated.results, scores)
        summaries.push(summary)
        if (!f.json) {
          yield* print(
            table(
              ["simulation", "task", "trial", "reward"],
              scores.map((s) => [s.simulation_id, s.task_id, s.trial, s.error ? `error: ${s.error}` : fmtReward(s.reward)]),
            ),
          )
          yield* print(`\n${summaryText(summary)}\n`)
        }
        if (targetOf !== null) {
          const layout = evaluated.results.layout
          const target = targetOf(layout, input)
          if (layout === "file" && (isDirectory(target) || target.endsWith(path.sep))) {
            return yield* usage(`--out ${target}: ${input} is a results file, so its re-scored results are a file, and this is a folder`)
          }
          const document = yield* Effect.fromResult(rescoredDocument(evaluated, scores))
          const files = yield* Effect.fromResult(resultsFiles(document, layout, target))
          const strays = strayFiles(layout, target, files)
          if (strays.length > 0) {
            return yield* usage(
              `--out ${target}: its ${path.basename(path.dirname(strays[0] ?? ""))}/ folder holds ${strays.length} simulation file(s) these results do not have (${strays.map((s) => path.basename(s)).join(", ")}); give an empty or new folder`,
            )
          }
          yield* writeFilesAtomic(files)
          yield* (f.json ? progress : print)(`wrote ${target} (${layout} layout)`)
        }
      }
      // After every simulation line, so a consumer of the per-simulation lines can stop at the first line with a "type".
      if (f.json) for (const { pass_hat_ks, ...s } of summaries) process.stdout.write(`${JSON.stringify({ ...s, pass_hat_k: pass_hat_ks })}\n`)
    }),
).pipe(Command.withDescription("Score the simulations of τ² results (files or folders, either layout) without storing anything; --out writes them re-scored"))
