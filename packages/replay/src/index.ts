/** `@tau-sim/replay`: load an episode from its log, rebuild the world at any seq, verify (chain, data, determinism); scan a run's episodes. */
export * from "./replay.ts"
export * from "./store-scan.ts"
