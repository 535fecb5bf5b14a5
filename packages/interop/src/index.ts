/** `@tau-sim/interop`: τ² results files in (import, evaluate-trajs) and out (export). */
export * from "./tau2-layout.ts"
export * from "./tau2-results.ts"
export * from "./tau2-import.ts"
export * from "./tau2-export.ts"
