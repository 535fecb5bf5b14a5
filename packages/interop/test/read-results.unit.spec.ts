/** Reading τ² results files: what is accepted, and the typed error naming file and place for what is not. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { isFloat } from "@tau-sim/engine"
import { Effect, Result } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { domainOfResults, embeddedTasks, isSoloResults, readResultsFile as readResultsFileEffect, ResultsFileError, type Tau2Results } from "../src/index.ts"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-results-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
const write = (name: string, text: string) => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, text)
  return file
}
const readResultsFile = (file: string): Tau2Results => Effect.runSync(readResultsFileEffect(file))
/** The ResultsFileError an Effect or a Result fails with (anything else fails the test). */
const failure = (r: Effect.Effect<unknown, ResultsFileError> | Result.Result<unknown, ResultsFileError>): ResultsFileError => {
  const outcome = Result.isResult(r) ? r : Effect.runSync(Effect.result(r))
  if (Result.isFailure(outcome) && outcome.failure instanceof ResultsFileError) return outcome.failure
  throw new Error("expected a ResultsFileError")
}

const task = { id: "t1", user_scenario: { instructions: "ask" }, evaluation_criteria: { actions: [], reward_basis: ["DB"] } }
const doc = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    info: {
      environment_info: { domain_name: "telecom-workflow" },
      agent_info: { implementation: "llm_agent_solo" },
      user_info: { implementation: "dummy_user" },
    },
    tasks: [task],
    simulations: [{ id: "s1", task_id: "t1", amount: 2 }],
    ...over,
  }).replace('"amount":2}', '"amount":2.0}') // JSON.stringify cannot write a float that is whole

describe("readResultsFile", () => {
  it("reads a results file; floats stay floats, the domain and solo mode come from info", () => {
    const r = readResultsFile(write("ok.json", doc()))
    expect(r.simulations).toHaveLength(1)
    expect(isFloat(r.simulations[0]!.amount)).toBe(true)
    expect(Result.getOrThrow(domainOfResults(r))).toEqual({ domain: "telecom", policyVariant: "workflow" })
    expect(isSoloResults(r)).toBe(true)
    expect([...Result.getOrThrow(embeddedTasks(r)).keys()]).toEqual(["t1"])
  })

  it("accepts the directory layout's index, which has no simulations", () => {
    expect(readResultsFile(write("index.json", doc({ simulations: null }))).simulations).toEqual([])
  })

  it.each([
    ["missing.json", null, "cannot read"],
    ["bad.json", "{ not json", "not valid JSON"],
    ["list.json", "[]", "<root>: expected an object"],
    ["tasks.json", doc({ tasks: {} }), "tasks: expected a list"],
    ["sim.json", doc({ simulations: [1] }), "simulations[0]: expected an object"],
  ])("%s is refused with a ResultsFileError naming the place", (name, text, detail) => {
    const file = text === null ? path.join(dir, name) : write(name, text)
    const e = failure(readResultsFileEffect(file))
    expect(e.file).toBe(file)
    expect(e.detail).toContain(detail)
  })

  it("names an embedded task that is not a task, and a missing domain name", () => {
    const r = readResultsFile(write("badtask.json", doc({ tasks: [{ id: 3 }], info: {} })))
    expect(failure(embeddedTasks(r)).detail).toContain("tasks[0] is not a valid task")
    expect(failure(domainOfResults(r)).detail).toContain("domain_name is missing")
  })
})
