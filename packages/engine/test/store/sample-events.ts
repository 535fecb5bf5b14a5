/** Moved to `@tau-sim/engine/testing` (packages/engine/testing/sample-events.ts); kept for the specs that import this path. */
export * from "../../testing/sample-events.ts"
