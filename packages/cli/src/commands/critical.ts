/** `tau critical`: where was an episode lost? The estimated probability of success from every turn, by forking it K times there. */
import { type EpisodeRow, EventStore } from "@tau-sim/engine"
import { EpisodeNotFound, requireRun } from "@tau-sim/replay"
import {
  ADAPTIVE_INITIAL_SAMPLES,
  criticalCandidates,
  CriticalError,
  type CriticalResult,
  criticalRunId,
  type CriticalSummary,
  decodeRunConfig,
  RUN_DEFAULTS,
  runCritical,
  summarizeCritical,
  type TurnRange,
} from "@tau-sim/runs"
import { isModelSpec, ModelRuntime, parseModelSpec, priceOf } from "@tau-sim/models"
import { formatCost } from "@tau-sim/engine"
import { Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { terminalText } from "../terminal-text.ts"
import { resumableOnStop, shellArg } from "../signals.ts"
import { dbFlag, jsonFlag, movedDataDirFlag, positiveInt, positiveNumber, print, printJson, progress, storeLayer, withShownDefault } from "./common.ts"
import { participantFlag, modelCallFlags, modelServices, runPricing } from "./model-flags.ts"
import { usage } from "../usage-error.ts"

export const DEFAULT_SAMPLES = 20

const TURNS = /^(\d+)(?:\.\.(\d+))?$/

/** `a..b` (both included) or `a` (one turn). */
const parseTurns = (text: string): TurnRange | null => {
  const m = TURNS.exec(text.trim())
  if (!m) return null
  const from = Number(m[1])
  const to = m[2] === undefined ? from : Number(m[2])
  return Number.isSafeInteger(from) && Number.isSafeInteger(to) && from <= to ? { from, to } : null
}

const flags = {
  db: dbFlag,
  json: jsonFlag,
  episode: Argument.String("episode").pipe(Argument.withDescription("The episode to analyse"), Argument.optional),
  run: Flag.String("run").pipe(Flag.withDescription("Analyse every finished episode of this run instead, and summarise where they were lost"), Flag.optional),
  failed: Flag.Boolean("failed").pipe(Flag.withDescription("With --run: only the episodes that failed"), Flag.withDefault(false)),
  samples: positiveInt("samples").pipe(withShownDefault("Forks per turn", DEFAULT_SAMPLES)),
  agent: participantFlag("agent").pipe(Flag.withDescription("Agent spec for the samples (default: the episode's)"), Flag.optional),
  user: participantFlag("user").pipe(Flag.withDescription("User spec for the samples (default: the episode's)"), Flag.optional),
  turns: Flag.String("turns").pipe(
    Flag.withDescription("Analyse only these turns: a..b (both included) or a single turn"),
    Flag.filter(
      (t) => parseTurns(t) !== null,
      () => "a turn range a..b with a ≤ b, or one turn",
    ),
    Flag.map((t) => parseTurns(t) as TurnRange),
    Flag.optional,
  ),
  maxSamples: positiveInt("max-samples").pipe(
    Flag.withDescription("Budget: at most this many samples in all (stored ones included), taken round-robin over the turns"),
    Flag.optional,
  ),
  earlyStop: Flag.Boolean("early-stop").pipe(
    Flag.withDescription("Stop sampling a turn once it and its neighbours agree on one outcome (after 5 samples each)"),
    Flag.withDefault(false),
  ),
  adaptive: Flag.Boolean("adaptive").pipe(
    Flag.withDescription(
      `Adaptive sampling: ${ADAPTIVE_INITIAL_SAMPLES} samples per turn, then more only beside the drops that may still be the largest (at most --samples a turn), none at settled turns`,
    ),
    Flag.withDefault(false),
  ),
  budgetUsd: positiveNumber("budget-usd").pipe(
    Flag.withDescription(
      "Cost budget in USD: no sample starts once the samples' model calls cost this much (recorded: a resume keeps it). Every model must have a price",
    ),
    Flag.optional,
  ),
  confidence: Flag.Finite("confidence").pipe(
    Flag.filter(
      (c) => c > 0 && c < 1,
      () => "a number between 0 and 1",
    ),
    withShownDefault("Level of the intervals (exact Clopper–Pearson intervals)", 0.95),
  ),
  maxConcurrency: positiveInt("max-concurrency").pipe(withShownDefault("Samples played at once", RUN_DEFAULTS.maxConcurrency)),
  dataDir: movedDataDirFlag,
  ...modelCallFlags,
}

const pct = (x: number | null): string => (x === null ? "-" : x.toFixed(2))

/** The table people read: one row per turn, the critical one marked, then a line saying where it was lost. */
const render = (r: CriticalResult): string => {
  const head =
    `critical-turn analysis of ${r.episode_id} (task ${terminalText(r.task_id)}, reward ${fmtReward(r.reward)}): ` +
    `agent ${terminalText(r.agent)}, user ${terminalText(r.user)}, ${r.samples_per_turn} samples per turn, run ${r.run_id}`
  const rows = r.turns.map((t) => [
    t.turn === r.critical_turn ? `${t.turn} <` : String(t.turn),
    t.role,
    terminalText(t.kind),
    t.samples,
    t.successes,
    pct(t.estimate),
    t.estimate === null ? "-" : `${pct(t.ci_low)}..${pct(t.ci_high)}`,
  ])
  const level = `${Number((r.confidence * 100).toFixed(8))}%`
  const lines = [head, "", table(["turn", "role", "message", "samples", "successes", "estimate", `${level} CI`], rows), ""]
  const critical = r.turns.find((t) => t.turn === r.critical_turn)
  if (critical && r.drop !== null) {
    const next = r.turns[r.turns.indexOf(critical) + 1]
    lines.push(
      `critical turn ${critical.turn} (${critical.role} ${terminalText(critical.kind)}): success ${pct(critical.estimate)} from it, ${pct(next?.estimate ?? null)} after it; ` +
        `drop ${pct(r.drop)} (${level} CI ${pct(r.drop_ci_low)}..${pct(r.drop_ci_high)})`,
    )
  } else {
    lines.push("no turn lowers the estimated chance of success")
  }
  const all = r.turns.length * r.samples_per_turn
  const why = { "max-samples": "the sample budget", "budget-usd": `the $${r.budget_usd} budget`, settled: "settled turns stopped early" }
  if (r.finished < all) lines.push(`${r.finished} of ${all} samples taken (${r.stopped_by === null ? "not finished" : why[r.stopped_by]})`)
  if (r.cost.known > 0 || r.cost.unpriced > 0 || r.budget_usd !== null)
    lines.push(`samples' model calls cost ${formatCost(r.cost)}${r.budget_usd === null ? "" : ` (budget $${r.budget_usd})`}`)
  return lines.join("\n")
}

/** The analysis as `--json` prints it. */
const jsonOf = (r: CriticalResult) => ({
  episode_id: r.episode_id,
  run_id: r.run_id,
  task_id: r.task_id,
  reward: r.reward,
  turns: r.turns,
  critical_turn: r.critical_turn,
  drop: r.drop,
  drop_ci_low: r.drop_ci_low,
  drop_ci_high: r.drop_ci_high,
  samples_per_turn: r.samples_per_turn,
  confidence: r.confidence,
  planned: r.planned,
  finished: r.finished,
  stopped_by: r.stopped_by,
  // Costs as every command names them (USD): null when a call had no price, the priced part apart.
  cost: r.cost.unpriced === 0 ? r.cost.known : null,
  known_cost: r.cost.known,
  unpriced_calls: r.cost.unpriced,
  budget_usd: r.budget_usd,
})

/** A run's summary for people: one row per episode, then where they were lost. */
const renderBatch = (runId: string, results: ReadonlyArray<CriticalResult>, summary: CriticalSummary): string => {
  const rows = results.map((r) => {
    const t = r.turns.find((x) => x.turn === r.critical_turn)
    return [
      r.episode_id,
      terminalText(r.task_id),
      fmtReward(r.reward),
      r.critical_turn ?? "-",
      t ? terminalText(`${t.role} ${t.kind}`) : "-",
      pct(r.drop),
      r.drop === null ? "-" : `${pct(r.drop_ci_low)}..${pct(r.drop_ci_high)}`,
    ]
  })
  const lines = [
    `critical turns of run ${runId}: ${summary.episodes} episodes, ${summary.with_critical_turn} with a turn that lowers the chance of success`,
    "",
    table(["episode", "task", "reward", "critical turn", "message", "drop", "CI"], rows),
    "",
    "where in the conversation:",
    table(
      ["position", "episodes"],
      summary.by_position.map((p) => [p.position, p.episodes]),
    ),
    "",
    "what the critical turn was:",
    table(
      ["message", "episodes"],
      summary.by_kind.map((k) => [terminalText(k.kind), k.episodes]),
    ),
    "",
    "by task:",
    table(
      ["task", "episodes", "with critical turn", "mean drop"],
      summary.by_task.map((t) => [terminalText(t.task_id), t.episodes, t.with_critical_turn, pct(t.mean_drop)]),
    ),
  ]
  return lines.join("\n")
}

export const criticalCommand = Command.make("critical", flags, (f) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    if (Option.isSome(f.episode) === Option.isSome(f.run)) return yield* usage("give one of: an episode, or --run RUN")
    if (f.failed && Option.isNone(f.run)) return yield* usage("--failed applies to --run")
    const common = {
      samples: f.samples,
      agent: Option.getOrUndefined(f.agent),
      user: Option.getOrUndefined(f.user),
      turns: Option.getOrUndefined(f.turns),
      maxSamples: Option.getOrUndefined(f.maxSamples),
      earlyStop: f.earlyStop,
      adaptive: f.adaptive,
      budgetUsd: Option.getOrUndefined(f.budgetUsd),
      maxConcurrency: f.maxConcurrency,
      confidence: f.confidence,
      dataDir: Option.getOrUndefined(f.dataDir),
    }
    const models = yield* ModelRuntime
    /** One episode's analysis, with progress on standard error. */
    const analyse = (episode: EpisodeRow) =>
      Effect.gen(function* () {
        const options = { ...common, episodeId: episode.episodeId }
        // The samples' participants are the given ones, else the episode's: a model among them makes the prices worth recording.
        const run = yield* store.getRun(episode.runId)
        const runConfig = run ? Option.getOrUndefined(yield* Effect.option(decodeRunConfig(run))) : undefined
        const runSpecs = runConfig && "agent" in runConfig ? [runConfig.agent, runConfig.user] : []
        const pricing = runPricing(models, [options.agent, options.user, ...runSpecs])
        if (options.budgetUsd !== undefined) {
          // A dollar budget over calls of unknown cost would never be reached: refused before anything runs.
          const samplers = [options.agent ?? runSpecs[0], options.user ?? runSpecs[1]]
          const unpriced = samplers.flatMap((s) => {
            const spec = typeof s === "string" && isModelSpec(s) ? parseModelSpec(s) : undefined
            return spec && priceOf(spec.model, models.options.prices) === null ? [spec.model] : []
          })
          if (unpriced.length > 0)
            return yield* usage(
              `--budget-usd needs a price for every model the samples call; none for ${[...new Set(unpriced)].join(", ")} (give --price MODEL=IN,OUT or --prices FILE)`,
            )
        }
        const runId = criticalRunId(options)
        let before = 0
        const result = yield* runCritical({ ...options, ...(pricing ? { pricing } : {}) }, (s, done, planned) => {
          if (!s.ran) {
            before++
            return
          }
          process.stderr.write(
            `[${done}/${planned}] turn ${s.turn} sample ${s.index}: ${s.termination_reason}, reward ${fmtReward(s.reward)} (${s.episode_id})\n`,
          )
        }).pipe(resumableOnStop(() => `tau run --resume ${shellArg(runId)} --db ${shellArg(f.db)} (or this tau critical command again)`))
        if (before > 0) yield* progress(`${before} samples were finished before and were not run again`)
        return result
      })

    if (Option.isSome(f.episode)) {
      const episode = yield* store.getEpisode(f.episode.value)
      if (!episode) return yield* new EpisodeNotFound({ episodeId: f.episode.value, store: f.db })
      const result = yield* analyse(episode)
      return yield* f.json ? printJson(jsonOf(result)) : print(render(result))
    }
    const runId = Option.getOrThrow(f.run)
    yield* requireRun(runId, f.db)
    const episodes = yield* criticalCandidates(runId, { failed: f.failed })
    if (episodes.length === 0) return yield* new CriticalError({ message: `run ${runId} has no ${f.failed ? "failed " : ""}finished episodes to analyse` })
    const results: CriticalResult[] = []
    for (const [i, episode] of episodes.entries()) {
      yield* progress(
        `episode ${i + 1}/${episodes.length}: ${episode.episodeId} (task ${episode.taskId}, trial ${episode.trial}, reward ${fmtReward(episode.reward)})`,
      )
      results.push(yield* analyse(episode))
    }
    const summary = summarizeCritical(results)
    if (f.json) return yield* printJson({ run_id: runId, episodes: results.map(jsonOf), summary })
    yield* print(renderBatch(runId, results, summary))
  }).pipe(Effect.provide(modelServices(f).pipe(Layer.provideMerge(storeLayer(f.db, { mustExist: true }))))),
).pipe(
  Command.withDescription(
    "Where was an episode lost? Fork it K times at every turn, continue each fork, and estimate the chance of success per turn (--run: every episode of a run, with a summary)",
  ),
)
