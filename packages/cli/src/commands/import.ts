/** `tau import tau2`: τ² results (a results file, or the dir layout's folder or results.json) stored as a run. */
import { importTau2Results } from "@tau-sim/interop"
import { Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { dataDirFlag, dbFlag, jsonFlag, print, printJson, withStore } from "./common.ts"

const importTau2 = Command.make(
  "tau2",
  {
    file: Argument.String("results").pipe(
      Argument.withDescription("A τ² results file, or a results folder (results.json and, in the dir layout, simulations/)"),
    ),
    dataDir: dataDirFlag,
    db: dbFlag,
    json: jsonFlag,
  },
  (f) =>
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
).pipe(Command.withDescription("Import τ² results (either layout) as a run"))

export const importCommand = Command.make("import").pipe(Command.withDescription("Import results from other tools"), Command.withSubcommands([importTau2]))
