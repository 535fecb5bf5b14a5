/** `tau rescore`: evaluate stored episodes again and append new scores (old ones are kept). */
import { EventStore } from "@tau-sim/engine"
import { findTask, loadEpisode, scoreEpisode } from "@tau-sim/replay"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { dbFlag, jsonFlag, print, printJson, withStore } from "./common.ts"

const flags = {
  db: dbFlag,
  json: jsonFlag,
  run: Flag.String("run").pipe(Flag.optional),
  all: Flag.Boolean("all").pipe(Flag.withDefault(false)),
  evaluatorVersion: Flag.String("evaluator-version").pipe(Flag.withDescription("Version tag recorded with the new scores"), Flag.optional),
}

export const rescoreCommand = Command.make("rescore", flags, (f) =>
  withStore(
    f.db,
    Effect.gen(function* () {
      const store = yield* EventStore
      if (Option.isNone(f.run) && !f.all) return yield* Effect.fail(new Error("give --run ID or --all"))
      const episodes = (yield* store.listEpisodes(Option.isSome(f.run) ? { runId: f.run.value, status: "ended" } : { status: "ended" }))
      const rows = []
      for (const ep of episodes) {
        const previous = (yield* store.listScores(ep.episodeId)).at(-1)
        const loaded = yield* loadEpisode(ep.episodeId)
        const task = findTask(loaded.domain, ep.taskId)
        const score = yield* scoreEpisode(ep.episodeId, loaded.domain, task, loaded.final, { evaluatorVersion: Option.getOrUndefined(f.evaluatorVersion) })
        const row = {
          episode_id: ep.episodeId,
          task_id: ep.taskId,
          old_reward: previous?.reward ?? null,
          new_reward: score.reward,
          changed: previous === undefined || previous.reward !== score.reward,
          evaluator: `${score.evaluator}@${score.evaluatorVersion}`,
        }
        rows.push(row)
        if (f.json) yield* printJson(row)
      }
      if (!f.json) {
        yield* print(table(["episode", "task", "old", "new", "changed"], rows.map((r) => [r.episode_id, r.task_id, fmtReward(r.old_reward), fmtReward(r.new_reward), r.changed ? "yes" : ""])))
        yield* print(`\n${rows.length} episodes re-scored, ${rows.filter((r) => r.changed).length} changed reward`)
      }
    }),
  ),
).pipe(Command.withDescription("Re-run the evaluators over stored episodes, appending new scores"))
