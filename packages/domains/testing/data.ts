/**
 * How a test file says it needs the τ² data or the conformance fixtures (issue 19, "tests that
 * say what they need"); the folders are found by ./locate.ts.
 *
 * A test file declares its needs once: `const data = needsData("tau2", "conformance")`, then
 * writes its data suites with `data.describe(...)` (or single tests with `data.it(...)`, in files
 * whose other tests need nothing) and guards module-level reads, and reads in a suite's body, with
 * `data.ifPresent(() => load(...), fallback)`: vitest still runs a skipped suite's body to collect it.
 * To check the skip path on a machine that has the data: `TAU_TEST_DATA_SEARCH=none` (./locate.ts). Missing data: the suites are skipped and the global setup
 * (`./global-setup.ts`) prints one line for the whole run; under `CI=true` the file fails with
 * that line instead, never a silent skip.
 */
import * as fs from "node:fs"
import { describe, inject, it } from "vitest"
import { conformanceDir, type DataNeed, MISSING_DIR, missingDataNotice, type Skipped, tau2DataDir } from "./locate.ts"

declare module "vitest" {
  export interface ProvidedContext {
    /** File the skipped suites are appended to (one line each), set by ./global-setup.ts. */
    tauDataSkipLog: string
  }
}

const recordSkip = (missing: ReadonlyArray<DataNeed>, skipped: Skipped): void => {
  const log = inject("tauDataSkipLog")
  if (log) fs.appendFileSync(log, `${JSON.stringify({ missing, ...skipped })}\n`)
  // No global setup (a runner that does not use ours): say it per file rather than not at all.
  else console.warn(missingDataNotice(missing, skipped))
}

/** `describe.skip` / `it.skip` that count each suite or test they skip for the notice. */
const counting = <F extends typeof describe.skip | typeof it.skip>(skip: F, unit: keyof Skipped, missing: ReadonlyArray<DataNeed>): F =>
  Object.assign(
    (name: string, fn: () => void) => {
      recordSkip(missing, { suites: 0, tests: 0, [unit]: 1 })
      ;(skip as (name: string, fn: () => void) => void)(name, fn)
    },
    {
      each: (cases: ReadonlyArray<unknown>) => (name: string, fn: (...args: Array<unknown>) => void) => {
        recordSkip(missing, { suites: 0, tests: 0, [unit]: cases.length })
        ;(skip.each as (cases: Array<unknown>) => (name: string, fn: (...args: Array<unknown>) => void) => void)([...cases])(name, fn)
      },
    },
  ) as unknown as F

export interface TestData {
  /** The τ² data folder (a non-existent placeholder when missing). */
  readonly tau2: string
  /** The conformance fixtures folder (a non-existent placeholder when missing). */
  readonly conformance: string
  /** Everything declared is there. */
  readonly present: boolean
  /** `describe`, or (data missing) a `describe.skip` that counts the suite for the notice. */
  readonly describe: typeof describe
  /** `it`, or (data missing) an `it.skip` that counts the test, for files whose other tests need no data. */
  readonly it: typeof it
  /** `load()` when the data is present, `fallback` otherwise (guards module-level reads). */
  readonly ifPresent: <A>(load: () => A, fallback?: A) => A
}

/**
 * Declares what this test file needs. Missing under `CI=true`: throws (the file fails with the
 * notice). Missing otherwise: what is written with `.describe` / `.it` is skipped and counted.
 */
export const needsData = (...needs: ReadonlyArray<DataNeed>): TestData => {
  const tau2 = needs.includes("tau2") ? tau2DataDir() : undefined
  const conformance = needs.includes("conformance") ? conformanceDir() : undefined
  const missing = needs.filter((n) => (n === "tau2" ? tau2 : conformance) === undefined)
  const present = missing.length === 0
  if (!present && process.env.CI === "true") throw new Error(`${missingDataNotice(missing)} (CI=true: missing data fails the run, never skips it)`)
  return {
    tau2: tau2 ?? MISSING_DIR,
    conformance: conformance ?? MISSING_DIR,
    present,
    describe: present ? describe : (counting(describe.skip, "suites", missing) as unknown as typeof describe),
    it: present ? it : (counting(it.skip, "tests", missing) as unknown as typeof it),
    ifPresent: <A>(load: () => A, fallback?: A): A => (present ? load() : (fallback as A)),
  }
}
