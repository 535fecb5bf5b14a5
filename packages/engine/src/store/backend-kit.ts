/**
 * What a store backend outside this package (`@tau-sim/store-pg`) builds on, so that every backend
 * enforces the same write rules, chains and pools rows the same way and decodes them identically:
 * the SQLite and in-memory stores use these very functions.
 */
export { chainFrom, chainHash, chainRows } from "./chain.ts"
export { leaseIsStale } from "./lease-rules.ts"
export { isPooled, poolRefs } from "./message-pool.ts"
export { decodeModelCalls, decodeScore, type EncodedScore, encodeAppendScores, encodeScore, SCORE_CHAIN_START, scoreHash } from "./score-rows.ts"
export { cachedLookup, decodeRow, parseStoredJson, toStoreError, type BlobLookup } from "./store-handle.ts"
export { checkStreamShape, encodeBatch, encodeJson, episodeRowChange, InvalidWrite, type EncodedEvent } from "./write-rules.ts"
