/** `tau rescore`: evaluate stored episodes again and append new scores (old ones are kept). */
import { type EpisodeRow, EventStore } from "@tau-sim/engine"
import { findTask } from "@tau-sim/runs"
import { loadEpisode, requireRecordedData, requireRun, scanEpisodes } from "@tau-sim/replay"
import { scoreEpisode } from "@tau-sim/evaluators"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { dbFlag, jsonFlag, movedDataDirFlag, print, printJson, withExistingStore } from "./common.ts"
import { reportSkipped } from "./store-scan.ts"
import { usage } from "../usage-error.ts"

const flags = {
  db: dbFlag,
  json: jsonFlag,
  run: Flag.String("run").pipe(Flag.optional),
  all: Flag.Boolean("all").pipe(Flag.withDefault(false)),
  evaluatorVersion: Flag.String("evaluator-version").pipe(Flag.withDescription("Version tag recorded with the new scores"), Flag.optional),
  dataDir: movedDataDirFlag,
}

export const rescoreCommand = Command.make("rescore", flags, (f) =>
  // A command line that names no episodes is an error before any store is opened.
  (Option.isNone(f.run) && !f.all ? Effect.fail(usage("give --run ID or --all")) : Effect.void).pipe(
    Effect.andThen(
      withExistingStore(
        f.db,
        Effect.gen(function* () {
          const store = yield* EventStore
          if (Option.isSome(f.run)) yield* requireRun(f.run.value, f.db)
          const episodes = yield* store.listEpisodes(Option.isSome(f.run) ? { runId: f.run.value, status: "ended" } : { status: "ended" })
          const rescoreOne = (ep: EpisodeRow) =>
            Effect.gen(function* () {
              const previous = (yield* store.listScores(ep.episodeId)).at(-1)
              const data = { dataDir: Option.getOrUndefined(f.dataDir) }
              const loaded = yield* loadEpisode(ep.episodeId, data)
              // Scores of the data the episode ran on only: other data is a DataChanged error.
              yield* requireRecordedData(loaded)
              const task = yield* findTask(loaded.domain, loaded.final.started)
              const score = yield* scoreEpisode(ep.episodeId, loaded.domain, task, loaded.final, {
                evaluatorVersion: Option.getOrUndefined(f.evaluatorVersion),
              })
              const components = changedComponents(previous?.breakdown, score.breakdown)
              const row = {
                episode_id: ep.episodeId,
                task_id: ep.taskId,
                old_reward: previous?.reward ?? null,
                new_reward: score.reward,
                changed: previous === undefined || previous.reward !== score.reward,
                components,
                evaluator: `${score.evaluator}@${score.evaluatorVersion}`,
                previous_evaluator: previous ? `${previous.evaluator}@${previous.evaluatorVersion}` : null,
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
                  r.components.map((c) => `${c.component} ${fmtReward(c.old)} -> ${fmtReward(c.new)}`).join(", "),
                ]),
              ),
            )
            yield* print(`\n${rows.length} episodes re-scored, ${rows.filter((r) => r.changed).length} changed reward`)
          }
          yield* reportSkipped(skipped)
        }),
      ),
    ),
  ),
).pipe(Command.withDescription("Re-run the evaluators over stored episodes, appending new scores"))

interface ComponentChange {
  readonly component: string
  readonly old: number | null
  readonly new: number | null
}

const breakdownOf = (b: unknown): Record<string, number> => {
  const rb = b && typeof b === "object" ? (b as { reward_breakdown?: unknown }).reward_breakdown : undefined
  return rb && typeof rb === "object" ? (rb as Record<string, number>) : {}
}

/** Reward components (DB, ACTION, ...) whose value differs between two score breakdowns. */
export const changedComponents = (previous: unknown, current: unknown): ComponentChange[] => {
  const a = breakdownOf(previous)
  const b = breakdownOf(current)
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).map((k) => ({ component: k, old: a[k] ?? null, new: b[k] ?? null }))
}
