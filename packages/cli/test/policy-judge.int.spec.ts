/**
 * support-desk's optional LLM-judged `policy_adherence` through the real CLI, the judge being the
 * scripted local server on 127.0.0.1 (OpenAI wire format): two demo conversations of scripted
 * agents (one states the renewal and gets a "yes" first, one renews unasked), judged with
 * scripted verdicts. Checked: off by default (no request, no component, no report column); with
 * `--policy-judge` the request carries the policy and the conversation with its tool calls, the
 * verdict becomes the component (and part of the reward), its violations are stored, the call is
 * stored with the score (participant judge, cost) and counted in the report; a re-score reuses
 * the verdict; a malformed verdict is an evaluator error that keeps the call.
 */
import { writeFileSync } from "node:fs"
import { DEMO_POLICY } from "@tau-sim/domains/demo"
import type { ModelCalled, ScoreRecord } from "@tau-sim/engine"
import { buildPolicyJudgePrompt } from "@tau-sim/evaluators"
import { type FakeCall, type FakeLlmServer, type Reply, startFakeLlmServer } from "@tau-sim/models/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, storedRun, type TauResult, tau, tempDir } from "./tau.ts"

const tmp = tempDir("policy-judge")
const KEY = "sk-policy-judge-9a8b7c6d5e4f3a2b1c0d"

const REQUEST = "Hi, please renew my loan L001. My email is ben.schmidt1@example.org."
const PROPOSAL = "Loan L001 is due on 2025-03-06. I can renew loan L001 by 14 days, to 2025-03-20. Shall I go ahead?"
const find = { tool_calls: [{ name: "find_member_by_email", arguments: { email: "ben.schmidt1@example.org" } }] }
const lookUp = { tool_calls: [{ name: "get_loan_details", arguments: { loan_id: "L001" } }] }
const renew = { tool_calls: [{ name: "renew_loan", arguments: { loan_id: "L001" } }] }
const done = { text: "Done: loan L001 is now due on 2025-03-20." }
const script = (name: string, turns: ReadonlyArray<unknown>): string => {
  const file = tmp.file(`${name}.json`)
  writeFileSync(file, JSON.stringify(turns))
  return `scripted:${file}`
}
const USER = script("user", [{ text: REQUEST }, { text: "Yes, please go ahead." }, { text: "Thanks. ###STOP###" }])
const ASKS = script("agent-asks", [find, lookUp, { text: PROPOSAL }, renew, done])
const UNASKED = script("agent-unasked", [find, lookUp, renew, done, { text: "Is there anything else I can do for you?" }])

const VIOLATION = { rule: "Obtain explicit user confirmation (yes) before any write", evidence: "renew_loan was called before the user agreed" }
/** The scripted verdicts: adherent when the agent asked first. */
const policyVerdict = (call: FakeCall): Reply => {
  const user = call.messages[0]?.role === "user" ? call.messages[0].text : ""
  const adherent = user.includes("Shall I go ahead?")
  return {
    type: "message",
    text: JSON.stringify(
      adherent
        ? { score: 1, violations: [], reasoning: "Stated the renewal and waited for a yes." }
        : { score: 0.25, violations: [VIOLATION], reasoning: "Renewed without asking." },
    ),
    usage: { input: 2000, output: 100 },
  }
}
// gpt-4.1 at $2 / $8 per million tokens.
const VERDICT_COST = (2000 * 2 + 100 * 8) / 1_000_000

let answer: (call: FakeCall) => Reply = policyVerdict
let server: FakeLlmServer
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: (call) => answer(call) })
})
afterAll(async () => {
  await server?.close()
  tmp.dispose()
})

const env = (): NodeJS.ProcessEnv => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/API_KEY|BASE_URL/.test(k)))
  return { ...clean, OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: KEY }
}
const run = (args: ReadonlyArray<string>) => tau(args, tmp.root, env())
const ok = (r: TauResult): TauResult => {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) })
  return r
}

const db = tmp.db()
const deskRescore = (runId: string, ...extra: string[]) => run(["rescore", "--run", runId, "--evaluator", "support-desk", "--db", db, "--json", ...extra])
const judged = (runId: string, ...extra: string[]) => deskRescore(runId, "--policy-judge", "openai:gpt-4.1", ...extra)
const latestDesk = async (runId: string): Promise<ScoreRecord> => {
  const stored = await storedRun(db, runId)
  return stored.scores[stored.rows[0].episodeId].filter((s) => s.evaluator === "support-desk").at(-1)!
}
type Verdict = { reward: number; breakdown: Record<string, number | null>; details: { policy_adherence?: unknown } }
const mean = (b: Record<string, number | null>) => {
  const xs = Object.values(b).filter((v): v is number => v !== null)
  return xs.reduce((a, v) => a + v, 0) / xs.length
}
type DeskReport = {
  cells: Array<{
    run_id: string
    usage: { judge: { calls: number; cost: number } }
    support_desk?: { components: Record<string, { mean: { estimate: number } }> }
  }>
}

describe("support-desk policy_adherence judged by a model", () => {
  beforeAll(async () => {
    for (const [id, agent] of [
      ["asks", ASKS],
      ["unasked", UNASKED],
    ]) {
      ok(await run(["run", "--domain", "demo", "--task-ids", "renew_loan", "--agent", agent, "--user", USER, "--run-id", id, "--db", db]))
    }
  })

  it("is off by default: no request, no component, no report column", async () => {
    const rows = jsonLines(ok(await deskRescore("asks")).stdout)
    expect(server.calls).toHaveLength(0)
    expect(Object.keys(rows[0].breakdown as object)).toEqual(["confirm_before_write", "escalation", "grounded_claims", "unsafe_actions"])
    expect(rows[0]).not.toHaveProperty("judge_calls")
    const text = ok(await run(["report", "--run", "asks", "--db", db])).stdout
    expect(text).toContain("confirm_before_write")
    expect(text).not.toContain("policy_adherence")
  })

  it("an adherent conversation: the judge gets the policy and the conversation with its calls, and its score is the component", async () => {
    const rows = jsonLines(ok(await judged("asks")).stdout)
    expect(server.calls).toHaveLength(1)
    const call = server.calls[0]
    expect([call.model, call.body.temperature, call.tools]).toEqual(["gpt-4.1", 0, []])
    const user = call.messages[0].role === "user" ? call.messages[0].text : ""
    expect(call.system).toBe(buildPolicyJudgePrompt({ policy: "", conversationText: "" }).system)
    expect(user.slice(0, user.indexOf("\n\nconversation:\n"))).toBe(`policy:\n${DEMO_POLICY}`)
    expect(user).toMatch(/\[\d+\] user: Hi, please renew my loan L001/)
    expect(user).toMatch(/\[\d+\] assistant calls renew_loan\(\{"loan_id":"L001"\}\)/)
    expect(user).toMatch(/\[\d+\] tool: /)
    expect(user).toContain(PROPOSAL)

    const breakdown = rows[0].breakdown as Record<string, number | null>
    expect(breakdown.policy_adherence).toBe(1)
    expect(rows[0].new_reward).toBeCloseTo(mean(breakdown), 12)
    expect([rows[0].judge_calls, rows[0].judge_reused, rows[0].judge_cost]).toEqual([1, 0, VERDICT_COST])
    const score = await latestDesk("asks")
    expect((score.breakdown as Verdict).details.policy_adherence).toEqual({
      score: 1,
      judge: "openai:gpt-4.1",
      violations: [],
      reasoning: "Stated the renewal and waited for a yes.",
    })
    const [calls] = [score.modelCalls as ReadonlyArray<ModelCalled>]
    expect(calls.map((c) => [c.participant, c.model, c.usage, c.error])).toEqual([["judge", "gpt-4.1", { promptTokens: 2000, completionTokens: 100 }, null]])
  })

  it("a violating conversation: a lower score and the violations, in the breakdown, the reward and the report", async () => {
    const unjudged = jsonLines(ok(await deskRescore("unasked")).stdout)
    const rows = jsonLines(ok(await judged("unasked")).stdout)
    expect(server.calls).toHaveLength(2)
    const breakdown = rows[0].breakdown as Record<string, number | null>
    expect(breakdown.policy_adherence).toBe(0.25)
    expect(breakdown.confirm_before_write).toBe(0)
    expect(rows[0].new_reward).toBeCloseTo(mean(breakdown), 12)
    // The rules' components are the judge-less verdict's; only the judged one is new.
    expect(rows[0].components).toEqual([{ component: "policy_adherence", old: null, new: 0.25 }])
    expect({ ...breakdown, policy_adherence: undefined }).toEqual({ ...(unjudged[0].breakdown as object), policy_adherence: undefined })
    const score = await latestDesk("unasked")
    expect((score.breakdown as Verdict).details.policy_adherence).toEqual({
      score: 0.25,
      judge: "openai:gpt-4.1",
      violations: [VIOLATION],
      reasoning: "Renewed without asking.",
    })

    const report = JSON.parse(ok(await run(["report", "--run", "unasked", "--format", "json", "--db", db])).stdout) as DeskReport
    expect(report.cells[0].support_desk?.components.policy_adherence.mean.estimate).toBe(0.25)
    expect(report.cells[0].usage.judge.calls).toBe(1)
    expect(report.cells[0].usage.judge.cost).toBeCloseTo(VERDICT_COST, 12)
    const text = ok(await run(["report", "--run", "unasked", "--db", db])).stdout
    expect(text).toContain("policy_adherence")

    // show: the component, the violations, and the judge's call in the episode's usage.
    const episode = (await storedRun(db, "unasked")).rows[0].episodeId
    const shown = ok(await run(["show", episode, "--db", db])).stdout
    expect(shown).toMatch(/policy_adherence\s+0\.25\s+1 violations \(judge openai:gpt-4\.1\)/)
    expect(shown).toContain(`policy violations (1):`)
    expect(shown).toContain(JSON.stringify(VIOLATION.rule))
    const json = JSON.parse(ok(await run(["show", episode, "--db", db, "--json"])).stdout) as { model_usage: { judge: { calls: number; cost: number } } }
    expect(json.model_usage.judge.calls).toBe(1)
    expect(json.model_usage.judge.cost).toBeCloseTo(VERDICT_COST, 12)
  })

  it("a re-score reuses the recorded verdicts; a malformed verdict is an evaluator error that keeps its call", async () => {
    const again = jsonLines(ok(await judged("unasked")).stdout)
    expect(server.calls).toHaveLength(2)
    expect([(again[0].breakdown as Record<string, number>).policy_adherence, again[0].judge_reused, again[0].judge_cost]).toEqual([0.25, 1, 0])

    answer = () => ({ type: "message", text: '{"score": "high"}', usage: { input: 2000, output: 5 } })
    const bad = jsonLines(ok(await judged("unasked", "--fresh-judge")).stdout)
    expect(server.calls).toHaveLength(3)
    expect([bad[0].new_reward, bad[0].error]).toEqual([0, "PolicyJudgeError: policy_adherence: judge openai:gpt-4.1: `score` is not a number from 0 to 1"])
    const score = await latestDesk("unasked")
    expect((score.modelCalls ?? []).map((c) => [c.participant, (c.response as { text: string }).text])).toEqual([["judge", '{"score": "high"}']])
    answer = policyVerdict
  })

  it("--policy-judge belongs to support-desk, --nl-judge to tau2", async () => {
    const tau2 = await run(["rescore", "--run", "asks", "--policy-judge", "openai:gpt-4.1", "--db", db])
    expect(tau2.code).toBe(2)
    expect(tau2.stderr).toContain("--policy-judge adds policy_adherence to support-desk")
    const desk = await run(["rescore", "--run", "asks", "--evaluator", "support-desk", "--nl-judge", "openai:gpt-4.1", "--db", db])
    expect(desk.code).toBe(2)
    expect(desk.stderr).toContain("support-desk's judge is --policy-judge")
  })
})
