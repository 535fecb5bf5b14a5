import * as path from "node:path"
import { expect, it } from "vitest"
import { loadTau2Domain } from "../../src/index.ts"
import { needsData } from "../../testing/index.ts"
import { readJsonl } from "./fixtures.ts"
import { checkPerturbedOutputs } from "./perturbed.ts"
import { formatMismatches, reportConformance } from "./report.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2
const CONFORMANCE_DIR = data.conformance

data.describe("mock domain vs the reference's perturbed trajectories", () => {
  it("reproduces every tool output and error flag of the perturbed call plans", () => {
    const result = checkPerturbedOutputs("mock", () => loadTau2Domain("mock", TAU2_DATA_DIR))
    reportConformance(result)
    expect(formatMismatches(result.mismatches)).toBe("")
    expect(result.trajectoriesChecked).toBe([...readJsonl(path.join(CONFORMANCE_DIR, "perturbed_mock.jsonl"))].length)
    expect(result.callsChecked).toBeGreaterThan(30)
  })
})
