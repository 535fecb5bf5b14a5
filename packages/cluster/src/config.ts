/**
 * The one place that says how the cluster is shaped and timed (ADR 0009). Every process of a
 * cluster (each `tau worker`, each submitting `tau run|experiment --distributed`) builds its
 * `ShardingConfig` from here and from nothing else: not from the environment variables that
 * effect/cluster's own `layerFromEnv` would read (`PORT`, `HOST`, `SHARDS_PER_GROUP`, ...).
 *
 * The shard count must be the same in every process: with another count a process hashes
 * entities to shards the others do not have, and its messages wait forever, silently. So the
 * first process records its count in the database (`tau_cluster_settings`), and every later one
 * checks it (`checkShardCount`) and refuses to start with another.
 */
import { ShardingConfig } from "effect/cluster"
import type { RunnerAddress } from "effect/cluster/RunnerAddress"
import { Duration, Effect, Option, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"

/** Shards of the one shard group. Many more than runners, so that a runner's share moves in small pieces. */
export const DEFAULT_SHARDS = 64

/** `TAU_CLUSTER_SHARDS` is not a whole number ≥ 1. */
export class BadShardCount extends Schema.TaggedError<BadShardCount>()("BadShardCount", { given: Schema.String }) {
  override get message(): string {
    return `TAU_CLUSTER_SHARDS must be a whole number ≥ 1 (the same in every worker and submitter), got ${JSON.stringify(this.given)}; unset it for the default ${DEFAULT_SHARDS}`
  }
}

/**
 * The shard count of this process: `TAU_CLUSTER_SHARDS` when set (the same value is then needed in
 * every process, which `checkShardCount` enforces), else `DEFAULT_SHARDS`.
 */
export const shardCount = (env: NodeJS.ProcessEnv = process.env): Effect.Effect<number, BadShardCount> => {
  const given = env.TAU_CLUSTER_SHARDS
  if (given === undefined || given === "") return Effect.succeed(DEFAULT_SHARDS)
  const n = Number(given)
  return Number.isSafeInteger(n) && n >= 1 ? Effect.succeed(n) : Effect.fail(new BadShardCount({ given }))
}

/**
 * Timings, tuned for failover in seconds rather than effect/cluster's defaults (a dead runner's
 * episodes waited about 34 s there; about 4 s with these, measured in the bench):
 *
 * - a runner refreshes its shard locks every second and they expire after 3 s (Postgres also ends
 *   a frozen runner's lock session after 3 s idle), so a killed runner's shards are free within ~3 s;
 * - runners re-read membership and assignments every 0.5 s, ping each other every second, and poll
 *   for messages every 0.5 s (a message sent to a shard whose owner just changed is picked up then);
 * - a submitter polls for replies every 0.2 s;
 * - an entity moved to another runner (a runner joined or drained) is interrupted at once
 *   (`InterruptOnTermination`, see protocol.ts): its episode continues on the new owner from its
 *   last stored event.
 */
export const CLUSTER_TIMINGS = {
  shardLockRefreshInterval: Duration.seconds(1),
  shardLockExpiration: Duration.seconds(3),
  refreshAssignmentsInterval: Duration.millis(500),
  runnerHealthCheckInterval: Duration.seconds(1),
  entityMessagePollInterval: Duration.millis(500),
  entityReplyPollInterval: Duration.millis(200),
  sendRetryInterval: Duration.millis(100),
  entityTerminationTimeout: Duration.seconds(5),
  entityMaxIdleTime: Duration.seconds(30),
} as const

/** Prefix of effect/cluster's own tables (`cluster_messages`, `cluster_replies`, `cluster_runners`, ...). */
export const TABLE_PREFIX = "cluster"

/** The sharding configuration of a runner at `address`, or of a client-only process (`address` none). */
export const shardingConfig = (address: Option.Option<RunnerAddress>, shards: number): ShardingConfig.ShardingConfig["Service"] => ({
  ...ShardingConfig.defaults,
  ...CLUSTER_TIMINGS,
  runnerAddress: address,
  runnerListenAddress: Option.none(),
  shardsPerGroup: shards,
  availableShardGroups: ["default"],
  assignedShardGroups: ["default"],
})

/** This process's shard count is not the one the cluster in this database was set up with. */
export class ShardCountMismatch extends Schema.TaggedError<ShardCountMismatch>()("ShardCountMismatch", {
  store: Schema.String,
  recorded: Schema.Int,
  here: Schema.Int,
}) {
  override get message(): string {
    return (
      `the cluster in ${this.store} has ${this.recorded} shards, this process ${this.here} (TAU_CLUSTER_SHARDS): ` +
      `every worker and submitter must use the same count, or messages wait forever; set TAU_CLUSTER_SHARDS=${this.recorded} or unset it everywhere`
    )
  }
}

/**
 * Records the shard count on first use and checks it afterwards. Called by every process before it
 * joins the cluster (the row is written once, by whoever comes first; `ON CONFLICT` makes
 * concurrent first starts agree on one).
 */
export const checkShardCount = (store: string, shards: number): Effect.Effect<void, ShardCountMismatch | SqlError, SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const rows = yield* sql.withTransaction(
      Effect.gen(function* () {
        // Concurrent first starts would race on CREATE TABLE: one at a time.
        yield* sql.unsafe("SELECT pg_advisory_xact_lock(hashtext('tau-cluster-settings'))")
        yield* sql.unsafe("CREATE TABLE IF NOT EXISTS tau_cluster_settings (name text PRIMARY KEY, value text NOT NULL)")
        yield* sql.unsafe("INSERT INTO tau_cluster_settings (name, value) VALUES ('shards_per_group', $1) ON CONFLICT (name) DO NOTHING", [String(shards)])
        return yield* sql.unsafe<{ value: string }>("SELECT value FROM tau_cluster_settings WHERE name = 'shards_per_group'")
      }),
    )
    const recorded = Number(rows[0]?.value)
    if (recorded !== shards) return yield* new ShardCountMismatch({ store, recorded, here: shards })
  })
