import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.spec.ts", "src/**/*.spec.ts"],
    // Prints once per run which suites were skipped for missing τ² data (packages/domains/testing).
    globalSetup: ["testing/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
