/** `tau report`: metrics, mode deltas and charts for a run or an experiment, as a table, Markdown, JSON or HTML. */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Mode } from "@tau-sim/engine"
import { loadReport, REPORT_FORMATS, type ReportFormat, renderReport, viewerBase } from "@tau-sim/reports"
import { MODES } from "@tau-sim/engine"
import { redactText } from "@tau-sim/models"
import { Effect, Option, Result } from "effect"
import { Command, Flag } from "effect/cli"
import { FileWriteError, writeFileAtomic } from "../write-file.ts"
import { dbFlag, positiveInt, progress, withExistingStore, withShownDefault } from "./common.ts"
import { namingStore, reportSkipped } from "./store-scan.ts"
import { usage } from "../usage-error.ts"

const flags = {
  db: dbFlag,
  run: Flag.String("run").pipe(Flag.withDescription("Report one run"), Flag.optional),
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
    const run = Option.getOrUndefined(f.run)
    const experiment = Option.getOrUndefined(f.experiment)
    if ((run === undefined) === (experiment === undefined)) return yield* usage("give exactly one of --run ID or --experiment NAME")
    const report = yield* withExistingStore(
      f.db,
      loadReport(run !== undefined ? { run } : { experiment: experiment as string }, {
        bootstrap: { resamples: f.resamples, seed: f.seed, confidence: 0.95 },
        baselineMode: Option.getOrUndefined(f.baseline) as Mode | undefined,
      }).pipe(namingStore(f.db)),
    )
    // Participant specs of stores written before specs were redacted may still carry credentials.
    // Text tables fit the terminal they are printed on, or $COLUMNS (long ids wrap); a file or pipe gets them whole.
    const columns = Number(process.env.COLUMNS)
    const width = Number.isInteger(columns) && columns > 0 ? columns : Option.isNone(f.out) && process.stdout.isTTY ? process.stdout.columns : undefined
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
).pipe(Command.withDescription("Report a run or an experiment: pass^k, rewards, breakdowns, costs, mode deltas, charts"))
