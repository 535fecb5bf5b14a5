/**
 * Everything a store holds as the engine reads it (runs, episode rows, decoded events, scores),
 * one JSON line per record in a fixed order: the golden store's library-level expectation. The CLI
 * outputs never print a model request, so without this a read path that rebuilt old requests
 * wrongly (message pooling) would go unnoticed.
 *
 *   node packages/cli/test/golden-dump.ts ENGINE_INDEX DB   (what scripts/golden-store.ts runs)
 *
 * The engine is passed in, not imported, so that the generator dumps with the code that wrote
 * the store and the test with today's.
 */
import type { EventStoreShape } from "@tau-sim/engine"
import { Effect } from "effect"

/** Ordered by id (runs, episodes), then seq (events) and stored order (scores); not by table row order. */
export const dumpStore = (store: EventStoreShape): Effect.Effect<string, unknown> =>
  Effect.gen(function* () {
    const lines: Array<unknown> = []
    const byId =
      <A>(key: (a: A) => string) =>
      (a: A, b: A) =>
        key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0
    for (const run of [...(yield* store.listRuns())].sort(byId((r) => r.runId))) lines.push({ run })
    for (const episode of [...(yield* store.listEpisodes())].sort(byId((e) => e.episodeId))) {
      lines.push({ episode })
      for (const event of yield* store.read(episode.episodeId)) lines.push({ event })
      for (const score of yield* store.listScores(episode.episodeId)) lines.push({ score })
    }
    return lines.map((l) => `${JSON.stringify(l)}\n`).join("")
  })

if (import.meta.main) {
  const [engineIndex, db] = process.argv.slice(2)
  const engine = (await import(engineIndex!)) as typeof import("@tau-sim/engine")
  const handle = engine.openSqliteStore(db!)
  try {
    process.stdout.write(await Effect.runPromise(dumpStore(handle.store)))
  } finally {
    handle.close()
  }
}
