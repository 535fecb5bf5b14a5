/**
 * `tau rescore`: evaluate stored episodes again and append new scores (old ones are kept). The
 * evaluator set is `tau2` (the reward) or `support-desk` (behaviour, stored beside the reward and
 * never replacing it); each new score is compared with the latest one of the same set.
 *
 * A model judge (`--nl-judge` for tau2, `--policy-judge` for support-desk's policy_adherence)
 * reuses its answers recorded in the store (same question: no HTTP request) unless
 * `--fresh-judge`; its calls are stored with the new scores.
 */
import { type EpisodeRow, EventStore, isRewardEvaluator, knownCost, type ScoreRecord } from "@tau-sim/engine"
import { findTask } from "@tau-sim/runs"
import { loadEpisode, requireRecordedData, requireRun, scanEpisodes } from "@tau-sim/replay"
import { isSupportDeskScore, type NlJudge, type PolicyJudge, scoreEpisode, scoreSupportDesk } from "@tau-sim/evaluators"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { dbFlag, jsonFlag, movedDataDirFlag, movedDomainFlag, print, printJson, progress, withExistingStore, withShownDefault } from "./common.ts"
import {
  freshJudgeFlag,
  judgeCallFlags,
  judgeCostLine,
  judgeFor,
  judgeRuntime,
  nlJudgeFlag,
  policyJudgeFlag,
  policyJudgeFor,
  SCRIPTED_NL_JUDGE,
} from "./nl-judge.ts"
import { recordedPricesOf } from "./model-flags.ts"
import { requireEpisode } from "./replay.ts"
import { evaluatorJson } from "../json-output.ts"
import { reportSkipped } from "./store-scan.ts"
import { usage } from "../usage-error.ts"

export const RESCORE_EVALUATORS = ["tau2", "support-desk"] as const
type RescoreEvaluator = (typeof RESCORE_EVALUATORS)[number]

const flags = {
  db: dbFlag,
  json: jsonFlag,
  run: Flag.String("run").pipe(Flag.withDescription("Re-score every ended episode of a run"), Flag.optional),
  episode: Flag.String("episode").pipe(Flag.withDescription("Re-score one ended episode"), Flag.optional),
  all: Flag.Boolean("all").pipe(Flag.withDescription("Re-score every ended episode in the store"), Flag.withDefault(false)),
  evaluator: Flag.Literals("evaluator", RESCORE_EVALUATORS).pipe(
    withShownDefault("tau2 (the reward) | support-desk (behaviour: confirm before write, escalation, grounded claims, unsafe actions)", "tau2"),
  ),
  evaluatorVersion: Flag.String("evaluator-version").pipe(Flag.withDescription("Version tag recorded with the new tau2 scores"), Flag.optional),
  dataDir: movedDataDirFlag,
  domain: movedDomainFlag,
  nlJudge: nlJudgeFlag,
  policyJudge: policyJudgeFlag,
  freshJudge: freshJudgeFlag,
  ...judgeCallFlags,
}

/** The scores a new one of `evaluator` is compared with: the reward family for tau2, the set's own for support-desk. */
const sameSet = (evaluator: RescoreEvaluator) => (s: ScoreRecord) => (evaluator === "tau2" ? isRewardEvaluator(s.evaluator) : isSupportDeskScore(s))

/** Where a score keeps its components: τ²'s `reward_breakdown`, support-desk's `breakdown`. */
const componentsOf = (evaluator: RescoreEvaluator, breakdown: unknown): Record<string, number | null> => {
  const b =
    breakdown && typeof breakdown === "object" ? (breakdown as Record<string, unknown>)[evaluator === "tau2" ? "reward_breakdown" : "breakdown"] : undefined
  return b && typeof b === "object" ? (b as Record<string, number | null>) : {}
}

/** Why a stored evaluation failed (`evaluator_error` in its breakdown), if it did. */
const errorOf = (breakdown: unknown): string | null => {
  const e = breakdown && typeof breakdown === "object" ? (breakdown as { evaluator_error?: unknown }).evaluator_error : undefined
  return typeof e === "string" ? e : null
}

const selectEpisodes = (f: { readonly run: Option.Option<string>; readonly episode: Option.Option<string>; readonly db: string }) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    if (Option.isSome(f.episode)) {
      const id = f.episode.value
      yield* requireEpisode(id, f.db)
      const row = yield* store.getEpisode(id)
      if (row?.status !== "ended")
        return yield* usage(`episode ${id} has not ended: only ended episodes are scored${row ? ` (finish it with tau run --resume ${row.runId})` : ""}`)
      return [row]
    }
    if (Option.isSome(f.run)) yield* requireRun(f.run.value, f.db)
    return yield* store.listEpisodes(Option.isSome(f.run) ? { runId: f.run.value, status: "ended" } : { status: "ended" })
  })

export const rescoreCommand = Command.make("rescore", flags, (f) =>
  // A command line that names no episodes (or several selections) is an error before any store is opened.
  ([Option.isSome(f.run), Option.isSome(f.episode), f.all].filter(Boolean).length !== 1
    ? Effect.fail(usage("give exactly one of --run ID, --episode ID or --all"))
    : Option.isSome(f.evaluatorVersion) && f.evaluator !== "tau2"
      ? Effect.fail(usage("--evaluator-version tags tau2 scores; support-desk scores carry their evaluator's own version"))
      : Option.isSome(f.policyJudge) && f.evaluator !== "support-desk"
        ? Effect.fail(usage("--policy-judge adds policy_adherence to support-desk: give it with --evaluator support-desk"))
        : f.nlJudge !== SCRIPTED_NL_JUDGE && f.evaluator !== "tau2"
          ? Effect.fail(usage("--nl-judge grades the NL assertions of tau2 scores; support-desk's judge is --policy-judge"))
          : Effect.void
  ).pipe(
    Effect.andThen(
      withExistingStore(
        f.db,
        Effect.gen(function* () {
          const store = yield* EventStore
          const evaluator = f.evaluator as RescoreEvaluator
          // Judges are built before anything is read: a spec that cannot be called (no API key) stops here.
          // A run's judge calls are costed with the prices the run recorded (the flags' go over them).
          const runtime = yield* judgeRuntime(f, recordedPricesOf(f.run))
          const nlJudge: NlJudge | undefined = f.nlJudge === SCRIPTED_NL_JUDGE ? undefined : yield* judgeFor(f.nlJudge, runtime)
          const policyJudge: PolicyJudge | undefined = Option.isSome(f.policyJudge) ? yield* policyJudgeFor(f.policyJudge.value, runtime) : undefined
          const episodes = yield* selectEpisodes(f)
          const rescoreOne = (ep: EpisodeRow) =>
            Effect.gen(function* () {
              const previous = (yield* store.listScores(ep.episodeId)).filter(sameSet(evaluator)).at(-1)
              const data = { dataDir: Option.getOrUndefined(f.dataDir), domain: Option.getOrUndefined(f.domain) }
              const loaded = yield* loadEpisode(ep.episodeId, data)
              // Scores of the data the episode ran on only: other data is a DataChanged error.
              yield* requireRecordedData(loaded)
              const task = yield* findTask(loaded.domain, loaded.final.started)
              const score =
                evaluator === "tau2"
                  ? yield* scoreEpisode(ep.episodeId, loaded.domain, task, loaded.final, {
                      evaluatorVersion: Option.getOrUndefined(f.evaluatorVersion),
                      ...(nlJudge ? { nlJudge } : {}),
                    })
                  : // The whole history (a fork's inherited prefix included): its patches are what each call changed.
                    yield* scoreSupportDesk(ep.episodeId, loaded.domain, task, loaded.final, loaded.events, { policyJudge })
              const row = {
                run_id: ep.runId,
                episode_id: ep.episodeId,
                task_id: ep.taskId,
                trial: ep.trial,
                old_reward: previous?.reward ?? null,
                new_reward: score.reward,
                changed: previous === undefined || previous.reward !== score.reward,
                components: changedComponents(componentsOf(evaluator, previous?.breakdown), componentsOf(evaluator, score.breakdown)),
                ...evaluatorJson(score.evaluator, score.evaluatorVersion),
                previous_evaluator: previous?.evaluator ?? null,
                previous_evaluator_version: previous?.evaluatorVersion ?? null,
                ...(evaluator === "support-desk" ? { breakdown: componentsOf(evaluator, score.breakdown), error: errorOf(score.breakdown) } : {}),
                ...(score.modelCalls ? judgeColumns(score) : {}),
              }
              if (f.json) yield* printJson(row)
              return row
            })
          // An episode that cannot be read or evaluated is named and skipped; the others are re-scored.
          const { done: rows, skipped } = yield* scanEpisodes(episodes, (ep) => ep.episodeId, rescoreOne)
          if (!f.json) {
            yield* print(
              table(
                ["episode", "task", "old", "new", "changed", "components (old -> new)"],
                rows.map((r) => [
                  r.episode_id,
                  r.task_id,
                  fmtReward(r.old_reward),
                  fmtReward(r.new_reward),
                  r.changed ? "yes" : "",
                  "error" in r && r.error !== null
                    ? `not evaluated: ${r.error}`
                    : r.components.map((c) => `${c.component} ${fmtReward(c.old)} -> ${fmtReward(c.new)}`).join(", "),
                ]),
              ),
            )
            yield* print(`\n${rows.length} episodes re-scored with ${evaluator}, ${rows.filter((r) => r.changed).length} changed reward`)
          }
          const judge = nlJudge ?? policyJudge
          if (judge) yield* progress(judgeCostLine(judge.name, runtime))
          yield* reportSkipped(skipped)
        }),
      ),
    ),
  ),
).pipe(Command.withDescription("Re-run an evaluator set (tau2 or support-desk) over stored episodes, appending new scores"))

/** What the judge's calls behind a score cost: `judge_calls`, `judge_reused` (answered from the store) and `judge_cost` (null: unknown). */
const judgeColumns = (score: ScoreRecord) => {
  const calls = score.modelCalls ?? []
  const cost = knownCost(calls)
  return {
    judge_calls: calls.length,
    judge_reused: calls.filter((c) => (c.response as { cached?: unknown } | null)?.cached !== undefined).length,
    judge_cost: cost.unpriced > 0 ? null : cost.known,
  }
}

interface ComponentChange {
  readonly component: string
  readonly old: number | null
  readonly new: number | null
}

/** Components whose value differs between two scores' components (a missing one is null). */
export const changedComponents = (previous: Record<string, number | null>, current: Record<string, number | null>): ComponentChange[] =>
  [...new Set([...Object.keys(previous), ...Object.keys(current)])]
    .filter((k) => (previous[k] ?? null) !== (current[k] ?? null))
    .map((k) => ({ component: k, old: previous[k] ?? null, new: current[k] ?? null }))
