/**
 * `tau list runs` and `tau list episodes`: what the store holds, filtered, as a table that fits the
 * terminal or as JSON Lines (one object per run or episode).
 *
 * Read through the store port only (`listRuns`, `listEpisodes`, `read` of an episode's start,
 * `listScores`), so SQLite and PostgreSQL stores answer the same. The read models give run, task,
 * trial, termination reason and reward; agent, user and mode come from each listed episode's own
 * start event (a fork may run under other participants than its run), and scores are read only
 * when `--evaluator-version` asks.
 */
import { type EpisodeRow, EventStore, MODES, type RunRecord } from "@tau-sim/engine"
import { computeMetrics, isSuccessful } from "@tau-sim/evaluators"
import { ERRORED_REASONS, retriedAttempts } from "@tau-sim/runs"
import { requireRun } from "@tau-sim/replay"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { episodeRowJson, printJsonLine } from "../json-output.ts"
import { fmtReward, table, terminalWidth } from "../table.ts"
import { terminalText } from "../terminal-text.ts"
import { usage } from "../usage-error.ts"
import { dbFlag, jsonFlag, positiveInt, print, withExistingStore } from "./common.ts"

const str = (v: unknown): string | null => (typeof v === "string" ? v : null)

/** Episodes whose infrastructure or harness failed: not evaluated (τ²'s errored), apart from failures. */
const isErrored = (row: EpisodeRow) => row.terminationReason !== null && ERRORED_REASONS.includes(row.terminationReason)
/** Ended, evaluated, and not a success: a failure (an unscored episode counts as one, as in pass^k). */
const isFailed = (row: EpisodeRow) => row.status === "ended" && !isErrored(row) && (row.reward === null || !isSuccessful(row.reward))

/** Who and how an episode ran, from its start event (null for a stream without one). */
interface Started {
  readonly agent: string | null
  readonly user: string | null
  readonly mode: string | null
}

const startOf = (episodeId: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const [first] = yield* store.read(episodeId, { toSeq: 1 })
    const e = first?.event
    return (e?._tag === "EpisodeStarted" ? { agent: e.agent, user: e.user, mode: e.mode } : { agent: null, user: null, mode: null }) satisfies Started
  })

const filterFlags = {
  db: dbFlag,
  json: jsonFlag,
  domain: Flag.String("domain").pipe(Flag.withDescription("Only this domain"), Flag.optional),
  agent: Flag.String("agent").pipe(Flag.withDescription("Only this agent spec (exactly as recorded)"), Flag.optional),
  mode: Flag.Literals("mode", MODES).pipe(Flag.withDescription("Only this mode"), Flag.optional),
}

// ---------------------------------------------------------------------------------------------
// tau list runs

/** A run as `list runs` prints it (`--json`: one per line). */
const runRow = (run: RunRecord, rows: ReadonlyArray<EpisodeRow>, started: Started | null) => {
  const config = run.config
  const kind = str(config.kind) ?? (typeof config.forksOf === "string" ? "forks" : typeof config.counterfactual_of === "string" ? "counterfactual" : "run")
  // An errored attempt that was retried is not its unit's result: the retry is (as in reports).
  const retried = retriedAttempts(rows.map((r) => [r.episodeId, r.parentEpisodeId]))
  const latest = rows.filter((r) => !retried.has(r.episodeId))
  const ended = latest.filter((r) => r.status === "ended")
  const numTrials = typeof config.trials === "number" ? config.trials : Math.max(0, ...rows.map((r) => r.trial + 1))
  const metrics = computeMetrics(
    ended.map((r) => ({ task_id: r.taskId, reward: r.reward, termination_reason: r.terminationReason ?? "" })),
    { numTrials },
  )
  const errored = latest.filter(isErrored).length
  return {
    run_id: run.runId,
    created_at: run.createdAt,
    kind,
    experiment: run.experiment,
    domain: str(config.domain) ?? rows[0]?.domain ?? null,
    mode: str(config.mode) ?? started?.mode ?? null,
    agent: str(config.agent) ?? started?.agent ?? null,
    user: str(config.user) ?? started?.user ?? null,
    episodes: latest.length,
    /** Errored attempts that were tried again (their retries are counted above). */
    retried: retried.size,
    running: latest.length - ended.length,
    errored,
    failed: latest.filter(isFailed).length,
    // τ²'s metrics over the evaluated episodes (infrastructure errors left out); null before any.
    avg_reward: metrics.total_simulations > 0 ? metrics.avg_reward : null,
    pass_hat_k: metrics.pass_hat_ks,
  }
}

const runsCommand = Command.make(
  "runs",
  {
    ...filterFlags,
    experiment: Flag.String("experiment").pipe(Flag.withDescription("Only the runs of this experiment"), Flag.optional),
    kind: Flag.Literals("kind", ["run", "cell", "forks", "counterfactual", "critical", "import"] as const).pipe(
      Flag.withDescription("Only runs of this kind"),
      Flag.optional,
    ),
    errored: Flag.Boolean("errored").pipe(Flag.withDescription("Only runs with an errored episode"), Flag.withDefault(false)),
  },
  (f) =>
    withExistingStore(
      f.db,
      Effect.gen(function* () {
        const store = yield* EventStore
        const out: Array<ReturnType<typeof runRow>> = []
        for (const run of yield* store.listRuns()) {
          if (Option.isSome(f.experiment) && run.experiment !== f.experiment.value) continue
          const rows = yield* store.listEpisodes({ runId: run.runId })
          // Runs of one configuration say who ran in it; for branches and imports, the first episode's start does.
          const needsStart = typeof run.config.agent !== "string" && rows.length > 0
          const row = runRow(run, rows, needsStart ? yield* startOf(rows[0].episodeId) : null)
          if (Option.isSome(f.kind) && row.kind !== f.kind.value) continue
          if (Option.isSome(f.domain) && row.domain !== f.domain.value) continue
          if (Option.isSome(f.agent) && row.agent !== f.agent.value) continue
          if (Option.isSome(f.mode) && row.mode !== f.mode.value) continue
          if (f.errored && row.errored === 0) continue
          out.push(row)
          if (f.json) yield* printJsonLine(row)
        }
        if (f.json) return
        const ks = Array.from({ length: Math.min(3, Math.max(0, ...out.map((r) => Object.keys(r.pass_hat_k).length))) }, (_, i) => i + 1)
        yield* print(
          table(
            ["run", "kind", "domain", "mode", "agent", "user", "episodes", "errored", "avg reward", ...ks.map((k) => `pass^${k}`)],
            out.map((r) => [
              r.run_id,
              r.kind,
              r.domain,
              r.mode,
              terminalText(r.agent ?? "-"),
              terminalText(r.user ?? "-"),
              r.running > 0 ? `${r.episodes - r.running}/${r.episodes}` : r.episodes,
              r.errored,
              fmtReward(r.avg_reward),
              ...ks.map((k) => (r.pass_hat_k[k] === undefined ? "-" : r.pass_hat_k[k].toFixed(3))),
            ]),
            { maxWidth: terminalWidth(), shrink: [0, 4, 5] },
          ),
        )
        yield* print(`\n${out.length} run${out.length === 1 ? "" : "s"}`)
      }),
    ),
).pipe(Command.withDescription("List the runs in the store: kind, participants, episodes, errors, average reward, pass^k"))

// ---------------------------------------------------------------------------------------------
// tau list episodes

const parseReward = (name: string) =>
  Flag.Finite(name).pipe(
    Flag.filter(
      (x) => x >= 0 && x <= 1,
      () => "a reward between 0 and 1",
    ),
    Flag.optional,
  )

const episodesCommand = Command.make(
  "episodes",
  {
    ...filterFlags,
    run: Flag.String("run").pipe(Flag.withDescription("Only the episodes of this run"), Flag.optional),
    task: Flag.String("task").pipe(Flag.withDescription("Only tasks whose id contains this text"), Flag.optional),
    termination: Flag.String("termination").pipe(
      Flag.withDescription("Only this termination reason (user_stop, max_steps, infrastructure_error, ...)"),
      Flag.optional,
    ),
    status: Flag.Literals("status", ["running", "ended"] as const).pipe(Flag.withDescription("Only running or only ended episodes"), Flag.optional),
    rewardMin: parseReward("reward-min").pipe(Flag.withDescription("Only rewards ≥ this (unscored episodes are left out)")),
    rewardMax: parseReward("reward-max").pipe(Flag.withDescription("Only rewards ≤ this (unscored episodes are left out)")),
    evaluatorVersion: Flag.String("evaluator-version").pipe(
      Flag.withDescription("Only episodes with a score of this evaluator: NAME@VERSION (e.g. tau2@1.0), or NAME for any version"),
      Flag.optional,
    ),
    errored: Flag.Boolean("errored").pipe(
      Flag.withDescription("Only errored episodes (infrastructure_error, unexpected_error: not evaluated)"),
      Flag.withDefault(false),
    ),
    failed: Flag.Boolean("failed").pipe(Flag.withDescription("Only failed episodes (ended, evaluated, reward below 1 or unscored)"), Flag.withDefault(false)),
    limit: positiveInt("limit").pipe(Flag.withDescription("At most this many (the first in the order they were stored)"), Flag.optional),
  },
  (f) =>
    (f.errored && f.failed
      ? Effect.fail(usage("--errored and --failed exclude each other (an errored episode is not evaluated, so it has not failed)"))
      : Effect.void
    ).pipe(
      Effect.andThen(
        withExistingStore(
          f.db,
          Effect.gen(function* () {
            const store = yield* EventStore
            if (Option.isSome(f.run)) yield* requireRun(f.run.value, f.db)
            const rewardMin = Option.getOrUndefined(f.rewardMin)
            const rewardMax = Option.getOrUndefined(f.rewardMax)
            const inRange = (r: number | null) =>
              (rewardMin === undefined || (r !== null && r >= rewardMin)) && (rewardMax === undefined || (r !== null && r <= rewardMax))
            const scoredBy = Option.getOrUndefined(f.evaluatorVersion)
            const at = scoredBy?.lastIndexOf("@") ?? -1
            const [evaluator, version] =
              scoredBy === undefined ? [undefined, undefined] : at < 0 ? [scoredBy, undefined] : [scoredBy.slice(0, at), scoredBy.slice(at + 1)]
            // The read model's filters first; then what needs the episode's start or its scores.
            const candidates = (yield* store.listEpisodes(Option.isSome(f.run) ? { runId: f.run.value } : undefined)).filter(
              (r) =>
                (Option.isNone(f.domain) || r.domain === f.domain.value) &&
                (Option.isNone(f.task) || r.taskId.includes(f.task.value)) &&
                (Option.isNone(f.termination) || r.terminationReason === f.termination.value) &&
                (Option.isNone(f.status) || r.status === f.status.value) &&
                inRange(r.reward) &&
                (!f.errored || isErrored(r)) &&
                (!f.failed || isFailed(r)),
            )
            const limit = Option.getOrElse(f.limit, () => Number.POSITIVE_INFINITY)
            const out: Array<ReturnType<typeof episodeRowJson> & Started> = []
            for (const r of candidates) {
              if (out.length >= limit) break
              const started = yield* startOf(r.episodeId)
              if (Option.isSome(f.agent) && started.agent !== f.agent.value) continue
              if (Option.isSome(f.mode) && started.mode !== f.mode.value) continue
              if (evaluator !== undefined) {
                const scores = yield* store.listScores(r.episodeId)
                if (!scores.some((s) => s.evaluator === evaluator && (version === undefined || s.evaluatorVersion === version))) continue
              }
              const row = { ...episodeRowJson(r), ...started }
              out.push(row)
              if (f.json) yield* printJsonLine(row)
            }
            if (f.json) return
            yield* print(
              table(
                ["episode", "run", "task", "trial", "termination", "reward", "agent", "mode"],
                out.map((r) => [
                  r.episode_id,
                  r.run_id,
                  terminalText(r.task_id),
                  r.trial,
                  r.termination_reason ?? r.status,
                  fmtReward(r.reward),
                  terminalText(r.agent ?? "-"),
                  r.mode,
                ]),
                { maxWidth: terminalWidth(), shrink: [0, 1, 2, 6] },
              ),
            )
            yield* print(`\n${out.length} episode${out.length === 1 ? "" : "s"}`)
          }),
        ),
      ),
    ),
).pipe(
  Command.withDescription("List episodes, filtered by run, domain, task, termination reason, reward range, agent, mode, evaluator version, errored or failed"),
)

export const listCommand = Command.make("list").pipe(
  Command.withDescription("List what the store holds: runs, or episodes with filters"),
  Command.withSubcommands([runsCommand, episodesCommand]),
)
