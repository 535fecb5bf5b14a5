/**
 * Moved: the store conformance suite is `@tau-sim/engine/testing` (packages/engine/testing/), split
 * by operation. This alias stays only until nothing imports this path.
 */
export { runEventStoreConformance as storeConformance } from "../../testing/index.ts"
