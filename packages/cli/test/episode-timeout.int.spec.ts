/**
 * `tau run --episode-timeout` (issue 14 item 6): against a local model server whose answer to the
 * agent's second request never comes, the episode ends as `timeout` once its limit passes (the
 * per-call `--model-timeout` is far longer), the limit recorded in the run's configuration and
 * the episode's start; the cut call is stored (cancelled, cost unknown); replay --verify is clean, a resume does not play it again, a resume with
 * another limit is refused (it is the run's identity), and the τ² export says `timeout` and is
 * valid τ² results.
 */
import * as fs from "node:fs"
import { demoBrain, type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import { Effect } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import { describeErrors, schemaPresent, tau2ResultsValidator } from "./tau2-schema.ts"
import { jsonLines, readStore, storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("episode-timeout")
let server: FakeLlmServer
let agentRequests = 0

beforeAll(async () => {
  server = await startFakeLlmServer({
    brain: (call, index) => {
      // The agent's requests carry the policy; its second one hangs (the server never answers it).
      if (call.system.includes("<policy>") && ++agentRequests === 2) return { type: "hang" }
      return demoBrain(call, index)
    },
  })
})
afterAll(async () => {
  await server.close()
  tmp.dispose()
})

it("an episode whose model call hangs ends as timeout at --episode-timeout; replay, resume and export agree", async () => {
  const db = tmp.db()
  const runId = "timeout-run"
  const model = `compat:demo@${server.baseURL}`
  const ran = await tau(
    [
      "run",
      "--domain",
      "demo",
      "--task-ids",
      "renew_loan",
      "--agent",
      model,
      "--user",
      model,
      "--model-timeout",
      "600",
      "--episode-timeout",
      "2s",
      "--run-id",
      runId,
      "--db",
      db,
      "--json",
    ],
    tmp.root,
  )
  const [line] = jsonLines(ran.stdout)
  expect(line?.termination_reason, ran.stderr).toBe("timeout")
  expect(line?.reward).toBe(0)
  expect(ran.stderr).toContain("episode timeout 2s")
  expect(agentRequests).toBe(2)
  const episode = String(line?.episode_id)

  // Recorded: the run's configuration and the episode's start (its limits).
  const run = await storedRun(db, runId)
  expect(run.events[episode]?.[0]?.event).toMatchObject({ _tag: "EpisodeStarted", limits: { timeoutMs: 2000 } })
  expect(run.events[episode]?.at(-1)?.event).toMatchObject({ _tag: "EpisodeEnded", reason: "timeout" })
  // The cut call is stored before the end, cancelled, its cost unknown (not free): every request the
  // server saw from the agent has its event.
  const calls = (run.events[episode] ?? []).map((e) => e.event).filter((e) => e._tag === "ModelCalled" && e.participant === "agent")
  expect(calls).toHaveLength(agentRequests)
  const cut = run.events[episode]?.at(-2)?.event
  expect(cut).toMatchObject({ _tag: "ModelCalled", participant: "agent", attempt: 1, cost: null })
  expect(String((cut as { error?: unknown } | undefined)?.error)).toMatch(/^cancelled after \d+ ms without an answer$/)
  const config = await readStore(db, ({ store }) => Effect.runPromise(store.getRun(runId)))
  expect(config?.config).toMatchObject({ episodeTimeoutMs: 2000 })

  const verified = await tau(["replay", episode, "--verify", "--db", db], tmp.root)
  expect(verified.code, verified.stdout + verified.stderr).toBe(0)

  // Finished: a resume plays nothing and asks the server nothing.
  const before = server.calls.length
  const resumed = await tau(["run", "--resume", runId, "--db", db, "--json"], tmp.root)
  expect(resumed.code, resumed.stderr).toBe(0)
  expect(jsonLines(resumed.stdout)).toEqual([])
  expect(server.calls.length).toBe(before)
  // Another limit is another run.
  const other = await tau(["run", "--resume", runId, "--episode-timeout", "5s", "--db", db], tmp.root)
  expect(other.code).not.toBe(0)
  expect(other.stderr).toMatch(/episodeTimeoutMs: run has 2000, requested 5000/)

  const out = tmp.file("results.json")
  const exported = await tau(["export", "tau2", "--run", runId, "--out", out, "--db", db], tmp.root)
  expect(exported.code, exported.stderr).toBe(0)
  const text = fs.readFileSync(out, "utf8")
  expect((JSON.parse(text) as { simulations: Array<{ termination_reason: string }> }).simulations.map((s) => s.termination_reason)).toEqual(["timeout"])
  if (schemaPresent()) expect(describeErrors(tau2ResultsValidator().errorsOf(text))).toEqual([])
})

it("--episode-timeout takes durations and refuses what is not one", async () => {
  const refused = await tau(["run", "--domain", "demo", "--episode-timeout", "soon", "--db", tmp.db()], tmp.root)
  expect(refused.code).not.toBe(0)
  expect(refused.stderr).toContain("a duration > 0")
  const zero = await tau(["run", "--domain", "demo", "--episode-timeout", "0s", "--db", tmp.db()], tmp.root)
  expect(zero.code).not.toBe(0)
  // An offline episode well within 1h30m ends as usual.
  const ok = await tau(["run", "--domain", "demo", "--task-ids", "renew_loan", "--episode-timeout", "1h30m", "--db", tmp.db(), "--json"], tmp.root)
  expect(jsonLines(ok.stdout)[0]?.termination_reason, ok.stderr).toBe("user_stop")
  expect(ok.stderr).toContain("episode timeout 1h30m")
})
