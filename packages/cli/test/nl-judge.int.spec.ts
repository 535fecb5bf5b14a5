/**
 * The NL-assertion judge through the model port, end to end: the real `tau` CLI with `--nl-judge
 * openai:gpt-4.1` against the scripted local server on 127.0.0.1 (OpenAI Chat Completions wire
 * format, reached through OPENAI_BASE_URL). Retail task 2 grades an NL assertion (NL_ASSERTION is
 * in its basis), so the oracle run asks the judge once per episode. Checked: the request is the
 * reference's (prompt byte for byte, temperature 0, no seed, no tools); the call is stored with
 * the score (participant judge, usage, cost), never in the closed stream; the report shows the
 * judge's cost beside agent and user; a re-score reuses the recorded verdict without a request
 * (the server's count) unless --fresh-judge; a malformed reply, a provider failure and a missing
 * key each end as they should; the API key is nowhere in the SQLite file; verify stays clean.
 */
import { readFileSync } from "node:fs"
import { needsData } from "@tau-sim/domains/testing"
import type { ModelCalled, ScoreRecord } from "@tau-sim/engine"
import { buildNlJudgePrompt } from "@tau-sim/evaluators"
import { type FakeCall, type FakeLlmServer, type Reply, startFakeLlmServer } from "@tau-sim/models/testing"
import { afterAll, beforeAll, expect, it } from "vitest"
import { jsonLines, storedRun, type TauResult, tau, tempDir } from "./tau.ts"

const data = needsData("tau2")
const tmp = tempDir("nl-judge")
const KEY = "sk-judge-secret-3c1d9e7a5b0f2468ace1"
const ASSERTION = "Agent should tell the user that there are 10 t-shirt options available."

/** What the judge answers next (the server's brain reads it). */
let answer: (call: FakeCall) => Reply
const verdict = (met: boolean): Reply => ({
  type: "message",
  text: JSON.stringify({ results: [{ expectedOutcome: ASSERTION, reasoning: met ? "The agent listed 10 options." : "It never said.", metExpectation: met }] }),
  usage: { input: 1000, output: 50 },
})
// gpt-4.1 at $2 / $8 per million tokens.
const VERDICT_COST = (1000 * 2 + 50 * 8) / 1_000_000

let server: FakeLlmServer
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: (call) => answer(call) })
})
afterAll(async () => {
  await server?.close()
  tmp.dispose()
})

const env = (withKey = true): NodeJS.ProcessEnv => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/API_KEY|BASE_URL/.test(k)))
  return { ...clean, OPENAI_BASE_URL: server.baseURL, ...(withKey ? { OPENAI_API_KEY: KEY } : {}) }
}
const run = (args: ReadonlyArray<string>, withKey = true) => tau(args, tmp.root, env(withKey))
const ok = (r: TauResult): TauResult => {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) })
  return r
}

const db = tmp.db()
const RUN = "judged"
const judgeOf = (s: ScoreRecord): ReadonlyArray<ModelCalled> => s.modelCalls ?? []
const scoresOf = async () => {
  const stored = await storedRun(db, RUN)
  expect(stored.rows).toHaveLength(1)
  const id = stored.rows[0].episodeId
  return { id, events: stored.events[id], scores: stored.scores[id] }
}
const rescore = (...extra: string[]) => run(["rescore", "--run", RUN, "--nl-judge", "openai:gpt-4.1", "--db", db, "--json", ...extra])

data.describe("--nl-judge openai:<model> against the local server", () => {
  it("tau run asks the judge with the reference's request and stores the call with the score", async () => {
    answer = () => verdict(true)
    const r = ok(
      await run([
        "run",
        "--domain",
        "retail",
        "--data-dir",
        data.tau2,
        "--task-ids",
        "2",
        "--agent",
        "oracle",
        "--user",
        "scripted",
        "--nl-judge",
        "openai:gpt-4.1",
        "--run-id",
        RUN,
        "--db",
        db,
        "--json",
      ]),
    )
    expect(jsonLines(r.stdout).map((l) => [l.termination_reason, l.reward])).toEqual([["user_stop", 1]])
    expect(r.stderr).toContain("judge openai:gpt-4.1: 1 model call, cost $0.0024")
    expect(server.calls).toHaveLength(1)
    const call = server.calls[0]
    expect(call.model).toBe("gpt-4.1")
    expect(call.body.temperature).toBe(0)
    expect(call.body).not.toHaveProperty("seed")
    expect(call.tools).toEqual([])

    const { events, scores } = await scoresOf()
    // The stream is closed at its end: the judge's call is not an event.
    expect(events.filter((e) => e.event._tag === "ModelCalled")).toEqual([])
    expect(scores).toHaveLength(1)
    const [score] = scores
    const breakdown = score.breakdown as { nl_judge: string; nl_assertions: Array<{ nl_assertion: string; met: boolean }>; reward_breakdown: object }
    expect(breakdown.nl_judge).toBe("openai:gpt-4.1")
    expect(breakdown.nl_assertions).toEqual([{ nl_assertion: ASSERTION, met: true, justification: "The agent listed 10 options." }])
    const [judged] = judgeOf(score)
    expect(judgeOf(score)).toHaveLength(1)
    expect({ participant: judged.participant, provider: judged.provider, model: judged.model, usage: judged.usage, error: judged.error }).toEqual({
      participant: "judge",
      provider: "openai",
      model: "gpt-4.1",
      usage: { promptTokens: 1000, completionTokens: 50 },
      error: null,
    })
    expect(judged.cost).toBeCloseTo(VERDICT_COST, 12)
    // The prompt the server received is the reference's, byte for byte.
    const request = judged.request as { messages: Array<{ role: string; content: string }>; params: object }
    const prompt = buildNlJudgePrompt({
      assertions: [ASSERTION],
      trajectoryText: request.messages[1].content.split("conversation:\n        ")[1].split("\n        \n        expectedOutcomes:")[0],
    })
    expect(request.messages).toEqual([
      { role: "system", content: prompt.system },
      { role: "user", content: prompt.user },
    ])
    expect(call.system).toBe(prompt.system)
    expect(call.messages).toEqual([{ role: "user", text: prompt.user }])
    expect(request.params).toEqual({ temperature: 0 })
    expect(prompt.user).toContain(`expectedOutcomes:\n        ['${ASSERTION}']`)
  })

  it("the report shows the judge's cost beside the agent's and the user's", async () => {
    const report = JSON.parse(ok(await run(["report", "--run", RUN, "--format", "json", "--db", db])).stdout) as {
      cells: Array<{ usage: Record<string, { calls: number; cost: number | null }> }>
    }
    const usage = report.cells[0].usage
    expect(usage.judge.calls).toBe(1)
    expect(usage.judge.cost).toBeCloseTo(VERDICT_COST, 12)
    expect([usage.agent.calls, usage.user.calls]).toEqual([0, 0])
    const text = ok(await run(["report", "--run", RUN, "--db", db])).stdout
    expect(text).toMatch(/judged\s+judge\s+1\s+1000\s+50\s+\$0\.0024/)
  })

  it("a re-score with the same judge reuses the recorded verdict (no request); --fresh-judge asks again", async () => {
    answer = () => verdict(false)
    const reused = jsonLines(ok(await rescore()).stdout)
    expect(server.calls).toHaveLength(1)
    expect(reused.map((r) => [r.new_reward, r.judge_calls, r.judge_reused, r.judge_cost])).toEqual([[1, 1, 1, 0]])
    let { scores } = await scoresOf()
    const [cached] = judgeOf(scores[1])
    expect([cached.participant, cached.cost, cached.usage]).toEqual(["judge", 0, { promptTokens: 0, completionTokens: 0 }])
    expect((cached.response as { cached: { cost: number } }).cached.cost).toBeCloseTo(VERDICT_COST, 12)

    const fresh = jsonLines(ok(await rescore("--fresh-judge")).stdout)
    expect(server.calls).toHaveLength(2)
    // The judge now says the outcome was not met: the reward follows it.
    expect(fresh.map((r) => [r.new_reward, r.judge_calls, r.judge_reused])).toEqual([[0, 1, 0]])
    ;({ scores } = await scoresOf())
    expect(judgeOf(scores[2])[0].cost).toBeCloseTo(VERDICT_COST, 12)
    // The report counts what was paid: two answers, one reuse free.
    const report = JSON.parse(ok(await run(["report", "--run", RUN, "--format", "json", "--db", db])).stdout) as {
      cells: Array<{ usage: Record<string, { calls: number; cost: number }> }>
    }
    expect(report.cells[0].usage.judge.calls).toBe(3)
    expect(report.cells[0].usage.judge.cost).toBeCloseTo(2 * VERDICT_COST, 12)
  })

  it("a malformed reply is the reference's judge error: reward 0 with the error, the call kept with the score", async () => {
    answer = () => ({ type: "message", text: '```json\n{"results": []}\n```', usage: { input: 900, output: 10 } })
    const rows = jsonLines(ok(await rescore("--fresh-judge")).stdout)
    expect(rows.map((r) => r.new_reward)).toEqual([0])
    const { scores } = await scoresOf()
    const last = scores.at(-1)!
    expect((last.breakdown as { evaluator_error: string }).evaluator_error).toMatch(/^EvaluationError: nl_judge: JSONDecodeError: /)
    expect(judgeOf(last).map((c) => [c.participant, c.error, (c.response as { text: string }).text])).toEqual([
      ["judge", null, '```json\n{"results": []}\n```'],
    ])
    expect(judgeOf(last)[0].cost).toBeCloseTo((900 * 2 + 10 * 8) / 1_000_000, 12)
  })

  it("a provider that keeps failing: every attempt stored with the error score, never reused as an answer", async () => {
    answer = () => ({ type: "error", status: 500, message: "judge down" })
    const before = server.calls.length
    const rows = jsonLines(ok(await rescore("--fresh-judge", "--model-retries", "1")).stdout)
    expect(server.calls.length - before).toBe(2)
    expect(rows.map((r) => [r.new_reward, r.judge_calls])).toEqual([[0, 2]])
    const { scores } = await scoresOf()
    const last = scores.at(-1)!
    expect((last.breakdown as { evaluator_error: string }).evaluator_error).toMatch(
      /^EvaluationError: nl_judge: ModelCallError: openai:gpt-4\.1: gave up after 2 attempts: server \(HTTP 500\)/,
    )
    expect(judgeOf(last).map((c) => [c.attempt, c.cost, c.error?.startsWith("server (HTTP 500)")])).toEqual([
      [1, 0, true],
      [2, 0, true],
    ])
    // The next re-score still reuses the first recorded answer.
    const again = jsonLines(ok(await rescore()).stdout)
    expect(server.calls.length - before).toBe(2)
    expect(again.map((r) => [r.new_reward, r.judge_reused])).toEqual([[1, 1]])
  })

  it("a judge without its API key is an error before anything is scored", async () => {
    const before = (await scoresOf()).scores.length
    const r = await run(["rescore", "--run", RUN, "--nl-judge", "openai:gpt-4.1", "--db", db], false)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error: .*OPENAI_API_KEY/m)
    expect((await scoresOf()).scores).toHaveLength(before)
    const unknown = await run(["rescore", "--run", RUN, "--nl-judge", "gpt-4.1", "--db", db])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown NL judge "gpt-4.1"')
  })

  it("the store never holds the key, and verify covers the stored judge calls", async () => {
    const bytes = [db, `${db}-wal`].map((f) => {
      try {
        return readFileSync(f).toString("latin1")
      } catch {
        return ""
      }
    })
    expect(bytes.join("")).toContain("gpt-4.1")
    expect(bytes.join("")).not.toContain(KEY)
    const verify = await run(["replay", "--all", "--verify", "--db", db, "--json"])
    expect(verify.code).toBe(0)
    expect(jsonLines(verify.stdout).map((v) => [v.verified, v.findings])).toEqual([[true, []]])
  })
  it("a re-score costs the judge with the prices its run recorded", async () => {
    answer = () => verdict(true)
    const priced = "judged-priced"
    const args = ["--domain", "retail", "--data-dir", data.tau2, "--task-ids", "2", "--agent", "oracle", "--user", "scripted"]
    ok(await run(["run", ...args, "--nl-judge", "openai:gpt-4.1", "--price", "gpt-4.1=100,200", "--run-id", priced, "--db", db, "--json"]))
    const rows = jsonLines(ok(await run(["rescore", "--run", priced, "--nl-judge", "openai:gpt-4.1", "--fresh-judge", "--db", db, "--json"])).stdout)
    // $100 / $200 per million tokens as recorded, not the table's $2 / $8.
    expect(rows.map((r) => r.judge_cost)).toEqual([(1000 * 100 + 50 * 200) / 1_000_000])
  })
})
