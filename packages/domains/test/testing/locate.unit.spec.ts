/** The test-side data lookup: TAU2_DATA_DIR > the `tau data fetch` cache > ../shared; `none` finds nothing. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { missingDataNotice, TAU2_DATA_REF, tau2DataCacheDir, tau2DataDir } from "../../testing/locate.ts"

const saved = { ...process.env }
let root: string
const dataFolder = (at: string): string => {
  fs.mkdirSync(path.join(at, "domains"), { recursive: true })
  return at
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "tau-locate-"))
  delete process.env.TAU_TEST_DATA_SEARCH
  process.env.XDG_CACHE_HOME = path.join(root, "cache")
})
afterEach(() => {
  process.env = { ...saved }
  fs.rmSync(root, { recursive: true, force: true })
})

describe("tau2DataDir", () => {
  it("takes TAU2_DATA_DIR first, then the fetch cache; a folder without domains/ does not count", () => {
    const cache = dataFolder(tau2DataCacheDir())
    expect(cache).toBe(path.join(root, "cache", "tau-sim", "tau2-data", TAU2_DATA_REF))
    process.env.TAU2_DATA_DIR = dataFolder(path.join(root, "env"))
    expect(tau2DataDir()).toBe(path.join(root, "env"))
    process.env.TAU2_DATA_DIR = path.join(root, "empty")
    fs.mkdirSync(process.env.TAU2_DATA_DIR)
    expect(tau2DataDir()).toBe(cache)
  })

  it("finds nothing under TAU_TEST_DATA_SEARCH=none, even with TAU2_DATA_DIR set", () => {
    process.env.TAU2_DATA_DIR = dataFolder(path.join(root, "env"))
    process.env.TAU_TEST_DATA_SEARCH = "none"
    expect(tau2DataDir()).toBeUndefined()
  })
})

describe("missingDataNotice", () => {
  it("is one line naming where it looked, what it skipped and how to get the data", () => {
    expect(missingDataNotice(["tau2"], { suites: 3, tests: 1 })).toBe(
      "τ² data not found (TAU2_DATA_DIR, the `tau data fetch` cache, ../shared/tau2-data): 3 suites and 1 test skipped; run `tau data fetch` or set TAU2_DATA_DIR",
    )
  })
})
