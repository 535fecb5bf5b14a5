import * as path from "node:path"
import { expect, it } from "vitest"
import { needsData } from "../../testing/index.ts"
import { loadAirlineDomain } from "./airline-domain.ts"
import { readGoldFixture, readJsonl } from "./fixtures.ts"
import { checkGoldFixtures } from "./harness.ts"
import { checkPerturbedOutputs } from "./perturbed.ts"
import { formatMismatches, reportConformance } from "./report.ts"

const data = needsData("tau2", "conformance")
const CONFORMANCE_DIR = data.conformance

data.describe("airline domain vs the reference's fixtures", () => {
  it("replays every gold task with identical outputs, error flags, states and DB hashes", () => {
    const result = checkGoldFixtures("airline", loadAirlineDomain, { checkHashes: true })
    reportConformance(result)
    expect(formatMismatches(result.mismatches)).toBe("")
    const lines = [...readGoldFixture("airline")]
    expect(result.tasksChecked).toBe(lines.length)
    expect(result.callsChecked).toBe(lines.reduce((n, l) => n + l.gold_calls.length, 0))
    expect(result.outputModes.exact).toBe(result.callsChecked)
  })

  it("reproduces every tool output and error flag of the perturbed call plans", () => {
    const result = checkPerturbedOutputs("airline", loadAirlineDomain)
    reportConformance(result)
    expect(formatMismatches(result.mismatches)).toBe("")
    expect(result.trajectoriesChecked).toBe([...readJsonl(path.join(CONFORMANCE_DIR, "perturbed_airline.jsonl"))].length)
    expect(result.callsChecked).toBeGreaterThan(500)
  })
})
