/**
 * Recorded calls over real HTTP: every attempt an event, retries with backoff on 429/5xx/hangs,
 * no retry where it cannot help, the response cache, prices and rate limits.
 */
import { decodeEvent, encodeEvent, makeMemoryStore, type ModelCalled } from "@tau-sim/engine"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Brain, type FakeLlmServer, type Reply, startFakeLlmServer } from "../testing/index.ts"
import {
  type CallFailure,
  type CallSuccess,
  makeModelClient,
  makeModelRuntime,
  type ModelRequest,
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
const runtime = (options: Partial<ModelRuntimeOptions> = {}) =>
  makeModelRuntime({ env: env(), backoffBaseMs: 20, backoffMaxMs: 2_000, timeoutMs: 5_000, random: () => 0, ...options })
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

const succeed = (rt = runtime(), req = request(), model = "gpt-4.1") =>
  Effect.runPromise(recordedCall(client(model), req, "agent", rt)) as Promise<CallSuccess>
const fail = (rt = runtime(), req = request()) => Effect.runPromise(Effect.flip(recordedCall(client(), req, "agent", rt))) as Promise<CallFailure>

/** Events must survive the store's encoding unchanged. */
const roundTrip = (e: ModelCalled) => decodeEvent("ep", 0, encodeEvent(e))

describe("recorded calls", () => {
  it("records a successful call with request, raw response, usage, cost from the price table, latency and hash", async () => {
    server.setBrain(() => ({ type: "message", text: "hi there", usage: { input: 1000, output: 500 } }))
    const rt = runtime()
    const { response, events } = await succeed(rt)
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
    expect(rt.totals).toMatchObject({ calls: 1, failedCalls: 0, promptTokens: 1000, completionTokens: 500 })
    expect(rt.totals.cost).toBeCloseTo(e.cost, 12)
  })

  it("rides out a 429 storm with exponential backoff, recording every failed attempt", async () => {
    const storm = { type: "error" as const, status: 429 }
    server.setBrain(scripted(storm, storm, storm, storm))
    const before = server.calls.length
    const started = performance.now()
    const { response, events } = await succeed(runtime({ maxRetries: 5 }))
    const elapsed = performance.now() - started
    expect(response.text).toBe("ok")
    expect(server.calls.length - before).toBe(5)
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5])
    expect(events.slice(0, 4).every((e) => e.error?.startsWith("rate_limited (HTTP 429)") && e.cost === 0)).toBe(true)
    expect(events[4].error).toBeNull()
    expect(new Set(events.map((e) => e.requestHash)).size).toBe(1)
    // random() = 0 → half of 20, 40, 80, 160 ms.
    expect(elapsed).toBeGreaterThanOrEqual(150)
    for (const e of events) expect(roundTrip(e)._tag).toBe("ModelCalled")
  })

  it("waits as long as the server's Retry-After asks", async () => {
    server.setBrain(scripted({ type: "error", status: 429, retryAfterSeconds: 1 }))
    const started = performance.now()
    const { events } = await succeed(runtime())
    expect(performance.now() - started).toBeGreaterThanOrEqual(990)
    expect(events).toHaveLength(2)
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

  it("times out a hanging provider per attempt and retries", async () => {
    server.setBrain(scripted({ type: "hang" }))
    const { response, events } = await succeed(runtime({ timeoutMs: 300 }))
    expect(response.text).toBe("ok")
    expect(events.map((e) => e.error?.split(":")[0] ?? null)).toEqual(["timeout", null])
    expect(events[0].latencyMs).toBeGreaterThanOrEqual(290)
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
    expect(cached.totals).toMatchObject({ calls: 1, cachedCalls: 1, cost: 0 })
    // Another request (here: another seed) misses.
    await succeed(cached, request(2))
    expect(server.calls.length).toBe(before + 1)
    // Without --cache the same request goes to the server again.
    await succeed(runtime())
    expect(server.calls.length).toBe(before + 2)
  })

  it("limits the request rate per provider", async () => {
    server.setBrain(() => ({ type: "message", text: "ok" }))
    const rt = runtime({ rateLimits: { openai: 600 } }) // 10 per second, bursts of 10
    const started = performance.now()
    await Promise.all(Array.from({ length: 15 }, (_, i) => succeed(rt, request(100 + i))))
    // The 5 requests beyond the burst wait 100, 200, ..., 500 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(480)
    const other = runtime({ rateLimits: { anthropic: 1 } })
    const t0 = performance.now()
    await Promise.all(Array.from({ length: 5 }, (_, i) => succeed(other, request(200 + i))))
    // The anthropic limit (one a minute) does not slow OpenAI calls down.
    expect(performance.now() - t0).toBeLessThan(30_000)
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
