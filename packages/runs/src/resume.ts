/**
 * `--resume` of any run: the stored configuration says what the run is, and each kind continues
 * its own way. Plain runs and experiment cells run their missing units; the forks of a run and a
 * counterfactual batch continue their unfinished branches from their last stored event (and score
 * the ones that ended unscored); an import is finished by importing its file again.
 */
import * as path from "node:path"
import { type EpisodeRow, EventStore } from "@tau-sim/engine"
import { movedDomainRef } from "@tau-sim/domains"
import { Effect, Schema } from "effect"
import { type CriticalSample, runCritical } from "./critical.ts"
import { type BranchOutcome, runCounterfactual } from "./experiment/counterfactual.ts"
import { episodeLease, runLease, withLease } from "./lease.ts"
import { resumeEpisode } from "./lifecycle.ts"
import { decodeRunConfig, RUN_DEFAULTS, type RunPricing, type StoredRunConfig } from "./run-config.ts"
import { recordRunPricing } from "./run-pricing.ts"
import { requireRun } from "@tau-sim/replay"
import { type EpisodeSummary, executeRun } from "./run.ts"

/** An imported run is finished by the importer, which stores exactly what is missing. */
export class ImportNotResumable extends Schema.TaggedError<ImportNotResumable>()("ImportNotResumable", {
  runId: Schema.String,
  file: Schema.String,
  dataDir: Schema.NullOr(Schema.String),
}) {
  override get message(): string {
    const dataDir = this.dataDir ? ` --data-dir ${this.dataDir}` : ""
    return `run ${this.runId} is an import of ${this.file}; finish it by importing the file again (what is stored is kept, what is missing is added): tau import tau2 ${this.file}${dataDir}`
  }
}

export interface ResumeOptions {
  /** Where the store is (named in messages). */
  readonly store: string
  /** Overrides the stored concurrency (how a process runs, not what the run is); undefined: the stored one. */
  readonly maxConcurrency?: number | undefined
  /** Where the data of a plain run or cell is now (moved; the run's hashes must still match); undefined: where it was. */
  readonly dataDir?: string | undefined
  /** Where the domain of a plain run or cell given by path is now (moved; the run's hashes must still match); new episodes record it. */
  readonly domain?: string | undefined
  readonly onEpisode?: (summary: EpisodeSummary) => void
  /** Plain runs and cells: told of each unit already finished, not played again (`RunUnitsOptions.onSkipped`). */
  readonly onSkipped?: ((summary: EpisodeSummary) => void) | undefined
  /** The prices this process costs model calls with, recorded over the run's own (undefined: none to record). */
  readonly pricing?: RunPricing | undefined
  /** Plain runs and cells: try again the units whose latest attempt ended with `infrastructure_error` (`RunUnitsOptions`). */
  readonly retryErrors?: boolean | undefined
  /** Overrides the stored attempt limit for this process (like concurrency, not what the run is); undefined: the stored one. */
  readonly maxAttempts?: number | undefined
}

export interface ResumeResult {
  readonly config: StoredRunConfig
  readonly summaries: ReadonlyArray<EpisodeSummary>
}

export const resumeRun = (runId: string, options: ResumeOptions) =>
  Effect.gen(function* () {
    const onEpisode = options.onEpisode ?? (() => {})
    const config = yield* decodeRunConfig(yield* requireRun(runId, options.store))
    switch (config.kind) {
      case "run":
      case "cell": {
        const { kind: _kind, ...runConfig } = config
        const summaries = yield* executeRun(
          {
            ...runConfig,
            maxConcurrency: options.maxConcurrency ?? runConfig.maxConcurrency,
            dataDir: options.dataDir === undefined ? runConfig.dataDir : path.resolve(options.dataDir),
            domain: options.domain === undefined ? runConfig.domain : movedDomainRef(runConfig.domain, options.domain),
            ...(options.pricing ? { pricing: options.pricing } : {}),
            ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
          },
          onEpisode,
          { retryErrors: options.retryErrors ?? false, ...(options.onSkipped ? { onSkipped: options.onSkipped } : {}) },
        )
        return { config, summaries } satisfies ResumeResult
      }
      case "forks":
        if (options.pricing) yield* recordRunPricing(runId, options.pricing)
        return { config, summaries: yield* continueBranches(runId, options.maxConcurrency ?? RUN_DEFAULTS.maxConcurrency, onEpisode) } satisfies ResumeResult
      case "counterfactual": {
        if (options.pricing) yield* recordRunPricing(runId, options.pricing)
        const toSummary = (b: BranchOutcome): EpisodeSummary | null =>
          b.episode_id === null
            ? null
            : {
                run_id: runId,
                episode_id: b.episode_id,
                task_id: b.task_id,
                trial: b.trial,
                termination_reason: b.termination_reason ?? "unknown",
                reward: b.reward,
                ran: b.ran,
              }
        const batch = yield* runCounterfactual(
          {
            runId: config.counterfactual_of,
            at: config.at,
            agent: config.agent ?? undefined,
            user: config.user ?? undefined,
            mode: config.mode ?? undefined,
            maxConcurrency: options.maxConcurrency,
          },
          (b) => {
            const s = toSummary(b)
            if (s?.ran) onEpisode(s)
          },
        )
        const summaries = batch.branches.flatMap((b) => toSummary(b) ?? [])
        return { config, summaries } satisfies ResumeResult
      }
      case "critical": {
        const result = yield* runCritical(
          {
            episodeId: config.critical_of,
            samples: config.samples,
            agent: config.agent ?? undefined,
            user: config.user ?? undefined,
            turns: config.turns ?? undefined,
            earlyStop: config.early_stop,
            adaptive: config.adaptive,
            maxSamples: config.max_samples,
            budgetUsd: config.budget_usd,
            dataDir: config.data_dir,
            maxConcurrency: options.maxConcurrency,
            pricing: options.pricing,
          },
          (s) => {
            if (s.ran) onEpisode(criticalSummary(runId, s))
          },
        )
        return { config, summaries: result.samples.map((s) => criticalSummary(runId, s)) } satisfies ResumeResult
      }
      case "import":
        return yield* new ImportNotResumable({ runId, file: config.file, dataDir: config.dataDir ?? null })
    }
  })

/** A critical-turn sample as a run's episode (its trial is its index among the samples of its turn). */
const criticalSummary = (runId: string, s: CriticalSample): EpisodeSummary => ({
  run_id: runId,
  episode_id: s.episode_id,
  task_id: s.task_id,
  trial: s.index,
  termination_reason: s.termination_reason,
  reward: s.reward,
  ran: s.ran,
})

/** Every episode of the run that is not finished and scored, continued with the participants it started with. */
const continueBranches = (runId: string, concurrency: number, onEpisode: (s: EpisodeSummary) => void) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const rows = yield* store.listEpisodes({ runId })
    return yield* Effect.forEach(
      rows,
      (row: EpisodeRow) =>
        Effect.gen(function* () {
          const summary = (reason: string | null, reward: number | null, ran: boolean): EpisodeSummary => ({
            run_id: runId,
            episode_id: row.episodeId,
            task_id: row.taskId,
            trial: row.trial,
            termination_reason: reason ?? "unknown",
            reward,
            ran,
          })
          if (row.status === "ended" && (yield* store.listScores(row.episodeId)).length > 0) return summary(row.terminationReason, row.reward, false)
          const done = yield* resumeEpisode(row.episodeId).pipe(withLease(episodeLease(row.episodeId)))
          const s = summary(done.state.ended, done.reward, true)
          onEpisode(s)
          return s
        }),
      { concurrency },
    )
  }).pipe(withLease(runLease(runId)))
