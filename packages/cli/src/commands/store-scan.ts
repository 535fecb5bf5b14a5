/** How commands that read many episodes say what they skipped, and name the store a run is missing from. */
import { describeSkipped, RunNotFound, type SkippedEpisode } from "@tau-sim/replay"
import { Effect } from "effect"

/** Exit code of a command that finished but skipped episodes it could not read. */
export const SKIPPED_EXIT_CODE = 3

/** Names every skipped episode on standard error and sets the exit code; nothing when none were. */
export const reportSkipped = (skipped: ReadonlyArray<SkippedEpisode>) =>
  Effect.sync(() => {
    if (skipped.length === 0) return
    const lines = skipped.map((s) => `  ${describeSkipped(s)}\n`).join("")
    process.stderr.write(`${skipped.length} episode${skipped.length === 1 ? "" : "s"} skipped (the others were processed):\n${lines}`)
    process.exitCode = SKIPPED_EXIT_CODE
  })

/** A `RunNotFound` from the store at `db` says which file it looked in. */
export const namingStore =
  (db: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    effect.pipe(Effect.mapError((e) => (e instanceof RunNotFound && e.store === undefined ? (new RunNotFound({ runId: e.runId, store: db }) as E) : e)))
