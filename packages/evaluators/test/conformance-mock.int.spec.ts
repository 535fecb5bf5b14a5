import { loadTau2Domain } from "@tau-sim/domains"
import { expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { describeFailures, evaluateFixtures, fixtureCases, taskResolver } from "./conformance.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2

const domain = data.ifPresent(() => loadTau2Domain("mock", TAU2_DATA_DIR))
const taskOf = await data.ifPresent(() => taskResolver("mock", domain))

data.describe("evaluator vs reference fixtures: mock", () => {
  for (const kind of ["perturbed", "gold"] as const) {
    it(`agrees on every ${kind} record`, async () => {
      const cases = fixtureCases("mock", kind)
      const agreement = await evaluateFixtures(domain, cases, taskOf)
      console.log(`mock ${kind}: ${agreement.agreeing}/${agreement.total} agree`)
      expect(describeFailures(agreement)).toBe("")
      expect(agreement.agreeing).toBe(cases.length)
      expect(cases.length).toBeGreaterThan(0)
    })
  }
})
