/**
 * `tau run`: run (or resume) an evaluation: tasks × trials, stored as episodes.
 *
 * A run's configuration is fixed when it is created. `--run-id X` with the configuration of run X
 * continues it; with another one it is an error that lists the differences and stores nothing.
 * `--resume X` takes the stored configuration; configuration flags given with it must agree with
 * it (they are refused otherwise, never silently ignored). Flags about how this process runs
 * (`--max-concurrency`, the model call flags) may differ.
 */
import { randomUUID } from "node:crypto"
import { DomainResolver, type Mode, MODES } from "@tau-sim/engine"
import {
  decodeRunConfig,
  describeKind,
  eligibleTasks,
  ERRORED_REASONS,
  type EpisodeSummary,
  mismatchOf,
  participantsFor,
  RUN_DEFAULTS,
  type RunConfig,
  selectTasks,
  storedRunConfig,
  type StoredRunConfig,
  validateMode,
} from "@tau-sim/runs"
import { computeMetrics } from "@tau-sim/evaluators"
import { requireRun } from "@tau-sim/replay"
import { isPathDomainRef, movedDomainRef } from "@tau-sim/domains"
import { Effect, Layer, Option, Schema } from "effect"
import { ModelRuntime } from "@tau-sim/models"
import { Command, Flag } from "effect/cli"
import { resumableOnStop, shellArg } from "../signals.ts"
import { tasksFileFlag, withTasksOption } from "./tasks-file.ts"
import { fmtReward, table, terminalWidth } from "../table.ts"
import { type Progress, runProgress } from "../live-progress.ts"
import {
  dataDirFlag,
  dbFlag,
  describedDefault,
  durationFlag,
  formatDurationMs,
  jsonFlag,
  positiveInt,
  print,
  progress,
  storeLayer,
  withShownDefault,
} from "./common.ts"
import { costSoFar, modelFlags, modelServices, participantFlag, recordedPricesOf, runPricing, specWithArgs, totalCost } from "./model-flags.ts"
import { usage } from "../usage-error.ts"
import { nlJudgeFlags, withNlJudge } from "./nl-judge.ts"
import { executeRunOn, resumeRunOn, runDistributedFlags, withFollow } from "./distributed.ts"

// The configuration flags are optional (so that `--resume` can tell what was given); their defaults are RUN_DEFAULTS.

const flags = {
  db: dbFlag,
  json: jsonFlag,
  dataDir: dataDirFlag,
  domain: Flag.String("domain").pipe(Flag.withDescription("demo | mock | airline | retail | telecom | ./my-domain"), Flag.optional),
  tasks: tasksFileFlag,
  agent: participantFlag("agent").pipe(
    Flag.withDescription(describedDefault("Agent spec: oracle | scripted:<file> | <provider>:<model>", RUN_DEFAULTS.agent)),
    Flag.optional,
  ),
  user: participantFlag("user").pipe(
    Flag.withDescription(describedDefault("User spec: scripted | scripted:<file> | <provider>:<model>", RUN_DEFAULTS.user)),
    Flag.optional,
  ),
  mode: Flag.Literals("mode", MODES).pipe(Flag.withDescription(describedDefault("Ablation mode", RUN_DEFAULTS.mode)), Flag.optional),
  policyVariant: Flag.String("policy-variant").pipe(
    Flag.withDescription(describedDefault("Policy variant (e.g. workflow for telecom)", RUN_DEFAULTS.policyVariant)),
    Flag.optional,
  ),
  trials: positiveInt("trials").pipe(Flag.withDescription(describedDefault("Trials per task", RUN_DEFAULTS.trials)), Flag.optional),
  seed: Flag.Int("seed").pipe(Flag.withDescription(describedDefault("Seed of the trials' seeds (τ²'s)", RUN_DEFAULTS.seed)), Flag.optional),
  maxSteps: positiveInt("max-steps").pipe(
    Flag.withDescription(describedDefault("Steps per episode before it ends as max_steps", RUN_DEFAULTS.maxSteps)),
    Flag.optional,
  ),
  maxErrors: positiveInt("max-errors").pipe(
    Flag.withDescription(describedDefault("Tool errors per episode before it ends as too_many_errors", RUN_DEFAULTS.maxErrors)),
    Flag.optional,
  ),
  maxConcurrency: positiveInt("max-concurrency").pipe(
    Flag.withDescription(describedDefault("Episodes at once", `${RUN_DEFAULTS.maxConcurrency}, or the run's on --resume`)),
    Flag.optional,
  ),
  split: Flag.String("split").pipe(Flag.withDescription(describedDefault("Task split", "base")), Flag.optional),
  taskIds: Flag.String("task-ids").pipe(Flag.withDescription("Comma-separated task ids"), Flag.optional),
  numTasks: positiveInt("num-tasks").pipe(Flag.withDescription("Only the first N tasks"), Flag.optional),
  runId: Flag.String("run-id").pipe(
    Flag.withDescription("Id for a new run (default: generated); the id of an existing run continues it if the configuration is the same"),
    Flag.optional,
  ),
  resume: Flag.String("resume").pipe(
    Flag.withDescription("Resume an interrupted run (any kind: run, experiment cell, forks, counterfactual) by id"),
    Flag.optional,
  ),
  retryErrors: Flag.Boolean("retry-errors").pipe(
    withShownDefault(
      "Try again every episode whose latest attempt ended in infrastructure_error, as a branch from just before the failure (up to --max-attempts new attempts each; recorded model calls are not repeated)",
      false,
    ),
  ),
  maxAttempts: positiveInt("max-attempts").pipe(
    Flag.withDescription(
      describedDefault(
        "Attempts per episode when one ends in infrastructure_error (how this process runs, not the run's identity)",
        `${RUN_DEFAULTS.maxAttempts}, or the run's on --resume`,
      ),
    ),
    Flag.optional,
  ),
  episodeTimeout: durationFlag("episode-timeout").pipe(
    Flag.withDescription(describedDefault("Wall-clock limit per episode (90s, 10m, 1h30m; a bare number is seconds): it ends as timeout, reward 0", "none")),
    Flag.optional,
  ),
  ...modelFlags,
  ...nlJudgeFlags,
  ...runDistributedFlags,
}

type Flags = typeof flags extends infer F ? { readonly [K in keyof F]: F[K] extends Flag.Flag<infer A> ? A : never } : never

/** Every episode of the run ended in an error (nothing was evaluated): the command fails. */
export class RunAllErrored extends Schema.TaggedError<RunAllErrored>()("RunAllErrored", {
  runId: Schema.String,
  episodes: Schema.Int,
  reasons: Schema.String,
}) {
  override get message(): string {
    return `run ${this.runId}: all ${this.episodes} episodes errored (${this.reasons}); nothing was evaluated`
  }
}

const CONFIG_FLAGS = [
  "domain",
  "dataDir",
  "agent",
  "user",
  "agentArgs",
  "userArgs",
  "mode",
  "policyVariant",
  "trials",
  "seed",
  "maxSteps",
  "maxErrors",
  "split",
  "taskIds",
  "numTasks",
  "episodeTimeout",
  "tasks",
] as const
const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`

/** A participant spec with its `--agent-args` / `--user-args`; arguments that do not apply or are not JSON are a usage error. */
const specFromFlags = (spec: string, args: Option.Option<string>) =>
  Effect.try({ try: () => specWithArgs(spec, args), catch: (e) => usage(e instanceof Error ? e.message : String(e)) })

/** The configuration the flags describe (tasks selected and checked against the mode). */
const requestedConfig = (f: Flags, runId: string) =>
  Effect.gen(function* () {
    if (Option.isNone(f.domain)) return yield* usage("--domain is required (or --resume RUN)")
    const mode = Option.getOrElse(f.mode, () => RUN_DEFAULTS.mode) as Mode
    const policyVariant = Option.getOrElse(f.policyVariant, () => RUN_DEFAULTS.policyVariant)
    const resolver = yield* DomainResolver
    const ref = resolver.ref(withTasksOption(f.domain.value, f.tasks), Option.getOrNull(f.dataDir), policyVariant)
    const domain = yield* resolver.resolve(ref)
    // A mode the domain cannot run is an error before anything is stored or any model is called.
    const unsupported = validateMode(domain, mode, policyVariant)
    if (unsupported) return yield* Effect.fail(unsupported)
    const explicitIds = Option.getOrUndefined(f.taskIds)
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean)
    const selected = yield* selectTasks(domain, { split: Option.getOrUndefined(f.split), taskIds: explicitIds, numTasks: Option.getOrUndefined(f.numTasks) })
    const { tasks, excluded } = eligibleTasks(selected, mode)
    if (excluded.length > 0 && explicitIds?.length) {
      return yield* usage(`mode ${mode} cannot run: ${excluded.map((e) => `${e.id} (${e.reason})`).join("; ")}`)
    }
    if (excluded.length > 0) yield* progress(`mode ${mode}: ${excluded.length} tasks left out (${excluded[0].reason}${excluded.length > 1 ? ", ..." : ""})`)
    const config: RunConfig = {
      ...ref,
      runId,
      agent: yield* specFromFlags(
        Option.getOrElse(f.agent, () => RUN_DEFAULTS.agent),
        f.agentArgs,
      ),
      user: yield* specFromFlags(
        Option.getOrElse(f.user, () => RUN_DEFAULTS.user),
        f.userArgs,
      ),
      mode,
      trials: Option.getOrElse(f.trials, () => RUN_DEFAULTS.trials),
      seed: Option.getOrElse(f.seed, () => RUN_DEFAULTS.seed),
      maxSteps: Option.getOrElse(f.maxSteps, () => RUN_DEFAULTS.maxSteps),
      maxErrors: Option.getOrElse(f.maxErrors, () => RUN_DEFAULTS.maxErrors),
      taskIds: tasks.map((t) => t.id),
      maxConcurrency: Option.getOrElse(f.maxConcurrency, () => RUN_DEFAULTS.maxConcurrency),
      ...(Option.isSome(f.maxAttempts) ? { maxAttempts: f.maxAttempts.value } : {}),
      ...(Option.isSome(f.episodeTimeout) ? { episodeTimeoutMs: f.episodeTimeout.value } : {}),
    }
    return { config, domain }
  })

/**
 * `--resume` with configuration flags: they must describe the stored run (for a plain run or a
 * cell, the flags not given are taken from it); for other kinds they do not apply.
 */
const checkResumeFlags = (f: Flags, runId: string, stored: StoredRunConfig) =>
  Effect.gen(function* () {
    const given = CONFIG_FLAGS.filter((k) => Option.isSome(f[k] as Option.Option<unknown>))
    if (given.length === 0) return
    if (stored.kind !== "run" && stored.kind !== "cell") {
      // A flag that does not fit the rest (e.g. `--agent` with `--resume` of a counterfactual run).
      return yield* usage(
        `${given.map(flagName).join(", ")} cannot be given with --resume of ${describeKind(stored)} (run ${runId}): it continues as it was created`,
      )
    }
    const withStored: Flags = {
      ...f,
      // --domain at a moved domain given by path keeps the run's task file (movedDomainRef); the hashes decide.
      domain:
        Option.isSome(f.domain) && isPathDomainRef(stored.domain)
          ? Option.some(movedDomainRef(stored.domain, f.domain.value))
          : Option.orElse(f.domain, () => Option.some(stored.domain)),
      dataDir: Option.orElse(f.dataDir, () => Option.fromNullishOr(stored.dataDir)),
      policyVariant: Option.orElse(f.policyVariant, () => Option.some(stored.policyVariant)),
      agent: Option.orElse(f.agent, () => Option.some(stored.agent)),
      user: Option.orElse(f.user, () => Option.some(stored.user)),
      mode: Option.orElse(f.mode, () => Option.some(stored.mode)),
      trials: Option.orElse(f.trials, () => Option.some(stored.trials)),
      seed: Option.orElse(f.seed, () => Option.some(stored.seed)),
      maxSteps: Option.orElse(f.maxSteps, () => Option.some(stored.maxSteps)),
      maxErrors: Option.orElse(f.maxErrors, () => Option.some(stored.maxErrors)),
      episodeTimeout: Option.orElse(f.episodeTimeout, () => Option.fromNullishOr(stored.episodeTimeoutMs)),
      taskIds: Option.isSome(f.split) || Option.isSome(f.numTasks) ? f.taskIds : Option.orElse(f.taskIds, () => Option.some(stored.taskIds.join(","))),
    }
    const { config, domain } = yield* requestedConfig(withStored, runId)
    const mismatch = mismatchOf(runId, stored, { ...storedRunConfig(config, domain), experiment: stored.experiment ?? null }, domain)
    if (mismatch) return yield* mismatch
  })

/**
 * The end-of-run line, as τ²'s metrics count (evaluators' computeMetrics): episodes whose
 * infrastructure failed (a provider down) are counted apart, not as reward 0 in the average or
 * failures in pass^k; pass^k for k up to the trials every task has.
 */
/**
 * The end-of-run table: episodes, evaluated, errored (apart, as τ² counts them), average reward,
 * pass^1..k, and this invocation's model cost when a model was called.
 */
export const summaryTable = (summaries: ReadonlyArray<EpisodeSummary>, cost: string | null): string => {
  const metrics = computeMetrics(summaries, { numTrials: Math.max(1, ...summaries.map((s) => s.trial + 1)) })
  const passK = Object.entries(metrics.pass_hat_ks)
  const headers = ["episodes", "evaluated", "errored", "avg reward", ...passK.map(([k]) => `pass^${k}`), ...(cost === null ? [] : ["cost"])]
  const row = [
    summaries.length,
    metrics.total_simulations,
    metrics.infra_error_count,
    metrics.total_simulations > 0 ? fmtReward(metrics.avg_reward) : "-",
    ...passK.map(([, v]) => v.toFixed(3)),
    ...(cost === null ? [] : [cost]),
  ]
  return table(headers, [row])
}

export const runOutcome = (summaries: ReadonlyArray<EpisodeSummary>): string => {
  const metrics = computeMetrics(summaries, { numTrials: Math.max(1, ...summaries.map((s) => s.trial + 1)) })
  const passK = Object.entries(metrics.pass_hat_ks).map(([k, v]) => `pass^${k} ${v.toFixed(3)}`)
  const errored = metrics.infra_error_count > 0 ? `; ${metrics.infra_error_count} errored (infrastructure_error: not in the average or pass^k)` : ""
  const scored =
    metrics.total_simulations > 0 ? `, average reward ${fmtReward(metrics.avg_reward)}${passK.length > 0 ? `, ${passK.join(", ")}` : ""}` : ", average reward -"
  return `${summaries.length} episode${summaries.length === 1 ? "" : "s"}${scored}${errored}`
}

// `--follow RUN` is read as `--resume RUN --distributed` (distributed.ts).
export const runCommand = Command.make("run", flags, (given) => {
  const f = withFollow(given)
  return Effect.gen(function* () {
    const models = yield* ModelRuntime
    let runId: string | null = null
    // The command continues as this one did: it carries what was given that the stored run does not
    // hold (--retry-errors; on a resume the attempt limit and where the data or domain is now).
    const carried = [
      ...(f.retryErrors ? ["--retry-errors"] : []),
      ...(Option.isSome(f.resume) && Option.isSome(f.maxAttempts) ? ["--max-attempts", String(f.maxAttempts.value)] : []),
      ...(Option.isSome(f.resume) && Option.isSome(f.dataDir) ? ["--data-dir", shellArg(f.dataDir.value)] : []),
      ...(Option.isSome(f.resume) && Option.isSome(f.domain) ? ["--domain", shellArg(f.domain.value)] : []),
    ]
    const resumeCommand = () =>
      runId ? [`tau run ${f.distributed ? "--follow" : "--resume"} ${shellArg(runId)} --db ${shellArg(f.db)}`, ...carried].join(" ") : null
    // A bar on a terminal, a line per episode otherwise (live-progress.ts); off the screen before the summary or a stop message.
    let live: Progress | null = null
    const onEpisode = (total: () => number) => {
      const bar = runProgress({ total, cost: () => (models.totals.calls > 0 ? totalCost(models.totals) : ""), costSuffix: () => costSoFar(models.totals) })
      live = bar
      return (s: EpisodeSummary) => {
        if (f.json) {
          // Both may be the same terminal: the bar is taken off before the JSON line, then drawn again.
          bar.clear()
          process.stdout.write(`${JSON.stringify(jsonLine(s))}\n`)
        }
        bar.episode(s)
      }
    }
    const clearProgress = Effect.sync(() => live?.clear())
    let summaries: ReadonlyArray<EpisodeSummary>
    if (Option.isSome(f.resume)) {
      if (Option.isSome(f.runId)) return yield* usage("give --resume RUN or --run-id RUN, not both")
      const id = f.resume.value
      const stored = yield* decodeRunConfig(yield* requireRun(id, f.db))
      yield* checkResumeFlags(f, id, stored)
      runId = id
      let total = 0
      if (stored.kind !== "run" && stored.kind !== "cell") {
        const given = [...(f.retryErrors ? ["--retry-errors"] : []), ...(Option.isSome(f.maxAttempts) ? ["--max-attempts"] : [])]
        if (given.length > 0) return yield* usage(`${given.join(", ")} applies to plain runs and experiment cells, not to ${describeKind(stored)} (run ${id})`)
      }
      if (stored.kind === "run" || stored.kind === "cell") {
        // A malformed participant spec or a missing API key fails here, before anything is stored.
        yield* participantsFor(stored)
        total = stored.taskIds.length * stored.trials
        yield* progress(
          `resuming run ${id}: ${stored.domain}, ${stored.taskIds.length} tasks × ${stored.trials} trials, agent ${stored.agent}, user ${stored.user}${timeoutNote(stored.episodeTimeoutMs)}${f.retryErrors ? "; retrying errored episodes" : ""}`,
        )
      } else {
        yield* progress(`resuming run ${id}: ${describeKind(stored)}`)
      }
      const result = yield* (yield* resumeRunOn(f))(id, {
        store: f.db,
        maxConcurrency: Option.getOrUndefined(f.maxConcurrency),
        dataDir: Option.getOrUndefined(f.dataDir),
        domain: Option.getOrUndefined(f.domain),
        onEpisode: onEpisode(() => total),
        // The progress counts what is left to play: a unit finished before is not one of them.
        onSkipped: () => {
          total--
        },
        // The prices this resume costs calls with (the run's recorded ones, any given now over them).
        pricing: runPricing(models, "agent" in stored ? [stored.agent, stored.user] : []),
        retryErrors: f.retryErrors,
        maxAttempts: Option.getOrUndefined(f.maxAttempts),
      }).pipe(Effect.ensuring(clearProgress), resumableOnStop(resumeCommand))
      summaries = result.summaries
    } else {
      const requested = yield* requestedConfig(
        f,
        Option.getOrElse(f.runId, () => `run_${new Date().toISOString().slice(0, 10).replaceAll("-", "")}_${randomUUID().slice(0, 8)}`),
      )
      // The prices its model calls are costed with are recorded with the run.
      const pricing = runPricing(models, [requested.config.agent, requested.config.user])
      const config: RunConfig = pricing ? { ...requested.config, pricing } : requested.config
      // A malformed participant spec or a missing API key fails here, before anything is stored.
      yield* participantsFor(config)
      const total = config.taskIds.length * config.trials
      yield* progress(
        `run ${config.runId}: ${config.domain}, ${config.taskIds.length} tasks × ${config.trials} trials, agent ${config.agent}, user ${config.user}${timeoutNote(config.episodeTimeoutMs)}`,
      )
      summaries = yield* Effect.suspend(() => {
        runId = config.runId
        return Effect.flatMap(executeRunOn(f), (execute) =>
          execute(
            config,
            onEpisode(() => total),
            { retryErrors: f.retryErrors },
          ),
        )
      }).pipe(
        Effect.ensuring(clearProgress),
        resumableOnStop(() => (runId && total > 0 ? resumeCommand() : null)),
      )
    }
    const id = runId as string
    const skipped = summaries.filter((s) => !s.ran)
    if (skipped.length > 0) yield* progress(`${skipped.length} episodes were already finished and were skipped`)
    const errored = summaries.filter((s) => ERRORED_REASONS.includes(s.termination_reason))
    const allErrored = summaries.length > 0 && errored.length === summaries.length
    if (!f.json) {
      // Long ids (telecom's task ids) are cut to the terminal's width, not wrapped.
      yield* print(
        table(
          ["episode", "task", "trial", "termination", "reward"],
          summaries.map((s) => [s.episode_id, s.task_id, s.trial, s.termination_reason, fmtReward(s.reward)]),
          { maxWidth: terminalWidth(), shrink: [0, 1] },
        ),
      )
      yield* print(`\n${summaryTable(summaries, models.totals.calls > 0 ? totalCost(models.totals) : null)}`)
      yield* print(`\nrun ${id}: ${runOutcome(summaries)}`)
      // What this invocation's model calls cost; a model without a price makes it a lower bound (never $0).
      if (models.totals.calls > 0) {
        const unpriced = [...models.unpricedModels]
        yield* print(
          `model calls: ${models.totals.calls}, cost ${totalCost(models.totals)}${unpriced.length > 0 ? `; no price for ${unpriced.join(", ")} (--price or --prices)` : ""}`,
        )
      }
    }
    if (allErrored) {
      const counts = new Map<string, number>()
      for (const s of errored) counts.set(s.termination_reason, (counts.get(s.termination_reason) ?? 0) + 1)
      return yield* new RunAllErrored({ runId: id, episodes: summaries.length, reasons: [...counts].map(([r, n]) => `${r}: ${n}`).join(", ") })
    }
  }).pipe(
    // The NL judge of `--nl-judge` scores every episode at its end; its calls are stored with the scores.
    withNlJudge(f, recordedPricesOf(Option.orElse(f.resume, () => f.runId))),
    // A resume never creates a store: a mistyped --db is named, not filled with an empty database.
    // The model runtime this invocation's flags describe, over the store.
    // A resume (or a continuation by --run-id) costs calls with the prices recorded with the run, the flags' over them.
    Effect.provide(
      modelServices(f, recordedPricesOf(Option.orElse(f.resume, () => f.runId))).pipe(
        Layer.provideMerge(storeLayer(f.db, { mustExist: Option.isSome(f.resume) })),
      ),
    ),
  )
}).pipe(Command.withDescription("Run an evaluation (domains × tasks × trials), or resume any run with --resume RUN"))

const timeoutNote = (ms: number | undefined): string => (ms === undefined ? "" : `, episode timeout ${formatDurationMs(ms)}`)

const jsonLine = (s: EpisodeSummary) => ({
  run_id: s.run_id,
  episode_id: s.episode_id,
  task_id: s.task_id,
  trial: s.trial,
  termination_reason: s.termination_reason,
  reward: s.reward,
})
