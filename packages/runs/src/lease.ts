/**
 * One process at a time works on a run (or on a fork being continued): it holds the store's lease
 * `run:<id>` (or `episode:<id>`) and renews it with heartbeats. A second process is refused with
 * the holder's pid and host instead of racing the first into version conflicts and double scores.
 * A holder killed with -9 leaves a lease that is taken over (its pid is gone, or its heartbeat
 * stopped).
 */
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { EventStore, type LeaseHolder, nowIso } from "@tau-sim/engine"
import { Effect, Schema } from "effect"

/** A holder whose heartbeat is older than this is presumed dead (on another host: no pid check). */
export const LEASE_STALE_AFTER_MS = 30_000
const HEARTBEAT_MS = 5_000

/** Someone else is working on the run (or episode) right now. */
export class LeaseBusy extends Schema.TaggedError<LeaseBusy>()("LeaseBusy", {
  /** What is held, e.g. `run run_x`, `episode ep_y`. */
  subject: Schema.String,
  pid: Schema.Int,
  host: Schema.String,
  since: Schema.String,
}) {
  override get message(): string {
    return `${this.subject} is being run or resumed by pid ${this.pid} on host ${this.host} (since ${this.since}); wait for it to finish, or stop that process first`
  }
}

/** Our lease was taken over (our heartbeats stalled for too long); we stop before racing the new holder. */
export class LeaseLost extends Schema.TaggedError<LeaseLost>()("LeaseLost", { subject: Schema.String }) {
  override get message(): string {
    return `${this.subject}: another process took over while this one was stalled; stopped here (what was stored is kept)`
  }
}

export const runLease = (runId: string) => ({ name: `run:${runId}`, subject: `run ${runId}` })
export const episodeLease = (episodeId: string) => ({ name: `episode:${episodeId}`, subject: `episode ${episodeId}` })

/** Runs `body` holding the lease; fails with `LeaseBusy` (nothing done) when another live process holds it. */
export const withLease =
  (lease: { readonly name: string; readonly subject: string }) =>
  <A, E, R>(body: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const store = yield* EventStore
      // biome-ignore lint/plugin: a holder's id tells processes apart (mutual exclusion), so it is never from a seedable generator
      const holder: LeaseHolder = { id: randomUUID(), pid: process.pid, host: hostname(), acquiredAt: yield* nowIso }
      return yield* Effect.acquireUseRelease(
        store
          .acquireLease(lease.name, holder, LEASE_STALE_AFTER_MS)
          .pipe(
            Effect.flatMap((r) =>
              r.acquired
                ? Effect.void
                : Effect.fail(new LeaseBusy({ subject: lease.subject, pid: r.holder.pid, host: r.holder.host, since: r.holder.acquiredAt })),
            ),
          ),
        () => {
          // Completes only by failing: when the lease is gone, the work is stopped.
          const heartbeat = Effect.gen(function* () {
            for (;;) {
              yield* Effect.sleep(HEARTBEAT_MS)
              if (!(yield* store.renewLease(lease.name, holder.id))) return yield* new LeaseLost({ subject: lease.subject })
            }
          })
          return Effect.raceFirst(body, heartbeat)
        },
        () => store.releaseLease(lease.name, holder.id).pipe(Effect.ignore),
      )
    })
