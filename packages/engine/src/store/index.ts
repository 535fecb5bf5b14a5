/** Event store implementations (the port itself is `event-store.ts`, re-exported by the engine index). */
export { layerSqlite, openSqliteStore, type SqliteStoreOptions } from "./sqlite.ts"
export { layerMemory, makeMemoryStore } from "./memory.ts"
export type { AsyncStoreHandle, RawEventRow, StoreHandle } from "./store-handle.ts"
/** For store backends in other packages (Postgres): the shared write rules, chain, pool and decoding. */
export * as StoreBackend from "./backend-kit.ts"
export { CHAIN_LABEL, CHAIN_START, chainHash } from "./chain.ts"
export {
  checkIntegrity,
  checkStreamIntegrity,
  readStreamRecord,
  type ChainDiagnosis,
  type IntegrityFinding,
  type IntegrityKind,
  type IntegrityReport,
  type StreamRecord,
} from "./integrity.ts"
export { blobAddress, type Blob } from "./message-pool.ts"
export { SCORE_CHAIN_LABEL, SCORE_CHAIN_START, scoreHash } from "./score-rows.ts"
export { MODEL_CALLS_INDEX as SQLITE_MODEL_CALLS_INDEX, SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from "./sqlite-schema.ts"
