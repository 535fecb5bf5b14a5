/**
 * `--distributed` and `--follow` of `tau run` and `tau experiment` (issue 17, ADR 0009): the same
 * command, with the episodes played by the `tau worker` runners of a cluster on the Postgres store
 * instead of here. The cluster's package (and effect/cluster) is imported only then.
 */
import { isPostgresUrl } from "@tau-sim/store-pg/url"
import type { BadShardCount, executeRunOnCluster, RunOnCluster } from "@tau-sim/cluster"
import {
  decodeRunConfig,
  describeKind,
  type EpisodeSummary,
  executeRun,
  RUN_DEFAULTS,
  type ResumeOptions,
  type ResumeResult,
  resumeRun,
  type RunConfig,
  type RunUnitsOptions,
} from "@tau-sim/runs"
import { requireRun } from "@tau-sim/replay"
import * as path from "node:path"
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"
import type { SqlError } from "effect/sql/SqlError"
import { type UsageError, usage } from "../usage-error.ts"
import { SCRIPTED_NL_JUDGE } from "./nl-judge.ts"

/** `openai=8,anthropic=4`: model turns in flight at once per provider, across the cluster. */
const parseCaps = (text: string): Record<string, number> => {
  const caps: Record<string, number> = {}
  for (const part of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [key, value] = part.split("=").map((s) => s.trim())
    const n = Number(value)
    if (!key || !Number.isSafeInteger(n) || n < 1) throw new RangeError(part)
    caps[key] = n
  }
  return caps
}

const distributedFlag = Flag.Boolean("distributed").pipe(
  Flag.withDescription(
    "Play the episodes on the cluster's workers (tau worker) instead of here; needs a postgres:// --db. Stopping this command does not stop them",
  ),
  Flag.withDefault(false),
)
const providerConcurrencyFlag = Flag.String("provider-concurrency").pipe(
  Flag.withDescription("With --distributed: model calls in flight at once per provider across all workers, e.g. openai=8,anthropic=4"),
  Flag.mapTryCatch(parseCaps, () => "<provider>=<whole number ≥ 1> entries, e.g. openai=8,anthropic=4"),
  Flag.optional,
)

export const experimentDistributedFlags = { distributed: distributedFlag, providerConcurrency: providerConcurrencyFlag }
export const runDistributedFlags = {
  ...experimentDistributedFlags,
  follow: Flag.String("follow").pipe(
    Flag.withDescription("Re-attach to a distributed run by id and follow it to its end (the same as --resume RUN --distributed)"),
    Flag.optional,
  ),
}

interface DistributedFlagValues {
  readonly db: string
  readonly distributed: boolean
  readonly providerConcurrency: Option.Option<Readonly<Record<string, number>>>
  readonly cache: boolean
  readonly modelTimeout: number
  readonly modelRetries: number
  readonly rateLimit: Option.Option<Readonly<Record<string, number>>>
  /** `tau run`'s NL judge (experiments have none). */
  readonly nlJudge?: string
}

/** `--follow RUN` is `--resume RUN --distributed`. */
export const withFollow = <F extends { readonly resume: Option.Option<string>; readonly follow: Option.Option<string>; readonly distributed: boolean }>(
  f: F,
): F => (Option.isSome(f.follow) ? { ...f, resume: f.follow, distributed: true } : f)

const cluster = Effect.promise(() => import("@tau-sim/cluster"))

/** What a submission tells the runners (how model calls are made), and where the cluster is. */
const clusterOptions = (f: DistributedFlagValues) =>
  Effect.gen(function* () {
    if (!isPostgresUrl(f.db)) return yield* usage(`--distributed needs a PostgreSQL store (--db postgres://user@host:port/database), not ${f.db}`)
    // A bad TAU_CLUSTER_SHARDS is said before anything is stored.
    yield* (yield* cluster).shardCount()
    return {
      url: f.db,
      calls: {
        timeoutMs: f.modelTimeout * 1000,
        maxRetries: f.modelRetries,
        rateLimits: Option.getOrElse(f.rateLimit, () => ({})),
        concurrency: Option.getOrElse(f.providerConcurrency, () => ({})),
        cache: f.cache,
      },
      onFailure: (failure: { readonly episodeId: string; readonly unit: { readonly taskId: string; readonly trial: number }; readonly reason: string }) =>
        process.stderr.write(`[failed] ${failure.unit.taskId} trial ${failure.unit.trial}: ${failure.reason}\n`),
      onWarning: (line: string) => process.stderr.write(`warning: ${line}\n`),
    }
  })

/**
 * `--provider-concurrency` without `--distributed` has nothing to limit, and a model `--nl-judge`
 * is not carried to the workers (they would score every NL assertion as met): usage errors, not ignored.
 */
const checkFlags = (f: DistributedFlagValues) =>
  !f.distributed && Option.isSome(f.providerConcurrency)
    ? Effect.fail(usage("--provider-concurrency applies to --distributed runs only"))
    : f.distributed && f.nlJudge !== undefined && f.nlJudge !== SCRIPTED_NL_JUDGE
      ? Effect.fail(
          usage(`--nl-judge ${f.nlJudge} is not carried to the workers of a --distributed run; run it here, or rescore its episodes after with that judge`),
        )
      : Effect.void

type Local = ReturnType<typeof executeRun>
type Remote = ReturnType<ReturnType<typeof executeRunOnCluster>>
/** A run's units played here or on the cluster: the errors and services of either. */
type ExecuteRun = (
  config: RunConfig,
  onEpisode: (s: EpisodeSummary) => void,
  options?: RunUnitsOptions,
) => Effect.Effect<ReadonlyArray<EpisodeSummary>, Effect.Error<Local> | Effect.Error<Remote>, Effect.Services<Local> | Effect.Services<Remote>>
type LocalResume = ReturnType<typeof resumeRun>
type ResumeRun = (
  runId: string,
  options: ResumeOptions,
) => Effect.Effect<
  ResumeResult,
  Effect.Error<LocalResume> | Effect.Error<Remote> | UsageError | RunOnCluster | SqlError,
  Effect.Services<LocalResume> | Effect.Services<Remote>
>

/** `executeRun`'s counterpart for the run: here, or on the cluster with `--distributed`. */
export const executeRunOn = (f: DistributedFlagValues): Effect.Effect<ExecuteRun, UsageError | BadShardCount> =>
  Effect.gen(function* () {
    yield* checkFlags(f)
    if (!f.distributed) return executeRun
    const options = yield* clusterOptions(f)
    return (yield* cluster).executeRunOnCluster(options)
  })

/**
 * `resumeRun`'s counterpart: here, or on the cluster with `--distributed` / `--follow`, which
 * continues plain runs and experiment cells (other kinds of runs continue here, with `--resume`).
 */
export const resumeRunOn = (f: DistributedFlagValues): Effect.Effect<ResumeRun, UsageError | BadShardCount> =>
  Effect.gen(function* () {
    yield* checkFlags(f)
    if (!f.distributed && !isPostgresUrl(f.db)) return resumeRun
    if (!f.distributed) {
      // A run the cluster still plays is not resumed here too (its workers would play the same episodes).
      const resumeHere: ResumeRun = (runId, resume) =>
        Effect.gen(function* () {
          const config = yield* decodeRunConfig(yield* requireRun(runId, resume.store))
          if (config.kind === "run" || config.kind === "cell") {
            const { kind: _kind, ...runConfig } = config
            yield* (yield* cluster).refuseIfOnCluster(f.db, runConfig)
          }
          return yield* resumeRun(runId, resume)
        })
      return resumeHere
    }
    const options = yield* clusterOptions(f)
    const { executeRunOnCluster } = yield* cluster
    const resumeOnCluster: ResumeRun = (runId, resume) =>
      Effect.gen(function* () {
        const config = yield* decodeRunConfig(yield* requireRun(runId, resume.store))
        if (config.kind !== "run" && config.kind !== "cell")
          return yield* usage(
            `run ${runId} is ${describeKind(config)}: only runs and experiment cells are distributed; continue it here with --resume ${runId}`,
          )
        const { kind: _kind, ...runConfig } = config
        const summaries: ReadonlyArray<EpisodeSummary> = yield* executeRunOnCluster(options)(
          {
            ...runConfig,
            maxConcurrency: resume.maxConcurrency ?? runConfig.maxConcurrency ?? RUN_DEFAULTS.maxConcurrency,
            dataDir: resume.dataDir === undefined ? runConfig.dataDir : path.resolve(resume.dataDir),
            ...(resume.pricing ? { pricing: resume.pricing } : {}),
            ...(resume.maxAttempts === undefined ? {} : { maxAttempts: resume.maxAttempts }),
          },
          resume.onEpisode ?? (() => {}),
          { retryErrors: resume.retryErrors ?? false },
        )
        return { config, summaries } satisfies ResumeResult
      })
    return resumeOnCluster
  })

/** `runExperiment`'s options for `--distributed`: each cell's units played on the cluster. */
export const experimentUnitsOn = (f: DistributedFlagValues) =>
  Effect.gen(function* () {
    yield* checkFlags(f)
    if (!f.distributed) return {}
    const options = yield* clusterOptions(f)
    return { executeUnits: (yield* cluster).executeUnitsOnCluster(options) }
  })
