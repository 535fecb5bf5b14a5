/**
 * The effect/cluster layers of our two kinds of process, over one PostgreSQL database (the event
 * store's): a runner (`tau worker`: serves runner RPCs on a TCP socket, holds shards, plays units)
 * and a client (a submitting `tau run|experiment --distributed`: sends units and reads their
 * replies from the database, holds no shard). Both are NodeClusterSocket.layer's composition with
 * the SQL storage, except that the sharding configuration is ours (config.ts), never read from the
 * environment.
 */
import { NodeClusterSocket } from "@effect/platform-node"
import { NodeCrypto } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { describeUrl } from "@tau-sim/store-pg/url"
import { Effect, Layer, Option, Redacted } from "effect"
import { RunnerAddress, RunnerHealth, Runners, ShardingConfig, SocketRunner, SqlMessageStorage, SqlRunnerStorage } from "effect/cluster"
import { RpcSerialization } from "effect/rpc"
import { checkShardCount, shardCount, shardingConfig } from "./config.ts"
import { layerClusterLimits } from "./limits.ts"

/**
 * The cluster's SQL client for `url`. A URL without a password takes PGPASSWORD's, as the store's
 * connection does (cli commands/common.ts), so that it stays out of argv.
 */
export const layerPg = (url: string) =>
  PgClient.layer({
    url: Redacted.make(url),
    applicationName: "tau-sim-cluster",
    ...(process.env.PGPASSWORD && !new URL(url).password ? { password: Redacted.make(process.env.PGPASSWORD) } : {}),
  })

const serialization = RpcSerialization.layerSchemaBinary()

/** The shard count guard (config.ts) as a layer: a process with another count than the cluster's does not start. */
const guard = (url: string, shards: number) => Layer.effectDiscard(checkShardCount(describeUrl(url), shards))

/** A runner at `host:port`: sharding, its storage, runner health by ping, and the cluster-wide limits. */
export const layerRunner = (url: string, address: { readonly host: string; readonly port: number }) =>
  Layer.unwrap(Effect.map(shardCount(), (shards) => runnerOf(url, address, shards)))

const runnerOf = (url: string, address: { readonly host: string; readonly port: number }, shards: number) => {
  const config = ShardingConfig.layer(shardingConfig(Option.some(RunnerAddress.make(address.host, address.port)), shards))
  const health = RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(NodeClusterSocket.layerClientProtocol))
  return SocketRunner.layer.pipe(
    Layer.provide([NodeClusterSocket.layerSocketServer, NodeClusterSocket.layerClientProtocol]),
    Layer.provide(health),
    Layer.provideMerge(SqlMessageStorage.layer.pipe(Layer.provide(NodeCrypto.layerDigest))),
    Layer.provide(Layer.orDie(SqlRunnerStorage.layer)),
    Layer.provideMerge(layerClusterLimits),
    Layer.provide(guard(url, shards)),
    Layer.provide(config),
    Layer.provide(serialization),
    Layer.provideMerge(layerPg(url)),
  )
}

/** A client that sends units and reads replies, holding no shard. */
export const layerClient = (url: string) => Layer.unwrap(Effect.map(shardCount(), (shards) => clientOf(url, shards)))

const clientOf = (url: string, shards: number) => {
  const config = ShardingConfig.layer(shardingConfig(Option.none(), shards))
  return SocketRunner.layerClientOnly.pipe(
    Layer.provide(NodeClusterSocket.layerClientProtocol),
    Layer.provideMerge(SqlMessageStorage.layer.pipe(Layer.provide(NodeCrypto.layerDigest))),
    Layer.provide(Layer.orDie(SqlRunnerStorage.layer)),
    Layer.provide(guard(url, shards)),
    Layer.provide(config),
    Layer.provide(serialization),
    Layer.provideMerge(layerPg(url)),
  )
}
