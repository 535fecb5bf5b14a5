import { loadTau2Domain } from "@tau-sim/domains"
import { describe, expect, it } from "vitest"
import { TAU2_DATA_DIR } from "../../../domains/test/paths.ts"
import { describeFailures, evaluateFixtures, fixtureCases, taskResolver } from "./conformance.ts"

const domain = loadTau2Domain("retail", TAU2_DATA_DIR)
const taskOf = await taskResolver("retail", domain)

describe("evaluator vs reference fixtures: retail", () => {
  for (const kind of ["perturbed", "gold"] as const) {
    it(`agrees on every ${kind} record`, async () => {
      const cases = fixtureCases("retail", kind)
      const agreement = await evaluateFixtures(domain, cases, taskOf)
      console.log(`retail ${kind}: ${agreement.agreeing}/${agreement.total} agree`)
      expect(describeFailures(agreement)).toBe("")
      expect(agreement.agreeing).toBe(cases.length)
      expect(cases.length).toBeGreaterThan(0)
    })
  }
})
