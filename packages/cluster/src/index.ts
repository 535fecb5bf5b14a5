/** `@tau-sim/cluster`: distributed runs on effect/cluster over the Postgres store (ADR 0009). The CLI loads it only for `tau worker` and `--distributed`. */
export { BadShardCount, CLUSTER_TIMINGS, checkShardCount, DEFAULT_SHARDS, ShardCountMismatch, shardCount } from "./config.ts"
export { type DistributedOptions, executeRunOnCluster, executeUnitsOnCluster, refuseIfOnCluster, unitsOf } from "./distributed.ts"
export { pendingUnits, RunOnCluster } from "./pending.ts"
export { ClusterLimits, layerClusterLimits } from "./limits.ts"
export { layerClient, layerPg, layerRunner } from "./layers.ts"
export { type CallOptions, EPISODE_ENTITY, EpisodeEntity, UnitFailed, type UnitOutcome } from "./protocol.ts"
export { cleanUp, DistributedUnitsFailed, type SubmitSettings, submitUnits, type Unit, type UnitFailure } from "./submit.ts"
export { runWorker, type WorkerOptions } from "./worker.ts"
