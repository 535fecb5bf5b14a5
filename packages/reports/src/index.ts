/** Reports over runs and experiments: metrics, deltas, counterfactual comparisons; text, Markdown, JSON, HTML. */
export * from "./stats.ts"
export * from "./collect.ts"
export * from "./build.ts"
export * from "./load.ts"
export * from "./sections.ts"
export * from "./svg.ts"
export * from "./render.ts"
// Width-fitted text tables, for any command that prints one (not the charts: charts.ts loads vega and is imported only when HTML is rendered).
export * from "./text-table.ts"
export * from "./support-desk.ts"
export * from "./compare.ts"
