/** The test configuration every package but the engine shares (the engine's tests need no τ² data notice). */
import { defineConfig } from "vitest/config"

type TestOptions = NonNullable<Parameters<typeof defineConfig>[0] extends infer C ? (C extends { test?: infer T } ? T : never) : never>

export const packageTestConfig = (overrides: TestOptions = {}) =>
  defineConfig({
    test: {
      include: ["test/**/*.spec.ts", "src/**/*.spec.ts"],
      // Prints once per run which suites were skipped for missing τ² data (packages/domains/testing).
      globalSetup: ["../domains/testing/global-setup.ts"],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      ...overrides,
    },
  })
