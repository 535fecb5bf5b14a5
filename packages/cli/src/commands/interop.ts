/** τ² interop: `tau evaluate-trajs`, `tau import tau2`, `tau export tau2`. */
import { PyJson, type PyValue } from "@tau-sim/engine"
import * as Evaluate from "@tau-sim/evaluators"
import { evaluateResultsFile, exportTau2Results, importTau2Results } from "@tau-sim/interop"
import { Effect, Option, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { writeFileAtomic } from "../write-file.ts"
import { dataDirFlag, dbFlag, jsonFlag, print, printJson, withExistingStore, withStore } from "./common.ts"
import { namingStore, reportSkipped } from "./store-scan.ts"
import { usage } from "../usage-error.ts"

const dataDir = dataDirFlag

const judgeFor = (spec: string) =>
  spec === "scripted:all-met" ? Effect.succeed(Evaluate.scriptedAllMetJudge) : Effect.fail(usage(`unknown NL judge "${spec}" (offline: scripted:all-met)`))

export const evaluateTrajsCommand = Command.make(
  "evaluate-trajs",
  {
    files: Argument.String("results").pipe(Argument.variadic()),
    dataDir,
    freshTasks: Flag.Boolean("fresh-tasks").pipe(Flag.withDescription("Use the tasks from --data-dir instead of the embedded ones"), Flag.withDefault(false)),
    nlJudge: Flag.String("nl-judge").pipe(Flag.withDefault("scripted:all-met")),
    json: jsonFlag,
  },
  (f) =>
    Effect.gen(function* () {
      const judge = yield* judgeFor(f.nlJudge)
      const rows: Array<[string, string, unknown, string]> = []
      for (const file of f.files) {
        // Each score as soon as it is evaluated (--json streams one line per simulation).
        yield* evaluateResultsFile(file, { dataDir: Option.getOrNull(f.dataDir), freshTasks: f.freshTasks, nlJudge: judge }).pipe(
          Stream.runForEach((s) =>
            Effect.sync(() => {
              if (f.json) process.stdout.write(`${JSON.stringify(PyJson.toPlain(s as unknown as PyValue))}\n`)
              rows.push([s.simulation_id, s.task_id, s.trial, s.error ? `error: ${s.error}` : fmtReward(s.reward)])
            }),
          ),
        )
      }
      if (!f.json) yield* print(table(["simulation", "task", "trial", "reward"], rows))
    }),
).pipe(Command.withDescription("Score the simulations of τ² results files without storing anything"))

const importTau2 = Command.make("tau2", { file: Argument.String("results"), dataDir, db: dbFlag, json: jsonFlag }, (f) =>
  withStore(
    f.db,
    Effect.gen(function* () {
      const summary = yield* importTau2Results(f.file, Option.getOrNull(f.dataDir))
      if (f.json) yield* printJson(summary)
      else {
        const repaired = summary.scores_repaired > 0 ? ` (${summary.scores_repaired} of them lacked their tau2-original score and got it now)` : ""
        const already = summary.already_present > 0 ? `; ${summary.already_present} were already there${repaired}` : ""
        yield* print(`imported ${summary.episodes} of ${summary.simulations} simulations of ${summary.domain} as run ${summary.run_id}${already}`)
      }
    }),
  ),
).pipe(Command.withDescription("Import a τ² results file as a run"))

const exportTau2 = Command.make("tau2", { run: Flag.String("run"), out: Flag.String("out").pipe(Flag.optional), db: dbFlag }, (f) =>
  withExistingStore(
    f.db,
    Effect.gen(function* () {
      const { document, skipped } = yield* exportTau2Results(f.run).pipe(namingStore(f.db))
      const text = `${PyJson.dumps(document)}\n`
      if (Option.isSome(f.out)) {
        yield* writeFileAtomic(f.out.value, text)
        yield* print(`wrote ${f.out.value}`)
      } else process.stdout.write(text)
      yield* reportSkipped(skipped)
    }),
  ),
).pipe(Command.withDescription("Export a run as a τ² results file"))

export const importCommand = Command.make("import").pipe(Command.withDescription("Import results from other tools"), Command.withSubcommands([importTau2]))
export const exportCommand = Command.make("export").pipe(Command.withDescription("Export runs for other tools"), Command.withSubcommands([exportTau2]))
