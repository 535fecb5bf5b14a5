/** `tau report`: metrics, mode deltas and charts for a run or an experiment, as a table, Markdown, JSON or HTML. */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Mode } from "@tau-sim/engine"
import { loadComparison, loadReport, REPORT_FORMATS, type ReportFormat, renderReport, viewerBase } from "@tau-sim/reports"
import { MODES } from "@tau-sim/engine"
import { redactText } from "@tau-sim/models"
import { Effect, Option, Result } from "effect"
import { Command, Flag } from "effect/cli"
import { FileWriteError, writeFileAtomic } from "../write-file.ts"
import { dbFlag, jsonFlag, positiveInt, progress, withExistingStore, withShownDefault } from "./common.ts"
import { printJsonDocument } from "../json-output.ts"
import { terminalWidth } from "../table.ts"
import { namingStore, reportSkipped } from "./store-scan.ts"
import { usage } from "../usage-error.ts"

const flags = {
  db: dbFlag,
  json: jsonFlag,
  runs: Flag.String("run").pipe(
    Flag.withDescription(
      "Report a run; more than once, compare the runs (the first is the baseline): pass^k, reward and cost, with paired bootstrap intervals of the differences over the tasks both ran",
    ),
    Flag.atLeast(0),
  ),
  experiment: Flag.String("experiment").pipe(Flag.withDescription("Report every run of an experiment"), Flag.optional),
  format: Flag.Literals("format", REPORT_FORMATS).pipe(withShownDefault("table | md | json | html", "table")),
  out: Flag.String("out").pipe(Flag.withDescription("Write to this file instead of standard output"), Flag.optional),
  baseline: Flag.Literals("baseline-mode", MODES).pipe(Flag.withDescription("Mode the others are compared with"), Flag.optional),
  resamples: positiveInt("bootstrap-resamples").pipe(withShownDefault("Bootstrap resamples behind each interval", 10_000)),
  seed: Flag.Int("bootstrap-seed").pipe(withShownDefault("Seed of the bootstrap resampling", 0)),
  viewerUrl: Flag.String("viewer-url").pipe(
    Flag.withDescription("HTML: link run, episode and task ids to the viewer at this URL (the one tau view printed; its token is left out)"),
    Flag.mapTryCatch(
      (url) => Result.getOrThrowWith(viewerBase(url), (e) => e),
      (e) => (e instanceof Error ? e.message : String(e)),
    ),
    Flag.optional,
  ),
}

export const reportCommand = Command.make("report", flags, (f) =>
  Effect.gen(function* () {
    const experiment = Option.getOrUndefined(f.experiment)
    if ((f.runs.length === 0) === (experiment === undefined)) return yield* usage("give --run ID (more than once to compare runs) or --experiment NAME")
    if (f.json && (f.format === "md" || f.format === "html" || Option.isSome(f.out)))
      return yield* usage("--json prints the report as one JSON document on standard output; for a file give --format json --out FILE")
    const bootstrap = { resamples: f.resamples, seed: f.seed, confidence: 0.95 }
    const report = yield* withExistingStore(
      f.db,
      (f.runs.length > 1
        ? loadComparison(f.runs, { bootstrap })
        : loadReport(experiment === undefined ? { run: f.runs[0] } : { experiment }, {
            bootstrap,
            baselineMode: Option.getOrUndefined(f.baseline) as Mode | undefined,
          })
      ).pipe(namingStore(f.db)),
    )
    // --json: the report model as one document on one line, like every command's --json.
    if (f.json) return yield* printJsonDocument(report).pipe(Effect.andThen(reportSkipped(report.skipped)))
    // Participant specs of stores written before specs were redacted may still carry credentials.
    // Text tables fit the terminal they are printed on, or $COLUMNS (long ids wrap); a file or pipe gets them whole.
    const width = Option.isNone(f.out) ? terminalWidth() : undefined
    const rendered = yield* Effect.promise(() => renderReport(report, f.format as ReportFormat, { width, viewerUrl: Option.getOrUndefined(f.viewerUrl) }))
    const text = redactText(rendered)
    if (Option.isSome(f.out)) {
      const target = f.out.value
      yield* Effect.try({
        try: () => fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true }),
        catch: (e) => new FileWriteError({ path: target, reason: e instanceof Error ? e.message : String(e) }),
      })
      yield* writeFileAtomic(target, text)
      yield* progress(`wrote ${f.format} report to ${target}`)
    } else yield* Effect.sync(() => process.stdout.write(text))
    yield* reportSkipped(report.skipped)
  }),
).pipe(Command.withDescription("Report a run or an experiment, or compare runs (--run A --run B): pass^k, rewards, breakdowns, costs, deltas, charts"))
