import { packageTestConfig } from "../../vitest.shared.ts"

// The CLI suites spawn real processes and servers: one file at a time keeps their timing honest on small machines.
export default packageTestConfig({ fileParallelism: false })
