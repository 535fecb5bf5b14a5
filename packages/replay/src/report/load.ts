/** Building a report straight from the store, for one run or a whole experiment. */
import type { Mode } from "@tau-sim/engine"
import { Effect } from "effect"
import { buildReport, type Report } from "./build.ts"
import { collectExperiment, collectRun, counterfactualParentOf } from "./collect.ts"
import type { BootstrapOptions } from "./stats.ts"

export type ReportSource = { readonly run: string } | { readonly experiment: string }

export interface LoadReportOptions {
  readonly bootstrap?: BootstrapOptions
  readonly baselineMode?: Mode
}

export const loadReport = (source: ReportSource, options: LoadReportOptions = {}) =>
  Effect.gen(function* () {
    if ("experiment" in source) {
      const runs = yield* collectExperiment(source.experiment)
      return buildReport(runs, { kind: "experiment", title: source.experiment, ...options }) satisfies Report
    }
    const run = yield* collectRun(source.run)
    const parentId = counterfactualParentOf(run.run)
    const parents = parentId === null ? undefined : yield* collectRun(parentId)
    return buildReport([run], { kind: "run", title: source.run, parents, ...options }) satisfies Report
  })
