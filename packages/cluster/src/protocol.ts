/**
 * What travels through the cluster: one entity per unit of a run (a task × trial, addressed by its
 * deterministic episode id), with one message, `RunUnit`. The message carries only what the run
 * record does not: which unit, and how this submission wants model calls made. The worker reads
 * the run's configuration from the store, as a local `--resume` does.
 *
 * The message is persisted (stored in `cluster_messages` before it is delivered, so a dead runner
 * loses nothing: its shards' unprocessed messages are read again by their next owner), keyed
 * (`primaryKey`: sending a unit again, by a re-attaching `--follow`, joins the stored message and
 * its reply instead of adding one), uninterruptible from the client (stopping the submitter does
 * not stop the work), and interrupted at once when its entity moves to another runner: the episode
 * continues there from its last stored event. Delivery is at least once; the event log's
 * expected-version appends make a second delivery safe, and recorded model calls are never made again.
 */
import { ClusterSchema, Entity } from "effect/cluster"
import { Rpc } from "effect/rpc"
import { Schema } from "effect"

/** How the submitting command wants model calls made (its call flags), for the runner that plays the unit. */
export const CallOptions = Schema.Struct({
  timeoutMs: Schema.Number,
  maxRetries: Schema.Int,
  /** Requests per minute by provider key, enforced across the cluster (limits.ts). */
  rateLimits: Schema.Record(Schema.String, Schema.Number),
  /** Model calls in flight at once by provider, across the cluster (limits.ts). */
  concurrency: Schema.Record(Schema.String, Schema.Int),
  /** Answer identical requests from the store's recorded calls (`--cache`). */
  cache: Schema.Boolean,
})
export type CallOptions = typeof CallOptions.Type

/** A unit's end, as its runner saw it: the same fields as a local run's summary, and who ran it. */
export const UnitOutcome = Schema.Struct({
  runId: Schema.String,
  episodeId: Schema.String,
  taskId: Schema.String,
  trial: Schema.Int,
  terminationReason: Schema.String,
  reward: Schema.NullOr(Schema.Number),
  /** Whether this delivery played or scored it (false: it was already finished). */
  ran: Schema.Boolean,
  /** The runner that finished it (`host:port`). */
  runner: Schema.String,
  /** The model calls this delivery made, for its runner's log (the submitter totals a unit from its stored `ModelCalled` events: a unit moved between runners made calls on each). */
  usage: Schema.Struct({ calls: Schema.Int, cachedCalls: Schema.Int, failedCalls: Schema.Int, cost: Schema.Number, unpricedCalls: Schema.Int }),
})
export type UnitOutcome = typeof UnitOutcome.Type

/** A unit its runner could not play (the run is gone, its data differs there, the store failed, ...). */
export class UnitFailed extends Schema.TaggedError<UnitFailed>()("UnitFailed", {
  episodeId: Schema.String,
  runId: Schema.String,
  runner: Schema.String,
  reason: Schema.String,
}) {
  override get message(): string {
    return `episode ${this.episodeId} of run ${this.runId} failed on runner ${this.runner}: ${this.reason}`
  }
}

export const RunUnit = Rpc.make("RunUnit", {
  payload: {
    runId: Schema.String,
    taskId: Schema.String,
    trial: Schema.Int,
    seed: Schema.Int,
    calls: CallOptions,
    /** Try again a unit whose latest attempt ended with `infrastructure_error` (`--retry-errors`). */
    retryErrors: Schema.Boolean,
    /** Attempts per unit for this submission (`--max-attempts`, a resume's override); absent: the run's own. */
    maxAttempts: Schema.optional(Schema.Int),
  },
  success: UnitOutcome,
  error: UnitFailed,
  primaryKey: (p) => `${p.runId}/${p.taskId}/${p.trial}`,
})
  .annotate(ClusterSchema.Persisted, true)
  .annotate(ClusterSchema.Uninterruptible, "client")
  .annotate(ClusterSchema.InterruptOnTermination, true)

/** Entity type of run units; the entity id is the unit's episode id (`episodeIdFor(run, task, trial)`). */
export const EPISODE_ENTITY = "TauEpisode"

export const EpisodeEntity = Entity.make(EPISODE_ENTITY, [RunUnit])
