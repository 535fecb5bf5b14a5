/** `tau export tau2`: a run written as τ² results, in either of τ²'s layouts. */
import { exportLayout, exportTau2Results, RESULTS_LAYOUTS, resultsFiles, strayFiles, writeTau2Results } from "@tau-sim/interop"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { usage } from "../usage-error.ts"
import { writeFileAtomicStreamed, writeFilesAtomic } from "../write-file.ts"
import { dbFlag, jsonFlag, print, withExistingStore } from "./common.ts"
import { printJsonDocument } from "../json-output.ts"
import { PyJson } from "@tau-sim/engine"
import { namingStore, reportSkipped } from "./store-scan.ts"

const exportTau2 = Command.make(
  "tau2",
  {
    run: Flag.String("run"),
    out: Flag.String("out").pipe(
      Flag.withDescription("The results file (layout file), or the results folder (layout dir); without it the file layout goes to standard output"),
      Flag.optional,
    ),
    layout: Flag.Literals("layout", RESULTS_LAYOUTS).pipe(
      Flag.withDescription(
        "file: one results.json; dir: results.json with the index and simulations/<id>.json (default: the layout an imported run came in, else file)",
      ),
      Flag.optional,
    ),
    db: dbFlag,
    json: jsonFlag.pipe(
      Flag.withDescription("Without --out: the results as one JSON document on one line; with --out: what was written, as one JSON document"),
    ),
  },
  (f) =>
    withExistingStore(
      f.db,
      Effect.gen(function* () {
        // One results file: written a simulation at a time, so a run of thousands of episodes is never held whole
        // (an unknown run is refused first, before anything is created).
        const runLayout = Option.isSome(f.out) ? yield* exportLayout(f.run).pipe(namingStore(f.db)) : "file"
        if (Option.isSome(f.out) && Option.getOrElse(f.layout, () => runLayout) === "file") {
          const out = f.out.value
          const written = yield* writeFileAtomicStreamed(out, (file) => writeTau2Results(f.run, file)).pipe(namingStore(f.db))
          if (f.json) yield* printJsonDocument({ run_id: f.run, out, layout: "file", files: 1, skipped: written.skipped })
          else yield* print(`wrote ${out}`)
          return yield* reportSkipped(written.skipped)
        }
        const exported = yield* exportTau2Results(f.run).pipe(namingStore(f.db))
        const layout = Option.getOrElse(f.layout, () => exported.layout)
        if (Option.isNone(f.out)) {
          if (layout === "dir") return yield* usage("the dir layout is a folder: give it with --out DIR")
          const [file] = yield* Effect.fromResult(resultsFiles(exported.document, "file", "-"))
          // --json: every line of standard output is one JSON value (floats kept as floats).
          process.stdout.write(f.json ? `${PyJson.stringify(exported.document)}\n` : (file?.text ?? ""))
        } else {
          const files = yield* Effect.fromResult(resultsFiles(exported.document, layout, f.out.value))
          // A simulation file of other results left in the folder would not be in the new index: τ² would refuse the folder.
          const strays = strayFiles(layout, f.out.value, files)
          if (strays.length > 0) {
            return yield* usage(
              `${f.out.value} already holds ${strays.length} simulation file${strays.length === 1 ? "" : "s"} that are not of this run (${strays.slice(0, 3).join(", ")}${strays.length > 3 ? ", ..." : ""}): export into an empty folder or remove them`,
            )
          }
          yield* writeFilesAtomic(files)
          if (f.json) yield* printJsonDocument({ run_id: f.run, out: f.out.value, layout, files: files.length, skipped: exported.skipped })
          else yield* print(`wrote ${f.out.value}${layout === "dir" ? ` (dir layout: results.json and ${files.length - 1} simulation files)` : ""}`)
        }
        yield* reportSkipped(exported.skipped)
      }),
    ),
).pipe(Command.withDescription("Export a run as τ² results"))

export const exportCommand = Command.make("export").pipe(Command.withDescription("Export runs for other tools"), Command.withSubcommands([exportTau2]))
