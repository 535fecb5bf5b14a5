/** Building a report straight from the store, for one run or a whole experiment. */
import { DomainResolver, type Mode } from "@tau-sim/engine"
import { Effect, Option } from "effect"
import { requireRun, type SkippedEpisode } from "@tau-sim/replay"
import { readCritical } from "@tau-sim/runs"
import { buildReport, type CriticalReport, type Report } from "./build.ts"
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

/** The analysis without its samples (they are the run's episodes, in the report's other tables). */
const criticalReportOf = ({ samples: _, ...analysis }: CriticalReport & { readonly samples: unknown }): CriticalReport => analysis

/**
 * A critical-turn analysis read for the report: its turns are the analysed episode's, rebuilt with
 * its domain, so only where domains can be resolved (the CLI); elsewhere the report has no such part.
 */
const criticalOf = (runId: string) =>
  Effect.gen(function* () {
    const domains = yield* Effect.serviceOption(DomainResolver)
    if (Option.isNone(domains)) return undefined
    return [criticalReportOf(yield* readCritical(runId).pipe(Effect.provideService(DomainResolver, domains.value)))]
  })

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
    const critical = run.run.config.kind === "critical" ? yield* criticalOf(source.run) : undefined
    const report = buildReport([run], { kind: "run", title: source.run, ...(parents && { parents }), ...(critical && { critical }), ...options })
    return { ...report, skipped: skippedIn(parents === undefined ? [run] : [run, parents]) } satisfies LoadedReport
  })
