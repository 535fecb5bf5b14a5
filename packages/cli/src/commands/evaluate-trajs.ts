/** `tau evaluate-trajs`: scores τ² results files without storing anything. */
import { PyJson, type PyValue } from "@tau-sim/engine"
import { evaluateResultsFile } from "@tau-sim/interop"
import { Effect, Option, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { judgeFor, nlJudgeFlag } from "./nl-judge.ts"
import { dataDirFlag, jsonFlag, print } from "./common.ts"

export const evaluateTrajsCommand = Command.make(
  "evaluate-trajs",
  {
    files: Argument.String("results").pipe(Argument.variadic()),
    dataDir: dataDirFlag,
    freshTasks: Flag.Boolean("fresh-tasks").pipe(Flag.withDescription("Use the tasks from --data-dir instead of the embedded ones"), Flag.withDefault(false)),
    nlJudge: nlJudgeFlag,
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
