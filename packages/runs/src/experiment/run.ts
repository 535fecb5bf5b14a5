/**
 * Running an experiment: every cell is one run with a deterministic id, executed (or resumed) by
 * `executeRunUnits`. Re-running the same file skips finished episodes and continues unfinished ones.
 */
import { type Domain, DomainResolver, EventStore, nowIso } from "@tau-sim/engine"
import { Effect, Schema } from "effect"
import {
  type CellRunConfig,
  decodeRunConfig,
  describeKind,
  encodeRunConfig,
  identityDifferences,
  mergePricing,
  runIdentity,
  type RunPricing,
  type StoredRunConfig,
  withCanonicalTasksHash,
} from "../run-config.ts"
import { type EpisodeSummary, executeRunUnits, type RunConfig, storedRunConfig } from "../run.ts"
import { cellInfo, cellRunConfig, type ExperimentCell, type ExperimentPlan } from "./plan.ts"

/** The file changed a setting that the stored runs of the experiment were made with. */
export class ExperimentConflictError extends Schema.TaggedError<ExperimentConflictError>()("ExperimentConflictError", {
  experiment: Schema.String,
  runId: Schema.String,
  key: Schema.String,
  stored: Schema.String,
  requested: Schema.String,
}) {
  override get message(): string {
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

export interface ExperimentRunOptions<E = never, R = never> {
  /** The prices a cell's model calls are costed with, recorded with its run (undefined: none to record, e.g. offline participants). */
  readonly pricing?: (cell: ExperimentCell) => RunPricing | undefined
  /** Plays a cell's units once its run is created and checked (default: here, `executeRunUnits`; `--distributed`: on a cluster). */
  readonly executeUnits?: (config: RunConfig, domain: Domain, onEpisode: (s: EpisodeSummary) => void) => Effect.Effect<ReadonlyArray<EpisodeSummary>, E, R>
}

/** An experiment may grow (more trials, other tasks) under the same cells; nothing else may change. */
const GROWABLE = ["trials", "taskIds", "hashes.tasks"]

/** Identity fields by the experiment file's key that sets them. */
const FILE_KEYS: Readonly<Record<string, string>> = {
  seed: "seed",
  maxSteps: "max_steps",
  maxErrors: "max_errors",
  episodeTimeoutMs: "episode_timeout",
  policyVariant: "policy variant",
}
const fileKey = (field: string) => FILE_KEYS[field] ?? (field.startsWith("hashes.") ? `${field.slice(7)} data hash` : field)

const conflictOf = (plan: ExperimentPlan, runId: string, stored: StoredRunConfig, requested: CellRunConfig, domain: Domain): ExperimentConflictError | null => {
  const experiment = plan.spec.name
  if (stored.kind !== "cell" && stored.kind !== "run") {
    return new ExperimentConflictError({ experiment, runId, key: "kind", stored: describeKind(stored), requested: "an experiment cell" })
  }
  if ((stored.experiment ?? null) !== experiment) {
    return new ExperimentConflictError({ experiment, runId, key: "experiment", stored: String(stored.experiment ?? null), requested: experiment })
  }
  const diffs = identityDifferences(runIdentity(withCanonicalTasksHash(stored, domain)), runIdentity(requested), GROWABLE)
  if (diffs.length === 0) return null
  return new ExperimentConflictError({
    experiment,
    runId,
    key: diffs.map((d) => fileKey(d.field)).join(", "),
    stored: diffs.map((d) => d.stored).join(", "),
    requested: diffs.map((d) => d.requested).join(", "),
  })
}

const runCell = <E, R>(plan: ExperimentPlan, cell: ExperimentCell, hooks: ExperimentHooks, options: ExperimentRunOptions<E, R>) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const pricing = options.pricing?.(cell)
    const config = { ...cellRunConfig(plan.spec, cell), ...(pricing ? { pricing } : {}) }
    const domain = yield* (yield* DomainResolver).resolve(config)
    const record: CellRunConfig = { ...storedRunConfig(config, domain), kind: "cell", cell: cellInfo(plan.spec, cell) }
    // Created before any episode so that a killed run is found.
    const { created, run } = yield* store.createRun({
      runId: cell.runId,
      createdAt: yield* nowIso,
      config: encodeRunConfig(record),
      experiment: plan.spec.name,
    })
    if (!created) {
      const stored = yield* decodeRunConfig(run)
      const conflict = conflictOf(plan, cell.runId, stored, record, domain)
      if (conflict) return yield* conflict
      // Prices recorded before stay, under the ones given now.
      const storedPricing = stored.kind === "import" ? undefined : stored.pricing
      const kept = pricing ? mergePricing(storedPricing, pricing) : storedPricing
      const encoded = encodeRunConfig(kept ? { ...record, pricing: kept } : record)
      // Grown (trials, tasks), recorded before hashes were, or priced anew: the run now says what it covers.
      if (JSON.stringify(run.config) !== JSON.stringify(encoded)) {
        yield* store.putRun({ runId: cell.runId, createdAt: run.createdAt, config: encoded, experiment: plan.spec.name })
      }
    }
    hooks.onCellStart?.(cell, config.taskIds.length * config.trials)
    // The run is created and checked above: its units run on the domain already loaded.
    const onEpisode = (s: EpisodeSummary) => hooks.onEpisode?.(cell, s)
    const summaries = yield* options.executeUnits ? options.executeUnits(config, domain, onEpisode) : executeRunUnits(config, domain, onEpisode)
    const outcome: CellOutcome = { cell, episodes: summaries, ran: summaries.filter((s) => s.ran).length }
    hooks.onCellEnd?.(outcome)
    return outcome
  })

/** Runs every cell in order (episodes of a cell run concurrently up to `max_concurrency`). */
export const runExperiment = <E = never, R = never>(plan: ExperimentPlan, hooks: ExperimentHooks = {}, options: ExperimentRunOptions<E, R> = {}) =>
  Effect.gen(function* () {
    const outcomes: CellOutcome[] = []
    for (const cell of plan.cells) outcomes.push(yield* runCell(plan, cell, hooks, options))
    return outcomes
  })
