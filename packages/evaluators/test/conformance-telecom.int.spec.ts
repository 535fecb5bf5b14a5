import { loadTau2Domain } from "@tau-sim/domains"
import { expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import type { Task } from "@tau-sim/engine"
import { describeFailures, evaluateFixtures, fixtureCases, taskResolver, telecomTaskGenerator } from "./conformance.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2

const domain = data.ifPresent(() => loadTau2Domain("telecom", TAU2_DATA_DIR))
const taskOf = await data.ifPresent(() => taskResolver("telecom", domain))

data.describe("evaluator vs reference fixtures: telecom", () => {
  for (const kind of ["perturbed", "gold"] as const) {
    it(`agrees on every ${kind} record`, async () => {
      const cases = fixtureCases("telecom", kind)
      const agreement = await evaluateFixtures(domain, cases, taskOf)
      console.log(`telecom ${kind}: ${agreement.agreeing}/${agreement.total} agree`)
      expect(describeFailures(agreement)).toBe("")
      expect(agreement.agreeing).toBe(cases.length)
      expect(cases.length).toBeGreaterThan(0)
    })
  }
})

data.describe("evaluator vs reference fixtures: telecom tasks generated from their ids", () => {
  it("agrees on a sample of gold records when the task comes from the generator, not tasks.json", async () => {
    const generate = await telecomTaskGenerator()
    const cases = fixtureCases("telecom", "gold").filter((_, i) => i % 20 === 0)
    const generated = new Map(cases.map((c) => [c.taskId, generate(c.taskId, domain)]))
    const agreement = await evaluateFixtures(domain, cases, (id) => generated.get(id) as Task)
    console.log(`telecom gold (generated tasks): ${agreement.agreeing}/${agreement.total} agree`)
    expect(describeFailures(agreement)).toBe("")
    expect(agreement.total).toBeGreaterThan(100)
  })
})
