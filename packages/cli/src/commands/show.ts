/**
 * `tau show`: one episode: lineage, messages and tool calls, world diff, score history. An episode
 * that cannot be read is an error naming the episode and seq; data that changed since the episode
 * was recorded is a warning.
 */
import { diff, EventStore, materialize, type PyValue } from "@tau-sim/engine"
import { forksRunOf } from "@tau-sim/runs"
import { loadEpisode } from "@tau-sim/replay"
import { Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { dbFlag, jsonFlag, movedDataDirFlag, print, printJson, withExistingStore } from "./common.ts"
import { requireEpisode, warnDataChanges } from "./replay.ts"

const flags = { db: dbFlag, json: jsonFlag, dataDir: movedDataDirFlag, episode: Argument.String("episode") }

export const showCommand = Command.make("show", flags, (f) =>
  withExistingStore(
    f.db,
    Effect.gen(function* () {
      const store = yield* EventStore
      yield* requireEpisode(f.episode, f.db)
      const options = { dataDir: Option.getOrUndefined(f.dataDir) }
      const loaded = yield* loadEpisode(f.episode, options)
      const started = loaded.final.started
      // The log is the record: a missing read-model row is rebuilt from it.
      const row = (yield* store.getEpisode(f.episode)) ?? {
        episodeId: f.episode,
        runId: started.runId,
        domain: started.domain,
        taskId: started.taskId,
        trial: started.trial,
        status: loaded.final.ended ? ("ended" as const) : ("running" as const),
        terminationReason: loaded.final.ended,
        version: loaded.events.length - loaded.inherited,
        parentEpisodeId: started.parent?.episodeId ?? null,
        parentSeq: started.parent?.seq ?? null,
        reward: null,
      }
      yield* warnDataChanges(loaded)
      const lineage: Array<{ episode_id: string; fork_seq: number | null }> = []
      let cursor = row
      while (cursor) {
        lineage.unshift({ episode_id: cursor.episodeId, fork_seq: cursor.parentSeq })
        if (!cursor.parentEpisodeId) break
        const parent = yield* store.getEpisode(cursor.parentEpisodeId)
        if (!parent) break
        cursor = parent
      }
      // Forks of a fork are in the same forks run as their parent.
      const { runId: forksRun } = yield* forksRunOf(row.runId)
      const children = (yield* store.listEpisodes({ runId: forksRun })).filter((e) => e.parentEpisodeId === row.episodeId)
      const scores = yield* store.listScores(f.episode)
      const worldDiff = diff(materialize(loaded.domain.initialWorld) as PyValue, materialize(loaded.final.world) as PyValue)
      const messages = loaded.final.trajectory.map((m, turn) =>
        m.role === "tool"
          ? { turn, role: "tool", requestor: m.requestor, id: m.id, error: m.error, content: m.content, inherited: m.seq < loaded.inherited }
          : {
              turn,
              role: m.role,
              content: m.content,
              tool_calls: m.toolCalls?.map((c) => ({ id: c.id, name: c.name, arguments: c.argumentsJson })) ?? null,
              inherited: m.seq < loaded.inherited,
            },
      )
      const out = {
        episode_id: row.episodeId,
        run_id: row.runId,
        domain: row.domain,
        task_id: row.taskId,
        trial: row.trial,
        status: row.status,
        termination_reason: row.terminationReason,
        agent: loaded.final.started.agent,
        user: loaded.final.started.user,
        lineage,
        children: children.map((c) => ({ episode_id: c.episodeId, fork_seq: c.parentSeq, reward: c.reward })),
        messages,
        world_diff: worldDiff,
        scores: scores.map((s) => ({
          evaluator: s.evaluator,
          version: s.evaluatorVersion,
          reward: s.reward,
          recorded_at: s.recordedAt,
          breakdown: s.breakdown,
        })),
      }
      if (f.json) return yield* printJson(out)
      yield* print(
        `episode ${out.episode_id}  run ${out.run_id}  ${out.domain}/${out.task_id} trial ${out.trial}  ${out.status} (${out.termination_reason ?? "-"})`,
      )
      yield* print(`agent ${out.agent}, user ${out.user}`)
      yield* print(`lineage: ${lineage.map((l) => (l.fork_seq === null ? l.episode_id : `${l.episode_id} (forked at event ${l.fork_seq})`)).join(" -> ")}`)
      if (out.children.length) yield* print(`forks: ${out.children.map((c) => c.episode_id).join(", ")}`)
      yield* print("")
      for (const m of messages) {
        const mark = m.inherited ? "·" : " "
        if (m.role === "tool") yield* print(`${mark}${String(m.turn).padStart(3)} tool[${m.id}]${m.error ? " ERROR" : ""}: ${m.content}`)
        else {
          if (m.content !== null) yield* print(`${mark}${String(m.turn).padStart(3)} ${m.role}: ${m.content}`)
          for (const c of m.tool_calls ?? []) yield* print(`${mark}${String(m.turn).padStart(3)} ${m.role} calls ${c.name}(${c.arguments}) [${c.id}]`)
        }
      }
      yield* print(`\nworld diff (${worldDiff.length} changes):`)
      for (const op of worldDiff) yield* print(`  ${op.op} ${op.path}${"value" in op ? ` = ${JSON.stringify(op.value)}` : ""}`)
      yield* print("\nscores:")
      yield* print(
        table(
          ["evaluator", "version", "reward", "recorded at"],
          out.scores.map((s) => [s.evaluator, s.version, fmtReward(s.reward), s.recorded_at]),
        ),
      )
    }),
  ),
).pipe(Command.withDescription("Show an episode: messages, tool calls, world diff, lineage and every score"))
