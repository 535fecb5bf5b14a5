/**
 * Where tests and benches find the τ² data and the reference's conformance fixtures (issue 19).
 *
 * τ² data (the folder holding `domains/<name>/`), first found wins:
 *   1. `TAU2_DATA_DIR`
 *   2. the `tau data fetch` cache: `${XDG_CACHE_HOME:-~/.cache}/tau-sim/tau2-data/<TAU2_DATA_REF>/`
 *   3. this repository's development layout: `<repo>/../shared/tau2-data/tau2`
 * Conformance fixtures (not fetchable): `TAU_CONFORMANCE_DIR`, then `<repo>/../shared/conformance`.
 *
 * `TAU_TEST_DATA_SEARCH=none` makes every lookup find nothing (environment variables included):
 * it simulates a fresh clone on a machine that has the data, to check the skip path.
 * No vitest here: benches use this module too.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { tau2DataCacheDir } from "../src/tau2/data-cache.ts"

/** The folder `tau data fetch` unpacks into by default (`tau2DataCacheDir()`), and its commit. */
export { DEFAULT_TAU2_COMMIT as TAU2_DATA_REF, tau2DataCacheDir } from "../src/tau2/data-cache.ts"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const searchDisabled = (): boolean => process.env.TAU_TEST_DATA_SEARCH === "none"

const firstExisting = (candidates: ReadonlyArray<string | undefined>, marker: (dir: string) => string): string | undefined =>
  candidates.find((dir): dir is string => dir !== undefined && dir !== "" && fs.existsSync(marker(dir)))

/** The τ² data folder, or undefined when none of the places above has one. */
export const tau2DataDir = (): string | undefined =>
  searchDisabled()
    ? undefined
    : firstExisting([process.env.TAU2_DATA_DIR, tau2DataCacheDir(), path.resolve(repoRoot, "../shared/tau2-data/tau2")], (dir) => path.join(dir, "domains"))

/** The conformance fixtures folder, or undefined. */
export const conformanceDir = (): string | undefined =>
  searchDisabled() ? undefined : firstExisting([process.env.TAU_CONFORMANCE_DIR, path.resolve(repoRoot, "../shared/conformance")], (dir) => dir)

/** Stands in for a missing folder so that module-level path arithmetic does not throw. */
export const MISSING_DIR = "/nonexistent/tau-sim-test-data-not-found"

/** What a test or bench can need. */
export type DataNeed = "tau2" | "conformance"

const WHERE: Record<DataNeed, string> = {
  tau2: "τ² data not found (TAU2_DATA_DIR, the `tau data fetch` cache, ../shared/tau2-data)",
  conformance: "conformance fixtures not found (TAU_CONFORMANCE_DIR, ../shared/conformance)",
}
const HOW: Record<DataNeed, string> = {
  tau2: "run `tau data fetch` or set TAU2_DATA_DIR",
  conformance: "set TAU_CONFORMANCE_DIR",
}

/** What the suites skipped for missing data add up to. */
export interface Skipped {
  readonly suites: number
  readonly tests: number
}

const count = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`

/** The one line that says what is missing, what it skipped (when given), and how to get it. */
export const missingDataNotice = (missing: ReadonlyArray<DataNeed>, skipped?: Skipped): string => {
  const kinds = (["tau2", "conformance"] as const).filter((k) => missing.includes(k))
  const what =
    skipped === undefined
      ? ""
      : `: ${[skipped.suites > 0 || skipped.tests === 0 ? count(skipped.suites, "suite") : "", skipped.tests > 0 ? count(skipped.tests, "test") : ""].filter((x) => x).join(" and ")} skipped`
  return `${kinds.map((k) => WHERE[k]).join("; ")}${what}; ${kinds.map((k) => HOW[k]).join(", ")}`
}

/** Both folders, with MISSING_DIR for what is not found (for helpers of suites that declared their needs). */
export const testDataDirs = (): { readonly tau2: string; readonly conformance: string } => ({
  tau2: tau2DataDir() ?? MISSING_DIR,
  conformance: conformanceDir() ?? MISSING_DIR,
})

/** For benches: the folder `need` names, or an Error whose message says where it was looked for and how to get it. */
export const requireDataDir = (need: DataNeed): string => {
  const dir = need === "tau2" ? tau2DataDir() : conformanceDir()
  if (dir === undefined) throw new Error(missingDataNotice([need]))
  return dir
}
