/**
 * The judge ports with scripted judges, on demo conversations played into SQLite: the calls a
 * judge reports are stored with the score it produced (an answer or a failure), the NL judge of
 * the runs' own scoring comes from `CurrentNlJudge`, and support-desk's `policy_adherence` is
 * there only when a policy judge is given. The reply parsing of the policy judge, strict as the NL
 * judge's.
 */
import { demoDomain } from "@tau-sim/domains/demo"
import { EventStore, type ModelCalled, type Task } from "@tau-sim/engine"
import { modelCalled } from "@tau-sim/engine/testing"
import { Effect, Result } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import {
  CurrentNlJudge,
  evaluationError,
  type JudgeCallSink,
  type NlJudge,
  parsePolicyJudgeReply,
  type PolicyJudge,
  PolicyJudgeError,
  type PolicyVerdict,
  scoreEpisode,
  scoreSupportDesk,
} from "../../src/index.ts"
import { call, findTask, playScripted, runOn, say, tempStores } from "./episodes.ts"

const domain = demoDomain()
const stores = tempStores("judges")
afterAll(stores.dispose)

const REQUEST = "Hi, please renew my loan L001. My email is ben.schmidt1@example.org."
const agent = [call("find_member_by_email", { email: "ben.schmidt1@example.org" }), call("renew_loan", { loan_id: "L001" }), say("Done.")]
const user = [say(REQUEST), say("Thanks. ###STOP###")]

const judgeCall = (cost: number, error: string | null = null): ModelCalled => ({ ...modelCalled(), participant: "judge", cost, error })

/** A scripted judge that "calls a model": it reports `calls` to the evaluation's sink, then answers or fails. */
const scripted = <J extends { readonly recordingTo?: (sink: JudgeCallSink) => J }>(make: (sink: JudgeCallSink | undefined) => Omit<J, "recordingTo">): J => {
  const build = (sink: JudgeCallSink | undefined): J => ({ ...make(sink), recordingTo: (s: JudgeCallSink) => build(s) }) as J
  return build(undefined)
}

describe("NL judge calls stored with the τ² score", () => {
  // The demo task with an NL assertion in its basis, so that the judge is asked.
  const base = findTask(domain, "renew_loan")
  const task: Task = {
    ...base,
    evaluation_criteria: { ...base.evaluation_criteria, nl_assertions: ["The agent renewed the loan"], reward_basis: ["NL_ASSERTION"] },
  }
  const nlJudge = (met: boolean, fail = false): NlJudge =>
    scripted<NlJudge>((sink) => ({
      name: "scripted:model",
      judge: (request) =>
        Effect.suspend(() => {
          sink?.([judgeCall(0.01)])
          return fail
            ? Effect.fail(evaluationError("nl_judge", "JSONDecodeError", "Expecting value"))
            : Effect.succeed(request.assertions.map((nl_assertion) => ({ nl_assertion, met, justification: "scripted" })))
        }),
    }))

  it("the judge of CurrentNlJudge scores, and its calls are stored with the score", async () => {
    const path = stores.next()
    const e = await playScripted(path, domain, task, { agent, user })
    const stored = await runOn(
      path,
      Effect.gen(function* () {
        yield* scoreEpisode(e.episodeId, domain, task, e.state).pipe(Effect.provideService(CurrentNlJudge, nlJudge(false)))
        // Without a judge given or provided: the scripted all-met judge, no model calls.
        yield* scoreEpisode(e.episodeId, domain, task, e.state)
        yield* scoreEpisode(e.episodeId, domain, task, e.state, { nlJudge: nlJudge(true, true) })
        return yield* Effect.flatMap(EventStore, (s) => s.listScores(e.episodeId))
      }),
    )
    expect(stored.map((s) => [s.reward, (s.breakdown as { nl_judge?: string }).nl_judge ?? null, s.modelCalls?.map((c) => c.cost) ?? null])).toEqual([
      [0, "scripted:model", [0.01]],
      [1, "stub:assume_met", null],
      // A judge that failed: reward 0 with its error, and the call it made.
      [0, null, [0.01]],
    ])
    expect((stored[2].breakdown as { evaluator_error: string }).evaluator_error).toBe("EvaluationError: nl_judge: JSONDecodeError: Expecting value")
  })
})

describe("support-desk policy_adherence", () => {
  const task = findTask(domain, "renew_loan")
  const policyJudge = (verdict: PolicyVerdict | string): PolicyJudge =>
    scripted<PolicyJudge>((sink) => ({
      name: "scripted:policy",
      judge: (request) =>
        Effect.suspend(() => {
          sink?.([judgeCall(0.02), judgeCall(0, "timeout: no answer")].reverse())
          expect(request.policy).toBe(domain.policy.default)
          expect(request.conversationText).toMatch(/\[\d+\] assistant calls renew_loan\(\{"loan_id":"L001"\}\)/)
          return typeof verdict === "string" ? Effect.fail(new PolicyJudgeError({ judge: "scripted:policy", detail: verdict })) : Effect.succeed(verdict)
        }),
    }))

  it("only with a judge: its score is a component of the reward, its violations and calls are stored", async () => {
    const path = stores.next()
    const e = await playScripted(path, domain, task, { agent, user })
    const violation = { rule: "confirm before a write", evidence: "[4] renew_loan unasked" }
    const scores = await runOn(
      path,
      Effect.gen(function* () {
        const plain = yield* scoreSupportDesk(e.episodeId, domain, task, e.state, e.events)
        const judged = yield* scoreSupportDesk(e.episodeId, domain, task, e.state, e.events, {
          policyJudge: policyJudge({ score: 0.5, violations: [violation], reasoning: "unasked write" }),
        })
        const failed = yield* scoreSupportDesk(e.episodeId, domain, task, e.state, e.events, { policyJudge: policyJudge("the reply is not JSON") })
        return { plain, judged, failed }
      }),
    )
    type V = { breakdown: Record<string, number | null>; details: Record<string, unknown>; reward: number }
    const plain = scores.plain.breakdown as V
    const judged = scores.judged.breakdown as V
    expect(Object.keys(plain.breakdown)).not.toContain("policy_adherence")
    expect(scores.plain.modelCalls).toBeUndefined()
    expect(judged.breakdown).toEqual({ ...plain.breakdown, policy_adherence: 0.5 })
    const applicable = Object.values(judged.breakdown).filter((v): v is number => v !== null)
    expect(scores.judged.reward).toBeCloseTo(applicable.reduce((a, v) => a + v, 0) / applicable.length, 12)
    expect(judged.details.policy_adherence).toEqual({ score: 0.5, judge: "scripted:policy", violations: [violation], reasoning: "unasked write" })
    expect(scores.judged.modelCalls?.map((c) => [c.participant, c.cost, c.error])).toEqual([
      ["judge", 0, "timeout: no answer"],
      ["judge", 0.02, null],
    ])
    expect([scores.failed.reward, (scores.failed.breakdown as { evaluator_error: string }).evaluator_error]).toEqual([
      0,
      "PolicyJudgeError: policy_adherence: judge scripted:policy: the reply is not JSON",
    ])
    expect(scores.failed.modelCalls).toHaveLength(2)
  })

  it("reads a verdict strictly", () => {
    const parse = (text: string | null) => {
      const r = parsePolicyJudgeReply("j", text)
      return Result.isSuccess(r) ? r.success : r.failure.message
    }
    expect(parse('{"score": 1, "violations": [], "reasoning": "fine"}')).toEqual({ score: 1, violations: [], reasoning: "fine" })
    expect(parse('{"score": 0.3, "violations": [{"rule": "r", "evidence": "e"}]}')).toEqual({
      score: 0.3,
      violations: [{ rule: "r", evidence: "e" }],
      reasoning: "",
    })
    expect(parse('```json\n{"score": 1}\n```')).toMatch(/^policy_adherence: judge j: the reply is not JSON/)
    expect(parse(null)).toBe("policy_adherence: judge j: the reply has no text")
    expect(parse("[1]")).toBe("policy_adherence: judge j: the reply is not a JSON object")
    expect(parse('{"score": 1.5}')).toBe("policy_adherence: judge j: `score` is not a number from 0 to 1")
    expect(parse('{"score": "1"}')).toBe("policy_adherence: judge j: `score` is not a number from 0 to 1")
    expect(parse('{"score": 1, "violations": {}}')).toBe("policy_adherence: judge j: `violations` is not a list")
    expect(parse('{"score": 1, "violations": [{"rule": "r"}]}')).toBe("policy_adherence: judge j: violations[0] lacks rule/evidence")
    expect(parse('{"score": 1, "reasoning": 3}')).toBe("policy_adherence: judge j: `reasoning` is not a string")
  })
})
