/**
 * Every command that runs models takes the model call flags of `tau run` (issue 14 item 6): here
 * `--model-retries` on fork and experiment, against a local model server that always answers 500,
 * counted by the requests it receives; and counterfactual and critical list them.
 */
import { writeFileSync } from "node:fs"
import { startFakeLlmServer, type FakeLlmServer } from "@tau-sim/models/testing"
import { RUN_DEFAULTS } from "@tau-sim/runs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, tau, tempDir } from "./tau.ts"

const tmp = tempDir("model-call-flags")
let server: FakeLlmServer
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: () => ({ type: "error", status: 500, message: "down" }) })
})
afterAll(async () => {
  await server.close()
  tmp.dispose()
})

const requestsDuring = async (work: () => Promise<void>): Promise<number> => {
  const before = server.calls.length
  await work()
  return server.calls.length - before
}

describe("the model call flags beyond tau run", () => {
  it("fork and experiment make retries + 1 requests per attempt with --model-retries 0 and 1", async () => {
    const model = `compat:down@${server.baseURL}`
    const db = tmp.db()
    const ran = await tau(["run", "--domain", "demo", "--task-ids", "renew_loan", "--db", db, "--json"], tmp.root)
    expect(ran.code, ran.stderr).toBe(0)
    const episode = String(jsonLines(ran.stdout)[0]?.episode_id)
    for (const retries of [0, 1]) {
      const forked = await requestsDuring(async () => {
        const r = await tau(["fork", episode, "--at-turn", "1", "--agent", model, "--model-retries", String(retries), "--db", db], tmp.root)
        expect(r.stderr).not.toContain("Unrecognized flag")
      })
      expect(forked).toBe(retries + 1)
      const file = tmp.file(`experiment-${retries}.yaml`)
      writeFileSync(file, `name: down-${retries}\ndomains: [demo]\nagents: [${JSON.stringify(model)}]\ntasks: {ids: [renew_loan]}\n`)
      const experimented = await requestsDuring(async () => {
        const r = await tau(["experiment", file, "--model-retries", String(retries), "--db", db], tmp.root)
        expect(r.stderr).not.toContain("Unrecognized flag")
      })
      // A run tries an errored episode again, up to its attempt limit: each attempt makes retries + 1 requests.
      expect(experimented).toBe(RUN_DEFAULTS.maxAttempts * (retries + 1))
    }
  })

  it("counterfactual and critical take them too", async () => {
    for (const command of ["counterfactual", "critical"]) {
      const help = await tau([command, "--help"], tmp.root)
      for (const flag of ["--cache", "--model-timeout", "--model-retries", "--rate-limit", "--prices"])
        expect(help.stdout, `${command} ${flag}`).toContain(flag)
    }
  })
})
