/**
 * Running an experiment: every cell is one run with a deterministic id, executed (or resumed) by
 * `runEpisodes`. Re-running the same file skips finished episodes and continues unfinished ones.
 */
import { EventStore, type RunRecord } from "@tau-sim/engine"
import { Effect, Schema } from "effect"
import { type EpisodeSummary, runEpisodes } from "../run.ts"
import { cellInfo, cellRunConfig, type ExperimentCell, type ExperimentPlan } from "./plan.ts"

/** The file changed a setting that the stored runs of the experiment were made with. */
export class ExperimentConflictError extends Schema.TaggedError<ExperimentConflictError>()("ExperimentConflictError", {
  experiment: Schema.String,
  runId: Schema.String,
  key: Schema.String,
  stored: Schema.String,
  requested: Schema.String,
}) {
  get message(): string {
    return (
      `experiment ${this.experiment}: run ${this.runId} was made with ${this.key} = ${this.stored}, the file now says ${this.requested}; ` +
      `restore the setting or give the experiment a new name`
    )
  }
}

export interface CellOutcome {
  readonly cell: ExperimentCell
  readonly episodes: ReadonlyArray<EpisodeSummary>
  /** Episodes this invocation ran or scored (the rest were already finished and scored). */
  readonly ran: number
}

export interface ExperimentHooks {
  readonly onCellStart?: (cell: ExperimentCell, total: number) => void
  readonly onEpisode?: (cell: ExperimentCell, summary: EpisodeSummary) => void
  readonly onCellEnd?: (outcome: CellOutcome) => void
}

/** Settings that define what a cell's episodes mean; changing them under the same run would mix two experiments. */
const FIXED_KEYS = [
  ["seed", "seed"],
  ["maxSteps", "max_steps"],
  ["maxErrors", "max_errors"],
  ["policyVariant", "policy variant"],
] as const

const checkStoredRun = (plan: ExperimentPlan, stored: RunRecord, config: Readonly<Record<string, unknown>>) => {
  if (stored.experiment !== plan.spec.name) {
    return new ExperimentConflictError({
      experiment: plan.spec.name,
      runId: stored.runId,
      key: "experiment",
      stored: String(stored.experiment),
      requested: plan.spec.name,
    })
  }
  for (const [field, key] of FIXED_KEYS) {
    if (stored.config[field] !== undefined && stored.config[field] !== config[field]) {
      return new ExperimentConflictError({
        experiment: plan.spec.name,
        runId: stored.runId,
        key,
        stored: String(stored.config[field]),
        requested: String(config[field]),
      })
    }
  }
  return null
}

const runCell = (plan: ExperimentPlan, cell: ExperimentCell, hooks: ExperimentHooks) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const config = cellRunConfig(plan.spec, cell)
    const stored = yield* store.getRun(cell.runId)
    const record = { ...config, cell: cellInfo(plan.spec, cell) } as unknown as Record<string, unknown>
    if (stored) {
      const conflict = checkStoredRun(plan, stored, record)
      if (conflict) return yield* conflict
    }
    // Written before any episode so that a killed run is found, and updated when trials or tasks grow.
    yield* store.putRun({
      runId: cell.runId,
      createdAt: stored?.createdAt ?? new Date().toISOString(),
      config: record,
      experiment: plan.spec.name,
    })
    hooks.onCellStart?.(cell, config.taskIds.length * config.trials)
    const summaries = yield* runEpisodes(config, (s) => hooks.onEpisode?.(cell, s))
    const outcome: CellOutcome = { cell, episodes: summaries, ran: summaries.filter((s) => s.ran).length }
    hooks.onCellEnd?.(outcome)
    return outcome
  })

/** Runs every cell in order (episodes of a cell run concurrently up to `max_concurrency`). */
export const runExperiment = (plan: ExperimentPlan, hooks: ExperimentHooks = {}) =>
  Effect.gen(function* () {
    const outcomes: CellOutcome[] = []
    for (const cell of plan.cells) outcomes.push(yield* runCell(plan, cell, hooks))
    return outcomes
  })
