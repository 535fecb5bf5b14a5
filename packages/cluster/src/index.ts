/** `@tau-sim/cluster`: distributed runs on effect/cluster over the Postgres store (ADR 0009). The CLI loads it only for `tau worker` and `--distributed`. */
export { CLUSTER_TIMINGS, checkShardCount, DEFAULT_SHARDS, ShardCountMismatch, shardCount } from "./config.ts"
export { type DistributedOptions, executeRunOnCluster, executeUnitsOnCluster, unitsOf } from "./distributed.ts"
export { ClusterLimits, layerClusterLimits } from "./limits.ts"
export { layerClient, layerPg, layerRunner } from "./layers.ts"
export { type CallOptions, EPISODE_ENTITY, EpisodeEntity, UnitFailed, type UnitOutcome } from "./protocol.ts"
export { cleanUp, DistributedUnitsFailed, submitUnits, type Unit, type UnitFailure } from "./submit.ts"
export { runWorker, type WorkerOptions } from "./worker.ts"
