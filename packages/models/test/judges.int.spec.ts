/**
 * The LLM judges over the model port against the scripted local server, in both wire formats: the
 * request each sends (its prompt as system and user message, temperature 0 unless the spec says
 * otherwise, no tools), the calls reported to the evaluation's sink (participant judge, usage,
 * cost from the price table), the answer reused from a cache without a request, and specs that
 * cannot be called as typed, redacted errors.
 */
import { buildNlJudgePrompt, buildPolicyJudgePrompt } from "@tau-sim/evaluators"
import type { ModelCalled } from "@tau-sim/engine"
import { Effect, Exit } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type FakeLlmServer, type Reply, startFakeLlmServer } from "../testing/index.ts"
import { makeModelRuntime, type ModelRuntimeOptions, nlJudgeOfSpec, policyJudgeOfSpec, SpecCredentials } from "../src/index.ts"

const KEY = "sk-judges-test-0123456789abcdef"
const PASSWORD = "pw-judge-secret-31415"
let reply: Reply
let server: FakeLlmServer
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: () => reply })
})
afterAll(async () => {
  await server.close()
})

const runtime = (options: Partial<ModelRuntimeOptions> = {}) =>
  makeModelRuntime({
    env: { OPENAI_API_KEY: KEY, ANTHROPIC_API_KEY: KEY, OPENAI_BASE_URL: server.baseURL, ANTHROPIC_BASE_URL: server.baseURL },
    credentials: new SpecCredentials(),
    maxRetries: 0,
    ...options,
  })
const request = { assertions: ["The agent greeted the user"], trajectoryText: "assistant: Hi!\nuser: hello" }
const met = (value: boolean): Reply => ({
  type: "message",
  text: JSON.stringify({ results: [{ expectedOutcome: request.assertions[0], reasoning: "said hi", metExpectation: value }] }),
  usage: { input: 400, output: 20 },
})

describe("the NL judge over the model port", () => {
  it.each([
    ["openai:gpt-4.1", "openai", 2, 8],
    ["anthropic:claude-sonnet-4-5", "anthropic", 3, 15],
  ] as const)("%s: the reference's prompt at temperature 0, its calls to the sink with their cost", async (spec, api, input, output) => {
    reply = met(true)
    const before = server.calls.length
    const calls: Array<ModelCalled> = []
    const judge = await Effect.runPromise(nlJudgeOfSpec(spec, runtime()))
    expect(judge.name).toBe(spec)
    const checks = await Effect.runPromise(judge.recordingTo!((c) => calls.push(...c)).judge(request))
    expect(checks).toEqual([{ nl_assertion: request.assertions[0], met: true, justification: "said hi" }])
    const sent = server.calls.slice(before)
    expect(sent).toHaveLength(1)
    const prompt = buildNlJudgePrompt(request)
    expect([sent[0].api, sent[0].system, sent[0].messages, sent[0].tools, sent[0].body.temperature]).toEqual([
      api,
      prompt.system,
      [{ role: "user", text: prompt.user }],
      [],
      0,
    ])
    expect(sent[0].body).not.toHaveProperty("seed")
    expect(calls.map((c) => [c.participant, c.usage, c.error])).toEqual([["judge", { promptTokens: 400, completionTokens: 20 }, null]])
    expect(calls[0].cost).toBeCloseTo((400 * input + 20 * output) / 1_000_000, 12)
  })

  it("the spec's own arguments go over the judge's defaults", async () => {
    reply = met(false)
    const before = server.calls.length
    const judge = await Effect.runPromise(nlJudgeOfSpec('openai:gpt-4.1{"temperature":0.3,"max_tokens":64}', runtime()))
    expect((await Effect.runPromise(judge.judge(request)))[0].met).toBe(false)
    expect([server.calls[before].body.temperature, server.calls[before].body.max_tokens]).toEqual([0.3, 64])
  })

  it("an answer the cache has is reused without a request, recorded as a free cached call", async () => {
    reply = met(true)
    const first: Array<ModelCalled> = []
    const judge = await Effect.runPromise(nlJudgeOfSpec("openai:gpt-4.1", runtime()))
    await Effect.runPromise(judge.recordingTo!((c) => first.push(...c)).judge(request))
    const before = server.calls.length
    const reused: Array<ModelCalled> = []
    const cache = { find: (hash: string) => Effect.succeed(first.find((c) => c.requestHash === hash)) }
    const cached = await Effect.runPromise(nlJudgeOfSpec("openai:gpt-4.1", runtime({ cache })))
    reply = met(false)
    const checks = await Effect.runPromise(cached.recordingTo!((c) => reused.push(...c)).judge(request))
    expect(server.calls.length).toBe(before)
    expect(checks[0].met).toBe(true)
    expect(reused.map((c) => [c.participant, c.cost, c.requestHash])).toEqual([["judge", 0, first[0].requestHash]])
  })

  it("a reply without text, or one the reference cannot parse: nl_judge errors, the call reported first", async () => {
    const judge = await Effect.runPromise(nlJudgeOfSpec("openai:gpt-4.1", runtime()))
    for (const [r, pythonType] of [
      [{ type: "message", text: null, toolCalls: [{ name: "f", arguments: "{}" }] }, "TypeError"],
      [{ type: "message", text: '{"results": [{"expectedOutcome": "x"}]}' }, "ValidationError"],
    ] as const) {
      reply = r
      const calls: Array<ModelCalled> = []
      const exit = await Effect.runPromiseExit(judge.recordingTo!((c) => calls.push(...c)).judge(request))
      expect(Exit.isFailure(exit) && exit.cause.toString()).toContain(`nl_judge: ${pythonType}`)
      expect(calls).toHaveLength(1)
    }
  })
})

describe("the policy judge over the model port", () => {
  it("sends its prompt and reads the verdict", async () => {
    reply = { type: "message", text: JSON.stringify({ score: 0.5, violations: [{ rule: "r", evidence: "e" }], reasoning: "x" }) }
    const before = server.calls.length
    const judge = await Effect.runPromise(policyJudgeOfSpec("openai:gpt-4.1", runtime()))
    const verdict = await Effect.runPromise(judge.judge({ policy: "Be kind.", conversationText: "[0] assistant: Hi" }))
    expect(verdict).toEqual({ score: 0.5, violations: [{ rule: "r", evidence: "e" }], reasoning: "x" })
    const prompt = buildPolicyJudgePrompt({ policy: "Be kind.", conversationText: "[0] assistant: Hi" })
    expect([server.calls[before].system, server.calls[before].messages, server.calls[before].body.temperature]).toEqual([
      prompt.system,
      [{ role: "user", text: prompt.user }],
      0,
    ])
  })
})

describe("judge specs that cannot be called", () => {
  const specError = async (spec: string, options: Partial<ModelRuntimeOptions> = {}) => {
    const exit = await Effect.runPromiseExit(nlJudgeOfSpec(spec, runtime(options)))
    if (!Exit.isFailure(exit)) throw new Error("expected a failure")
    return exit.cause.toString()
  }

  it("no key, not a model, a malformed spec: ParticipantSpecError", async () => {
    expect(await specError("anthropic:claude-sonnet-4-5", { env: {} })).toMatch(/ParticipantSpecError.*ANTHROPIC_API_KEY/s)
    expect(await specError("scripted:all-met")).toContain("a judge is a model")
    expect(await specError("compat:m")).toContain("compat:<model>@<base-url>")
  })

  it("credentials in a compat URL are never in the judge's name, its errors or its calls", async () => {
    reply = { type: "error", status: 401, message: `bad password ${PASSWORD}` }
    const spec = `compat:m@${server.url.replace("http://", `http://user:${PASSWORD}@`)}/v1`
    const judge = await Effect.runPromise(nlJudgeOfSpec(spec, runtime()))
    expect(judge.name).not.toContain(PASSWORD)
    const calls: Array<ModelCalled> = []
    const exit = await Effect.runPromiseExit(judge.recordingTo!((c) => calls.push(...c)).judge(request))
    const text = Exit.isFailure(exit) ? exit.cause.toString() : ""
    expect(text).toContain("nl_judge: ModelCallError")
    expect(text).not.toContain(PASSWORD)
    expect(JSON.stringify(calls)).not.toContain(PASSWORD)
    expect(calls.map((c) => c.error?.startsWith("client (HTTP 401)"))).toEqual([true])
  })
})
