import { defineConfig } from "vitest/config"

export default defineConfig({ test: { include: ["test/**/*.spec.ts", "src/**/*.spec.ts"], fileParallelism: false, testTimeout: 120_000, hookTimeout: 120_000 } })
