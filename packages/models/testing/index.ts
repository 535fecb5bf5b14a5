export * from "./fake-llm-server.ts"
export * from "./demo-brain.ts"
export * from "./in-process-model.ts"
