/** `tau replay`: rebuild episodes from their events; `--verify` re-executes every tool and compares. */
import { diff, EventStore, materialize, type Node, type PyValue } from "@tau-sim/engine"
import { loadEpisode, verifyEpisode } from "@tau-sim/replay"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { table } from "../table.ts"
import { dbFlag, jsonFlag, print, printJson, withStore } from "./common.ts"

const flags = {
  db: dbFlag,
  json: jsonFlag,
  episode: Argument.String("episode").pipe(Argument.optional),
  run: Flag.String("run").pipe(Flag.withDescription("Replay every episode of a run"), Flag.optional),
  all: Flag.Boolean("all").pipe(Flag.withDescription("Replay every episode in the store"), Flag.withDefault(false)),
  verify: Flag.Boolean("verify").pipe(Flag.withDescription("Re-execute every tool and compare with the record"), Flag.withDefault(false)),
  atTurn: Flag.Int("at-turn").pipe(Flag.withDescription("Show the world as it was when turn N was produced"), Flag.optional),
}

const worldDiff = (before: Node, after: Node) => diff(materialize(before) as PyValue, materialize(after) as PyValue)

export const replayCommand = Command.make("replay", flags, (f) =>
  withStore(
    f.db,
    Effect.gen(function* () {
      const store = yield* EventStore
      let ids: string[]
      if (Option.isSome(f.episode)) ids = [f.episode.value]
      else if (Option.isSome(f.run)) ids = (yield* store.listEpisodes({ runId: f.run.value })).map((e) => e.episodeId)
      else if (f.all) ids = (yield* store.listEpisodes()).map((e) => e.episodeId)
      else return yield* Effect.fail(new Error("give an episode id, --run ID or --all"))
      const rows: Array<Record<string, unknown>> = []
      let failures = 0
      for (const id of ids) {
        const loaded = yield* loadEpisode(id)
        const row: Record<string, unknown> = { episode_id: id, events: loaded.events.length, turns: loaded.final.trajectory.length, ended: loaded.final.ended }
        if (Option.isSome(f.atTurn)) {
          const at = loaded.states.findIndex((s) => s.trajectory.length > f.atTurn.pipe(Option.getOrElse(() => 0)))
          if (at < 0) return yield* Effect.fail(new Error(`episode ${id} has no turn ${f.atTurn.value}`))
          row.at_turn = f.atTurn.value
          row.world_changes = worldDiff(loaded.domain.initialWorld, loaded.states[at].world)
        }
        if (f.verify) {
          const verdict = yield* verifyEpisode(id).pipe(Effect.result)
          if (verdict._tag === "Failure") {
            failures++
            const e = verdict.failure
            row.verified = false
            row.violation =
              e._tag === "DeterminismViolation"
                ? { episode: e.episodeId, seq: e.seq, tool: e.tool, path: e.path, recorded: e.recorded, replayed: e.replayed }
                : { message: e.message }
          } else row.verified = true
        }
        rows.push(row)
        if (f.json) yield* printJson(row)
      }
      if (!f.json) {
        yield* print(
          table(
            ["episode", "events", "turns", "ended", ...(f.verify ? ["verified"] : [])],
            rows.map((r) => [r.episode_id, r.events, r.turns, r.ended, ...(f.verify ? [r.verified ? "ok" : "VIOLATION"] : [])]),
          ),
        )
        for (const r of rows) {
          if (r.violation) yield* print(`\n${r.episode_id}: ${JSON.stringify(r.violation)}`)
          if (r.world_changes) yield* print(`\n${r.episode_id} world at turn ${r.at_turn} (changes from the base database):\n${JSON.stringify(r.world_changes, null, 2)}`)
        }
        yield* print(`\n${rows.length} episodes replayed${f.verify ? `, ${rows.length - failures} verified, ${failures} violations` : ""}`)
      }
      if (failures > 0) process.exitCode = 2
    }),
  ),
).pipe(Command.withDescription("Rebuild episodes from their event logs; --verify re-executes and compares"))
