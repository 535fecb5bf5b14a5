/**
 * `tau run --resume RUN --retry-errors` (issue 14 item 2): an episode that ended in
 * infrastructure_error because its model server failed is tried again as a branch from just
 * before the failure, once the server answers again; the recorded model calls are not repeated,
 * the retry is linked to the errored attempt in its lineage, and the run's result counts the
 * retry. A real local model server (HTTP 503, then answers); the real CLI as a child process.
 */
import { demoBrain, type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("retry-errors")
let server: FakeLlmServer
/** Agent requests the server answers before it starts failing (Infinity: it never fails). */
let answerFirst = Number.POSITIVE_INFINITY
let answered = 0

beforeAll(async () => {
  server = await startFakeLlmServer({
    brain: (call, index) => {
      if (answered >= answerFirst) return { type: "error", status: 503, message: "overloaded (test)" }
      answered++
      return demoBrain(call, index)
    },
  })
})
afterAll(async () => {
  await server.close()
  tmp.dispose()
})

describe("retrying errored episodes", () => {
  it("--retry-errors re-runs an infrastructure_error episode from just before the failure; plain --resume does not", async () => {
    const db = tmp.db()
    const runId = "retry-cli"
    const model = `compat:demo@${server.baseURL}`
    // The server answers the user's and the agent's first turns, then fails: the episode errors after a good prefix.
    answerFirst = 2
    answered = 0
    const first = await tau(
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
        "--model-retries",
        "0",
        "--max-attempts",
        "1",
        "--run-id",
        runId,
        "--db",
        db,
        "--json",
      ],
      tmp.root,
    )
    const [errored] = jsonLines(first.stdout)
    expect(errored?.termination_reason, first.stderr).toBe("infrastructure_error")
    const failed = server.calls.at(-1)
    expect(failed).toBeDefined()
    const base = String(errored?.episode_id)

    // The server answers again. A plain resume keeps the errored episode (its attempts are used up).
    answerFirst = Number.POSITIVE_INFINITY
    const before = server.calls.length
    const plain = await tau(["run", "--resume", runId, "--db", db, "--json"], tmp.root)
    expect(server.calls.length).toBe(before)
    expect(plain.stderr).toContain("already finished")

    // --retry-errors (with another --max-attempts: not the run's identity, so not refused).
    const retried = await tau(["run", "--resume", runId, "--retry-errors", "--max-attempts", "3", "--db", db, "--json"], tmp.root)
    expect(retried.code, retried.stderr).toBe(0)
    const [line] = jsonLines(retried.stdout)
    expect(line).toMatchObject({ episode_id: `${base}_r1`, termination_reason: "user_stop", reward: 1 })
    // The retry's first request is the one that failed (the same conversation): nothing before it was asked again.
    const again = server.calls.slice(before)
    expect(again[0]?.messages).toEqual(failed?.messages)

    const run = await storedRun(db, runId)
    const retry = run.events[`${base}_r1`]
    const start = retry?.[0]?.event
    expect(start).toMatchObject({ _tag: "EpisodeStarted", parent: { episodeId: base } })
    // Its own stream holds only what it did after the branch point, one recorded call per request made.
    const ownCalls = retry?.filter((e) => e.event._tag === "ModelCalled") ?? []
    expect(ownCalls).toHaveLength(again.length)
    // It branched before the failed call's record: the failed attempt is the errored episode's, not inherited.
    const erroredEvents = run.events[base] ?? []
    const failedRecord = erroredEvents.findIndex((e) => e.event._tag === "ModelCalled" && e.event.error !== null)
    expect(failedRecord).toBeGreaterThan(0)
    expect(start?._tag === "EpisodeStarted" ? start.parent?.seq : -1).toBe(failedRecord)

    // The lineage says it is a retry; the report counts the retry, not the errored attempt.
    const shown = await tau(["show", `${base}_r1`, "--db", db], tmp.root)
    expect(shown.stdout).toMatch(new RegExp(`lineage: ${base} -> ${base}_r1 \\(retry of ${base}`))
    const report = JSON.parse((await tau(["report", "--run", runId, "--format", "json", "--db", db], tmp.root)).stdout) as {
      cells: Array<{ infra_errors: number; avg_reward: number; episodes: { total: number }; termination_reasons: Record<string, number> }>
    }
    expect(report.cells[0]).toMatchObject({ infra_errors: 0, avg_reward: 1, episodes: { total: 1 }, termination_reasons: { user_stop: 1 } })

    // A finished run has nothing to retry: no request, the retry's result again.
    const idle = await tau(["run", "--resume", runId, "--retry-errors", "--db", db, "--json"], tmp.root)
    expect(server.calls.length).toBe(before + again.length)
    expect(jsonLines(idle.stdout)).toEqual([])
    expect(idle.stdout + idle.stderr).toContain("already finished")
  })

  it("--retry-errors and --max-attempts are refused for a resume of forks (they apply to plain runs and cells)", async () => {
    const db = tmp.db()
    const ran = await tau(["run", "--domain", "demo", "--task-ids", "renew_loan", "--db", db, "--json"], tmp.root)
    const [first] = jsonLines(ran.stdout)
    const forked = await tau(["fork", String(first?.episode_id), "--at-turn", "1", "--db", db, "--json"], tmp.root)
    expect(forked.code, forked.stderr).toBe(0)
    const forksRun = `${String(first?.run_id)}~forks`
    const refused = await tau(["run", "--resume", forksRun, "--retry-errors", "--db", db], tmp.root)
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain("--retry-errors applies to plain runs and experiment cells")
  })
})
