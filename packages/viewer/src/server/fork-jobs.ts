/**
 * Forks started from the page, followed while they run. The viewer names each branch before it
 * starts (`ep_…`), hands it to the composition root's forker (the CLI runs `tau fork
 * --episode-id`), and answers the page as soon as the branch is stored (its start event) or the
 * fork failed before that. From then on `/api/forks/<id>` says how the branch stands: its own
 * events as they are stored, and whether the fork is still running, done or failed.
 *
 * Jobs live as long as this server (they are not records: the branch itself is in the store).
 */
import { randomUUID } from "node:crypto"
import { EventStore } from "@tau-sim/engine"
import { Deferred, Effect, Schedule, type Scope } from "effect"
import type { ForkFailed, ForkRequest } from "./http.ts"

/** Starts a branch with the given id and runs it to its end (the composition root decides how). */
export type Forker = (request: ForkRequest & { readonly childId: string }) => Effect.Effect<{ readonly episode_id: string }, ForkFailed>

export type ForkJobState = "running" | "done" | "failed"

export interface ForkJob {
  readonly episode_id: string
  readonly parent_episode_id: string
  readonly turn: number
  readonly state: () => ForkJobState
  readonly error: () => string | null
  /** Completes when the fork has ended, either way. */
  readonly ended: Effect.Effect<void>
}

export interface ForkJobs {
  /** Starts a fork; succeeds once its branch is stored, fails when the fork failed before that. */
  readonly start: (request: ForkRequest) => Effect.Effect<ForkJob, ForkFailed, EventStore>
  readonly get: (episodeId: string) => ForkJob | undefined
}

/** How often a starting fork's store is looked at for its branch (the child process writes it, nothing tells us). */
const STORED_POLL = "50 millis"

/** Jobs whose fibers belong to `scope`: closing it (the server stopping) interrupts them, and the forker stops its child. */
export const makeForkJobs = (forker: Forker, scope: Scope.Scope): ForkJobs => {
  const jobs = new Map<string, ForkJob>()
  return {
    get: (id) => jobs.get(id),
    start: (request) =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const childId = `ep_${randomUUID().replaceAll("-", "").slice(0, 12)}`
        const ended = yield* Deferred.make<void>()
        let state: ForkJobState = "running"
        let failure: ForkFailed | null = null
        const job: ForkJob = {
          episode_id: childId,
          parent_episode_id: request.episodeId,
          turn: request.atTurn,
          state: () => state,
          error: () => failure?.reason ?? null,
          ended: Deferred.await(ended),
        }
        yield* forker({ ...request, childId }).pipe(
          Effect.match({
            onFailure: (e) => {
              state = "failed"
              failure = e
            },
            onSuccess: () => {
              state = "done"
            },
          }),
          Effect.ensuring(Deferred.succeed(ended, undefined)),
          Effect.forkIn(scope),
        )
        const stored = store.getEpisode(childId).pipe(
          Effect.orElseSucceed(() => undefined),
          Effect.repeat({ until: (row) => row !== undefined, schedule: Schedule.spaced(STORED_POLL) }),
        )
        yield* Effect.raceFirst(Deferred.await(ended), Effect.asVoid(stored))
        // A fork refused before its branch was stored (no such turn, a bad spec) is the request's failure.
        const failed = failure as ForkFailed | null
        if (failed !== null && (yield* Effect.orElseSucceed(store.getEpisode(childId), () => undefined)) === undefined) return yield* failed
        jobs.set(childId, job)
        return job
      }),
  }
}
