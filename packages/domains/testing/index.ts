export * from "./data.ts"
export * from "./locate.ts"
