/**
 * Commands that read many episodes (report, export, rescore, replay --all) go on past an episode
 * they cannot read or evaluate: it is named with the row and the reason, the others are still
 * processed, and the command says at the end what it skipped. A run id that is not in the store
 * is an error, never an empty result.
 */
import { EventStore, type RunRecord } from "@tau-sim/engine"
import { Cause, Effect, Result, Schema } from "effect"

export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  runId: Schema.String,
  /** The store looked in (the CLI's `--db`), when the caller knows it. */
  store: Schema.optional(Schema.String),
}) {
  override get message(): string {
    return `run ${this.runId} not found${this.store === undefined ? "" : ` in ${this.store}`}`
  }
}

/** The run record, or `RunNotFound` (naming `store`, the file looked in, when given). */
export const requireRun = (runId: string, store?: string) =>
  Effect.gen(function* () {
    const run: RunRecord | undefined = yield* (yield* EventStore).getRun(runId)
    if (run === undefined) return yield* new RunNotFound(store === undefined ? { runId } : { runId, store })
    return run
  })

export interface SkippedEpisode {
  readonly episode_id: string
  /** The unreadable event of this episode, when the failure names one. */
  readonly seq: number | null
  readonly reason: string
}

const fieldOf = (error: unknown, key: "episodeId" | "seq"): unknown =>
  error !== null && typeof error === "object" ? (error as Record<string, unknown>)[key] : undefined

/** What went wrong with an episode (a `StoreError` of an unreadable row carries its episode and seq). */
export const skippedOf = (episodeId: string, error: unknown): SkippedEpisode => {
  const seq = fieldOf(error, "seq")
  const at = fieldOf(error, "episodeId")
  const message = error instanceof Error ? error.message : String(error)
  const elsewhere = typeof at === "string" && at !== episodeId
  return {
    episode_id: episodeId,
    seq: typeof seq === "number" && !elsewhere ? seq : null,
    // A fork reads its parent's prefix: the bad row may be the parent's.
    reason: elsewhere ? `in episode ${at} it branches from: ${message}` : message,
  }
}

export interface Scanned<A> {
  readonly done: ReadonlyArray<A>
  readonly skipped: ReadonlyArray<SkippedEpisode>
}

/**
 * Runs `f` for every item in order. A failure of one item, including a defect raised by malformed
 * but decodable data, skips that item only, so one bad row never blocks the store; an
 * interruption (a signal) still stops the whole scan.
 */
export const scanEpisodes = <T, A, E, R>(
  items: Iterable<T>,
  episodeIdOf: (item: T) => string,
  f: (item: T) => Effect.Effect<A, E, R>,
): Effect.Effect<Scanned<A>, never, R> =>
  Effect.gen(function* () {
    const done: A[] = []
    const skipped: SkippedEpisode[] = []
    for (const item of items) {
      const outcome = yield* f(item).pipe(
        Effect.map((a): Result.Result<A, SkippedEpisode> => Result.succeed(a)),
        Effect.catchCause((cause) =>
          Cause.hasInterruptsOnly(cause)
            ? Effect.failCause(cause as Cause.Cause<never>)
            : Effect.succeed(Result.fail(skippedOf(episodeIdOf(item), Cause.squash(cause)))),
        ),
      )
      if (Result.isSuccess(outcome)) done.push(outcome.success)
      else skipped.push(outcome.failure)
    }
    return { done, skipped }
  })

/** `ep_x (seq 3): reason`. */
export const describeSkipped = (s: SkippedEpisode): string => `${s.episode_id}${s.seq === null ? "" : ` (seq ${s.seq})`}: ${s.reason}`
