/** `@tau-sim/runs`: runs and branches (start, resume, fork, counterfactual, experiments), run identity, leases. */
export * from "./participants.ts"
export * from "./run.ts"
export * from "./run-config.ts"
export * from "./lease.ts"
export * from "./resume.ts"
export * from "./seeds.ts"
export * from "./fork.ts"
export * from "./experiment/index.ts"
