/** Ablation experiments: modes as run configuration, experiment files, cells and counterfactual batches. */
export * from "./modes.ts"
export * from "./spec.ts"
export * from "./plan.ts"
export * from "./run.ts"
export * from "./counterfactual.ts"
