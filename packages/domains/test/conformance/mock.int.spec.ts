import { expect, it } from "vitest"
import { loadTau2Domain } from "../../src/index.ts"
import { needsData } from "../../testing/index.ts"
import { readGoldFixture } from "./fixtures.ts"
import { checkGoldFixtures } from "./harness.ts"
import { formatMismatches, reportConformance } from "./report.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2

data.describe("mock domain vs the reference's gold fixtures", () => {
  it("replays every gold task with identical outputs, error flags, states and DB hashes", () => {
    const result = checkGoldFixtures("mock", () => loadTau2Domain("mock", TAU2_DATA_DIR), { checkHashes: true })
    reportConformance(result)
    expect(formatMismatches(result.mismatches)).toBe("")
    const lines = [...readGoldFixture("mock")]
    expect(result.tasksChecked).toBe(lines.length)
    expect(result.callsChecked).toBe(lines.reduce((n, l) => n + l.gold_calls.length, 0))
    expect(result.outputModes.exact).toBe(result.callsChecked)
  })
})
