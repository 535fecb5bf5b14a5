/**
 * Recorded calls over real HTTP: every attempt an event, retries on 429/5xx/hangs, no retry where
 * it cannot help, the response cache, prices, the usage totals of the runtime. Backoff is 0 here
 * (nothing waits in real time); when calls happen is `timing.unit.spec.ts`, on a test clock.
 */
import { decodeEvent, encodeEvent, makeMemoryStore, type ModelCalled } from "@tau-sim/engine"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Brain, type FakeLlmServer, type Reply, startFakeLlmServer } from "../testing/index.ts"
import {
  type CallFailure,
  makeModelClient,
  type ModelRequest,
  ModelRuntime,
  type ModelRuntimeOptions,
  parseModelSpec,
  recordedCall,
  requestHash,
  storeResponseCache,
} from "../src/index.ts"

const KEY = "sk-test-recorded-0123456789"
let server: FakeLlmServer
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: () => ({ type: "message", text: "ok" }) })
})
afterAll(() => server.close())

const env = () => ({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseURL })
/** A fresh runtime per call, as a composition root builds it. */
const runtime = (options: Partial<ModelRuntimeOptions> = {}) =>
  ModelRuntime.layer({ env: env(), backoffBaseMs: 0, backoffMaxMs: 0, timeoutMs: 5_000, ...options })
const client = (model = "gpt-4.1") => makeModelClient(parseModelSpec(`openai:${model}`) ?? (undefined as never), { env: env() })

const request = (seed = 1): ModelRequest => ({
  messages: [
    { role: "system", content: "sys" },
    { role: "user", content: "hello" },
  ],
  tools: [],
  toolChoice: null,
  params: { temperature: 0, seed },
})

/** A brain that plays `script` in order, then answers "ok". */
const scripted = (...script: Reply[]): Brain => {
  let i = 0
  return () => script[i++] ?? { type: "message", text: "ok" }
}

/** The call's outcome and the runtime's totals after it. */
const withTotals = <A, E>(call: Effect.Effect<A, E, ModelRuntime>) =>
  Effect.gen(function* () {
    const outcome = yield* call
    return { ...outcome, totals: { ...(yield* ModelRuntime).totals } }
  })
const succeed = (rt = runtime(), req = request(), model = "gpt-4.1") =>
  Effect.runPromise(withTotals(recordedCall(client(model), req, "agent")).pipe(Effect.provide(rt)))
const fail = (rt = runtime(), req = request()): Promise<CallFailure> =>
  Effect.runPromise(Effect.flip(recordedCall(client(), req, "agent")).pipe(Effect.provide(rt))) as Promise<CallFailure>

/** Events must survive the store's encoding unchanged. */
const roundTrip = (e: ModelCalled) => decodeEvent("ep", 0, encodeEvent(e))

describe("recorded calls", () => {
  it("records a successful call with request, raw response, usage, cost from the price table, latency and hash", async () => {
    server.setBrain(() => ({ type: "message", text: "hi there", usage: { input: 1000, output: 500 } }))
    const { response, events, totals } = await succeed()
    expect(response.text).toBe("hi there")
    expect(events).toHaveLength(1)
    const [e] = events
    expect(e).toMatchObject({ _tag: "ModelCalled", participant: "agent", provider: "openai", model: "gpt-4.1", attempt: 1, error: null })
    expect(e.usage).toEqual({ promptTokens: 1000, completionTokens: 500 })
    expect(e.cost).toBeCloseTo((1000 * 2 + 500 * 8) / 1e6, 12)
    expect(e.latencyMs).toBeGreaterThan(0)
    expect(e.requestHash).toBe(requestHash("openai:gpt-4.1", request()))
    expect(e.request).toMatchObject({ identity: "openai:gpt-4.1", messages: request().messages, params: { temperature: 0, seed: 1 }, toolChoice: null })
    expect(e.response).toMatchObject({ text: "hi there", toolCalls: [], finishReason: "stop", pricing: { inputPerMTok: 2, outputPerMTok: 8 } })
    expect(JSON.stringify((e.response as { raw: unknown }).raw)).toContain("chatcmpl")
    expect(roundTrip(e)).toEqual(JSON.parse(encodeEvent(e)))
    expect(totals).toMatchObject({ calls: 1, failedCalls: 0, promptTokens: 1000, completionTokens: 500 })
    expect(totals.cost).toBeCloseTo(e.cost ?? Number.NaN, 12)
    expect(totals.unpricedCalls).toBe(0)
  })

  it("records an unpriced model's cost as unknown (null, never 0), tells onUnpriced once per model, and prices it from user prices", async () => {
    server.setBrain(() => ({ type: "message", text: "ok", usage: { input: 100, output: 10 } }))
    const told: string[] = []
    const rt = runtime({ onUnpriced: (model, provider) => told.push(`${provider}:${model}`) })
    const calls = await Effect.runPromise(
      Effect.gen(function* () {
        const a = yield* recordedCall(client("test-model"), request(1), "agent")
        const b = yield* recordedCall(client("test-model"), request(2), "user")
        const c = yield* recordedCall(client("gpt-4.1"), request(3), "agent")
        return { events: [...a.events, ...b.events, ...c.events], totals: { ...(yield* ModelRuntime).totals } }
      }).pipe(Effect.provide(rt)),
    )
    const [a, b, c] = calls.events
    expect([a.cost, b.cost]).toEqual([null, null])
    expect(a.response).toMatchObject({ pricing: null })
    expect(roundTrip(a)).toEqual(JSON.parse(encodeEvent(a)))
    expect(told).toEqual(["openai:test-model"])
    expect(calls.totals).toMatchObject({ calls: 3, unpricedCalls: 2 })
    expect(calls.totals.cost).toBeCloseTo(c.cost ?? Number.NaN, 12)

    const priced = await succeed(runtime({ userPrices: { "test-model": { inputPerMTok: 1, outputPerMTok: 10 } } }), request(4), "test-model")
    expect(priced.events[0].cost).toBeCloseTo((100 * 1 + 10 * 10) / 1e6, 12)
    expect(priced.events[0].response).toMatchObject({ pricing: { inputPerMTok: 1, outputPerMTok: 10 } })
    expect(priced.totals.unpricedCalls).toBe(0)
  })

  it("rides out a 429 storm, recording every failed attempt", async () => {
    const storm = { type: "error" as const, status: 429 }
    server.setBrain(scripted(storm, storm, storm, storm))
    const before = server.calls.length
    const { response, events, totals } = await succeed(runtime({ maxRetries: 5 }))
    expect(response.text).toBe("ok")
    expect(server.calls.length - before).toBe(5)
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5])
    expect(events.slice(0, 4).every((e) => e.error?.startsWith("rate_limited (HTTP 429)") && e.cost === 0)).toBe(true)
    expect(events[4].error).toBeNull()
    expect(new Set(events.map((e) => e.requestHash)).size).toBe(1)
    expect(totals).toMatchObject({ calls: 5, failedCalls: 4 })
    for (const e of events) expect(roundTrip(e)._tag).toBe("ModelCalled")
  })

  it("reads the server's Retry-After (the wait it asks for is in timing.unit.spec.ts)", async () => {
    server.setBrain(scripted({ type: "error", status: 429, retryAfterSeconds: 7 }))
    const failure = await fail(runtime({ maxRetries: 0 }))
    expect(failure.error).toMatchObject({ kind: "rate_limited", status: 429, retryAfterMs: 7_000 })
  })

  it("retries 5xx and gives up after the last retry with every attempt recorded", async () => {
    server.setBrain(() => ({ type: "error", status: 500 }))
    const failure = await fail(runtime({ maxRetries: 2 }))
    expect(failure.error).toMatchObject({ kind: "server", status: 500 })
    expect(failure.attempts).toBe(3)
    expect(failure.events.map((e) => [e.attempt, e.error?.slice(0, 19)])).toEqual([
      [1, "server (HTTP 500): "],
      [2, "server (HTTP 500): "],
      [3, "server (HTTP 500): "],
    ])
  })

  it("times out a hanging provider per attempt (on the test clock), gives up the request and retries", async () => {
    let arrived!: () => void
    const held = new Promise<void>((r) => {
      arrived = r
    })
    let first = true
    server.setBrain(() => {
      if (!first) return { type: "message", text: "ok" }
      first = false
      arrived()
      return { type: "hang" }
    })
    const { response, events } = await Effect.runPromise(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(recordedCall(client(), request(), "agent"))
        // The server holds the request; 299 ms later nothing has happened yet, at 300 ms the attempt is over.
        yield* Effect.promise(() => held)
        const calls = server.calls.length
        yield* TestClock.adjust(299)
        expect(server.calls.length).toBe(calls)
        yield* TestClock.adjust(1)
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(runtime({ timeoutMs: 300 })), Effect.provide(TestClock.layer())),
    )
    expect(response.text).toBe("ok")
    expect(events.map((e) => e.error?.split(":")[0] ?? null)).toEqual(["timeout", null])
    expect(events[0].latencyMs).toBe(300)
    expect(events[0].response).toEqual({ error: { kind: "timeout", status: null, message: "no answer within 300 ms" } })
  })

  it("does not retry what retrying cannot fix: a context-length error or a rejected request", async () => {
    server.setBrain(() => ({ type: "context_length" }))
    const tooLong = await fail()
    expect(tooLong.error.kind).toBe("context_length")
    expect(tooLong.events).toHaveLength(1)
    server.setBrain(() => ({ type: "error", status: 404, message: "model not found" }))
    const rejected = await fail()
    expect(rejected.error).toMatchObject({ kind: "client", status: 404 })
    expect(rejected.events).toHaveLength(1)
  })

  it("answers an identical request from the store's recorded call when the cache is on, and only then", async () => {
    server.setBrain(() => ({ type: "message", text: "from the server", usage: { input: 50, output: 5 } }))
    const handle = makeMemoryStore()
    const first = await succeed(runtime())
    await Effect.runPromise(handle.store.append("ep-1", 0, [startedEvent("ep-1"), ...first.events]))
    const cached = runtime({ cache: storeResponseCache(handle.store) })
    const before = server.calls.length
    const hit = await succeed(cached)
    expect(server.calls.length).toBe(before)
    expect(hit.response).toMatchObject({ text: "from the server", toolCalls: [] })
    expect(hit.events).toHaveLength(1)
    expect(hit.events[0]).toMatchObject({ cost: 0, usage: { promptTokens: 0, completionTokens: 0 }, error: null, requestHash: first.events[0].requestHash })
    expect(hit.events[0].response).toMatchObject({ cached: { requestHash: first.events[0].requestHash, usage: { promptTokens: 50, completionTokens: 5 } } })
    expect(hit.totals).toMatchObject({ calls: 1, cachedCalls: 1, cost: 0 })
    // Another request (here: another seed) misses.
    await succeed(cached, request(2))
    expect(server.calls.length).toBe(before + 1)
    // Without --cache the same request goes to the server again.
    await succeed(runtime())
    expect(server.calls.length).toBe(before + 2)
  })

  it("never stores the API key, even when the server echoes it", async () => {
    server.setBrain(scripted({ type: "error", status: 500, message: `upstream saw key ${KEY}` }, { type: "message", text: `your key is ${KEY}` }))
    const { response, events } = await succeed(runtime())
    const text = events.map(encodeEvent).join("\n")
    expect(text).not.toContain(KEY)
    expect(text).toContain("[redacted]")
    // The participant's turn (stored as a message) is redacted as well.
    expect(response.text).toBe("your key is [redacted]")
  })

  // The conversation is walked only when its JSON text may hold a secret: a key JSON escapes
  // (quote, backslash) cannot be found in that text as it is, so it must still be walked for.
  it.each([
    ["a plain key", KEY],
    ["a key with a quote and a backslash", 'sk-"quoted\\key-0123456789'],
  ])("never stores %s the conversation or the tools repeat", async (_, key) => {
    server.setBrain(() => ({ type: "message", text: "ok" }))
    const rt = ModelRuntime.layer({ env: { ...env(), OPENAI_API_KEY: key }, backoffBaseMs: 0, backoffMaxMs: 0, timeoutMs: 5_000 })
    const req: ModelRequest = {
      ...request(),
      messages: [
        { role: "system", content: "sys" },
        { role: "user", content: `my key is ${key}, keep it` },
      ],
      tools: [{ type: "function", function: { name: "lookup", description: `uses ${key}`, parameters: { type: "object", properties: {} } } }],
    }
    const { events } = await succeed(rt, req)
    const recorded = JSON.stringify(events.map((e) => e.request))
    expect(recorded).not.toContain(JSON.stringify(key).slice(1, -1))
    expect(events[0].request).toMatchObject({
      messages: [{ content: "sys" }, { content: "my key is [redacted], keep it" }],
      tools: [{ function: { description: "uses [redacted]" } }],
    })
  })
})

const startedEvent = (episodeId: string) => ({
  _tag: "EpisodeStarted" as const,
  v: 2 as const,
  runId: "r",
  episodeId,
  domain: "demo",
  taskId: "t",
  trial: 0,
  hashes: { task: "t", policy: "p", data: "d" },
  dataDir: null,
  policyVariant: "default",
  mode: "default" as const,
  agent: "openai:gpt-4.1",
  user: "openai:gpt-4.1",
  seed: 1,
  limits: { maxSteps: 10, maxErrors: 10 },
  engineVersion: "test",
  parent: null,
})
