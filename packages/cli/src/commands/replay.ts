/**
 * `tau replay`: rebuild episodes from their events; `--verify` checks each one (integrity of its
 * streams, recorded data hashes, re-execution of every tool) and lists what it found. An episode
 * that cannot be read is named and the others go on.
 */
import { diff, EventStore, materialize, type Node, PyJson, type PyValue } from "@tau-sim/engine"
import {
  dataChanges,
  EpisodeNotFound,
  findingRecord,
  type LoadOptions,
  loadEpisode,
  type ReplayedEpisode,
  requireRun,
  scanEpisodes,
  taskOfEpisode,
  verifyEpisode,
} from "@tau-sim/replay"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { table } from "../table.ts"
import { dbFlag, jsonFlag, movedDataDirFlag, movedDomainFlag, nonNegativeInt, print, progress, withExistingStore } from "./common.ts"
import { printJsonLine } from "../json-output.ts"
import { reportSkipped } from "./store-scan.ts"
import { usage } from "../usage-error.ts"

/** Exit code when verification found something wrong with an episode. */
export const FINDINGS_EXIT_CODE = 2

const flags = {
  db: dbFlag,
  json: jsonFlag,
  dataDir: movedDataDirFlag,
  domain: movedDomainFlag,
  episode: Argument.String("episode").pipe(Argument.optional),
  run: Flag.String("run").pipe(Flag.withDescription("Replay every episode of a run"), Flag.optional),
  all: Flag.Boolean("all").pipe(Flag.withDescription("Replay every episode in the store"), Flag.withDefault(false)),
  verify: Flag.Boolean("verify").pipe(
    Flag.withDescription("Check the log (seqs, hash chain, read model), the recorded data hashes, and re-execute every tool; exit 2 on any finding"),
    Flag.withDefault(false),
  ),
  atTurn: nonNegativeInt("at-turn").pipe(Flag.withDescription("Show the world as it was when turn N was produced"), Flag.optional),
}

const worldDiff = (before: Node, after: Node) => diff(materialize(before) as PyValue, materialize(after) as PyValue)

/** An episode id given on the command line must name a stream or a read-model row. */
export const requireEpisode = (episodeId: string, db: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    if ((yield* store.getEpisode(episodeId)) !== undefined) return
    if ((yield* store.read(episodeId, { toSeq: 1 }).pipe(Effect.orElseSucceed(() => [null]))).length > 0) return
    return yield* new EpisodeNotFound({ episodeId, store: db })
  })

/** Warns (on standard error) when an episode shown as recorded ran on other data, or its task is gone: the record is still shown. */
export const warnDataChanges = (loaded: ReplayedEpisode) =>
  taskOfEpisode(loaded).pipe(
    Effect.map((task) => dataChanges(loaded, task).map((c) => c.message)),
    Effect.catchTag("TaskMissing", (e) => Effect.succeed([e.message])),
    Effect.flatMap((warnings) => Effect.forEach(warnings, (w) => progress(`warning: ${w}`), { discard: true })),
  )

export const replayCommand = Command.make("replay", flags, (f) =>
  // A command line that names no episodes is an error before any store is opened.
  (Option.isNone(f.episode) && Option.isNone(f.run) && !f.all ? Effect.fail(usage("give an episode id, --run ID or --all")) : Effect.void).pipe(
    Effect.andThen(
      withExistingStore(
        f.db,
        Effect.gen(function* () {
          const store = yield* EventStore
          const options: LoadOptions = { dataDir: Option.getOrUndefined(f.dataDir), domain: Option.getOrUndefined(f.domain) }
          let ids: string[] = []
          if (Option.isSome(f.episode)) {
            yield* requireEpisode(f.episode.value, f.db)
            ids = [f.episode.value]
          } else if (Option.isSome(f.run)) {
            yield* requireRun(f.run.value, f.db)
            ids = (yield* store.listEpisodes({ runId: f.run.value })).map((e) => e.episodeId)
          } else if (f.all) {
            // Streams without a read-model row (deleted or never written) are part of the store too.
            const listed = (yield* store.listEpisodes()).map((e) => e.episodeId)
            const known = new Set(listed)
            ids = [...listed, ...(yield* store.listStreamIds()).filter((id) => !known.has(id))]
          }

          const atTurn = (loaded: ReplayedEpisode, turn: number) =>
            Effect.gen(function* () {
              const at = loaded.states.findIndex((s) => s.trajectory.length > turn)
              if (at < 0) return yield* usage(`episode ${loaded.episodeId} has no turn ${turn}`)
              return { at_turn: turn, world_changes: worldDiff(loaded.domain.initialWorld, loaded.states[at].world) }
            })

          const replayOne = (id: string) =>
            Effect.gen(function* () {
              const verdict = f.verify ? yield* verifyEpisode(id, options) : undefined
              // Verify already loaded the episode when it could; otherwise an unreadable one is skipped.
              const loaded = verdict ? verdict.episode : yield* loadEpisode(id, options)
              const started = loaded?.final.started
              const row: Record<string, unknown> = {
                run_id: started?.runId ?? null,
                episode_id: id,
                task_id: started?.taskId ?? null,
                trial: started?.trial ?? null,
                events: loaded?.events.length ?? verdict?.events ?? null,
                turns: loaded?.final.trajectory.length ?? null,
                termination_reason: loaded?.final.ended ?? null,
              }
              if (loaded && Option.isSome(f.atTurn)) Object.assign(row, yield* atTurn(loaded, f.atTurn.value))
              if (verdict) {
                row.verified = verdict.verified
                row.findings = verdict.findings.map(findingRecord)
                row.chain_sealed_from = verdict.seal ?? null
              } else if (loaded) yield* warnDataChanges(loaded)
              if (f.json) yield* printJsonLine(row)
              return row
            })

          const { done: rows, skipped } = yield* scanEpisodes(ids, (id) => id, replayOne)
          const withFindings = rows.filter((r) => r.verified === false)
          if (!f.json) {
            const kinds = (r: Record<string, unknown>) => [...new Set((r.findings as Array<{ kind: string }>).map((x) => x.kind))].join(", ")
            yield* print(
              table(
                ["episode", "events", "turns", "ended", ...(f.verify ? ["verified", "findings"] : [])],
                rows.map((r) => [
                  r.episode_id,
                  r.events,
                  r.turns ?? "-",
                  r.termination_reason ?? "-",
                  ...(f.verify ? [r.verified ? "ok" : "NO", kinds(r)] : []),
                ]),
              ),
            )
            for (const r of withFindings) {
              yield* print(`\n${r.episode_id}:`)
              for (const x of r.findings as Array<ReturnType<typeof findingRecord>>) {
                yield* print(`  ${x.episode_id === r.episode_id ? "" : `${x.episode_id} `}seq ${x.seq ?? "-"} ${x.kind}: ${x.detail}`)
              }
            }
            for (const r of rows) {
              if (r.world_changes)
                yield* print(`\n${r.episode_id} world at turn ${r.at_turn} (changes from the base database):\n${PyJson.stringify(r.world_changes, 2)}`)
            }
            yield* print(
              `\n${rows.length} episodes replayed${f.verify ? `, ${rows.length - withFindings.length} verified, ${withFindings.length} with findings` : ""}`,
            )
          }
          yield* reportSkipped(skipped)
          if (withFindings.length > 0) process.exitCode = FINDINGS_EXIT_CODE
        }),
      ),
    ),
  ),
).pipe(Command.withDescription("Rebuild episodes from their event logs; --verify checks the log, the data and every tool"))
