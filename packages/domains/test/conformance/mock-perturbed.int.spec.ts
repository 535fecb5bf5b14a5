import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { loadTau2Domain } from "../../src/index.ts"
import { CONFORMANCE_DIR, TAU2_DATA_DIR } from "../paths.ts"
import { readJsonl } from "./fixtures.ts"
import { checkPerturbedOutputs } from "./perturbed.ts"
import { formatMismatches, reportConformance } from "./report.ts"

describe("mock domain vs the reference's perturbed trajectories", () => {
  it("reproduces every tool output and error flag of the perturbed call plans", () => {
    const result = checkPerturbedOutputs("mock", () => loadTau2Domain("mock", TAU2_DATA_DIR))
    reportConformance(result)
    expect(formatMismatches(result.mismatches)).toBe("")
    expect(result.trajectoriesChecked).toBe([...readJsonl(path.join(CONFORMANCE_DIR, "perturbed_mock.jsonl"))].length)
    expect(result.callsChecked).toBeGreaterThan(30)
  })
})
