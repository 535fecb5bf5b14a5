/** Building a report straight from the store, for one run or a whole experiment. */
import type { Mode } from "@tau-sim/engine"
import { Effect } from "effect"
import { requireRun, type SkippedEpisode } from "@tau-sim/replay"
import { buildReport, type Report } from "./build.ts"
import { collectExperiment, collectRun, counterfactualParentOf, type ReportRun } from "./collect.ts"
import type { BootstrapOptions } from "./stats.ts"

export type ReportSource = { readonly run: string } | { readonly experiment: string }

export interface LoadReportOptions {
  readonly bootstrap?: BootstrapOptions
  /** Undefined: the baseline mode stored with the experiment. */
  readonly baselineMode?: Mode | undefined
}

/** A report and the episodes it had to leave out because they cannot be read. */
export type LoadedReport = Report & { readonly skipped: ReadonlyArray<SkippedEpisode> }

const skippedIn = (runs: ReadonlyArray<ReportRun>): ReadonlyArray<SkippedEpisode> => runs.flatMap((r) => r.skipped)

export const loadReport = (source: ReportSource, options: LoadReportOptions = {}) =>
  Effect.gen(function* () {
    if ("experiment" in source) {
      const runs = yield* collectExperiment(source.experiment)
      const report = buildReport(runs, { kind: "experiment", title: source.experiment, ...options })
      return { ...report, skipped: skippedIn(runs) } satisfies LoadedReport
    }
    yield* requireRun(source.run)
    const run = yield* collectRun(source.run)
    const parentId = counterfactualParentOf(run.run)
    const parents = parentId === null ? undefined : yield* collectRun(parentId)
    const report = buildReport([run], { kind: "run", title: source.run, ...(parents && { parents }), ...options })
    return { ...report, skipped: skippedIn(parents === undefined ? [run] : [run, parents]) } satisfies LoadedReport
  })
