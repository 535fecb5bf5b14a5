/** Reports over runs and experiments: metrics, deltas, counterfactual comparisons; text, Markdown, JSON, HTML. */
export * from "./stats.ts"
export * from "./collect.ts"
export * from "./build.ts"
export * from "./load.ts"
export * from "./sections.ts"
export * from "./svg.ts"
export * from "./render.ts"
export * from "./support-desk.ts"
