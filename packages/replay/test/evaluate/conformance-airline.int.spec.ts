import { loadTau2Domain } from "@tau-sim/domains"
import { describe, expect, it } from "vitest"
import { TAU2_DATA_DIR } from "../../../domains/test/paths.ts"
import { describeFailures, evaluateFixtures, fixtureCases, taskResolver } from "./conformance.ts"

const domain = loadTau2Domain("airline", TAU2_DATA_DIR)
const taskOf = await taskResolver("airline", domain)

describe("evaluator vs reference fixtures: airline", () => {
  for (const kind of ["perturbed", "gold"] as const) {
    it(`agrees on every ${kind} record`, async () => {
      const cases = fixtureCases("airline", kind)
      const agreement = await evaluateFixtures(domain, cases, taskOf)
      console.log(`airline ${kind}: ${agreement.agreeing}/${agreement.total} agree`)
      expect(describeFailures(agreement)).toBe("")
      expect(agreement.agreeing).toBe(cases.length)
      expect(cases.length).toBeGreaterThan(0)
    })
  }
})
