/**
 * The model port over real HTTP: OpenAI Chat Completions, Anthropic Messages and an
 * OpenAI-compatible server, each as JSON and as SSE streams, against the scripted local server.
 */
import * as http from "node:http"
import * as zlib from "node:zlib"
import { APICallError } from "ai"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type FakeLlmServer, type Reply, startFakeLlmServer } from "../testing/index.ts"
import {
  classifyError,
  keepAliveFetch,
  makeModelClient,
  type ModelCallError,
  type ModelRequest,
  ModelSpecError,
  parseModelSpec,
  ProviderConfigError,
} from "../src/index.ts"

const OPENAI_KEY = "sk-test-providers-0123456789"
const ANTHROPIC_KEY = "sk-ant-test-providers-0123456789"
const COMPAT_KEY = "compat-test-providers-0123456789"

let server: FakeLlmServer
let next: Reply = { type: "message", text: "ok" }
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: () => next })
})
afterAll(() => server.close())

const env = (): Record<string, string> => ({
  OPENAI_API_KEY: OPENAI_KEY,
  ANTHROPIC_API_KEY: ANTHROPIC_KEY,
  COMPAT_API_KEY: COMPAT_KEY,
  OPENAI_BASE_URL: server.baseURL,
  ANTHROPIC_BASE_URL: server.baseURL,
})

const specOf = (provider: string, stream: boolean) => {
  const args = stream ? '{"stream":true}' : ""
  return provider === "compat" ? `compat:local-llama@${server.baseURL}${args}` : `${provider}:${provider === "openai" ? "gpt-4.1" : "claude-sonnet-4-5"}${args}`
}
const client = (provider: string, stream: boolean, environment: Record<string, string> = env()) => {
  const spec = parseModelSpec(specOf(provider, stream))
  if (!spec) throw new Error("not a model spec")
  return makeModelClient(spec, { env: environment })
}

const REQUEST: ModelRequest = {
  messages: [
    { role: "system", content: "You are a test agent." },
    { role: "user", content: "Renew L001" },
    { role: "assistant", content: null, toolCalls: [{ id: "call_prev", name: "find", argumentsJson: '{"email":"a@b.org"}' }] },
    { role: "tool", toolCallId: "call_prev", toolName: "find", content: "M001" },
  ],
  tools: [
    {
      type: "function",
      function: { name: "find", description: "Find.", parameters: { type: "object", properties: { email: { type: "string" } }, required: ["email"] } },
    },
    {
      type: "function",
      function: { name: "renew", description: "Renew.", parameters: { type: "object", properties: { loan_id: { type: "string" } }, required: ["loan_id"] } },
    },
  ],
  toolChoice: "auto",
  params: { temperature: 0, seed: 42, max_tokens: 256 },
}

const generate = (provider: string, stream: boolean, request = REQUEST) => Effect.runPromise(client(provider, stream).generate(request))
const failure = (provider: string, stream: boolean) => Effect.runPromise(Effect.flip(client(provider, stream).generate(REQUEST))) as Promise<ModelCallError>

const CASES = [
  ["openai", false],
  ["openai", true],
  ["anthropic", false],
  ["anthropic", true],
  ["compat", false],
  ["compat", true],
] as const

describe.each(CASES)("%s (stream: %s)", (provider, stream) => {
  it("returns text, tool calls with their raw argument text (unknown tools too), usage and finish reason", async () => {
    next = {
      type: "message",
      text: "Renewing now.",
      toolCalls: [
        { id: "call_a", name: "renew", arguments: '{"loan_id":"L001"}' },
        { id: "call_b", name: "no_such_tool", arguments: '{"x":[1,2.5]}' },
      ],
      usage: { input: 11, output: 7 },
    }
    const response = await generate(provider, stream)
    expect(response.text).toBe("Renewing now.")
    expect(response.toolCalls).toEqual([
      { id: "call_a", name: "renew", argumentsJson: '{"loan_id":"L001"}' },
      { id: "call_b", name: "no_such_tool", argumentsJson: '{"x":[1,2.5]}' },
    ])
    expect(response.usage).toEqual({ promptTokens: 11, completionTokens: 7 })
    expect(response.finishReason).toBe("tool-calls")
    const raw = response.raw as { body?: unknown; stream?: unknown[] }
    if (stream) expect(raw.stream?.length).toBeGreaterThan(3)
    else expect(JSON.stringify(raw.body)).toContain("no_such_tool")
  })

  it("sends the conversation, tools, tool choice and arguments in the provider's wire format, the key only as a header", async () => {
    next = { type: "message", text: "ok" }
    await generate(provider, stream)
    const call = server.calls.at(-1)
    if (!call) throw new Error("no request")
    expect(call.api).toBe(provider === "anthropic" ? "anthropic" : "openai")
    expect(call.stream).toBe(stream)
    expect(call.system).toBe("You are a test agent.")
    expect(call.messages).toEqual([
      { role: "user", text: "Renew L001" },
      { role: "assistant", text: null, toolCalls: [{ id: "call_prev", name: "find", arguments: '{"email":"a@b.org"}' }] },
      { role: "tool", toolCallId: "call_prev", text: "M001" },
    ])
    expect(call.tools).toEqual(["find", "renew"])
    expect(call.body.temperature).toBe(0)
    expect(call.body.max_tokens).toBe(256)
    if (provider === "anthropic") {
      expect(call.body.tool_choice).toEqual({ type: "auto" })
      expect(call.headers["x-api-key"]).toBe(ANTHROPIC_KEY)
    } else {
      expect(call.body.tool_choice).toBe("auto")
      expect(call.body.seed).toBe(42)
      expect(call.headers.authorization).toBe(`Bearer ${provider === "compat" ? COMPAT_KEY : OPENAI_KEY}`)
    }
    expect(JSON.stringify(call.body)).not.toContain(provider === "anthropic" ? ANTHROPIC_KEY : OPENAI_KEY)
  })

  it("classifies failures: 429 (with Retry-After), 5xx, context length, rejected requests, dropped connections", async () => {
    next = { type: "error", status: 429, retryAfterSeconds: 2 }
    expect(await failure(provider, stream)).toMatchObject({ kind: "rate_limited", status: 429, retryAfterMs: 2000 })
    next = { type: "error", status: 503 }
    expect(await failure(provider, stream)).toMatchObject({ kind: "server", status: 503 })
    next = { type: "context_length" }
    expect(await failure(provider, stream)).toMatchObject({ kind: "context_length", status: 400 })
    next = { type: "error", status: 401, message: `bad key ${OPENAI_KEY} ${ANTHROPIC_KEY} ${COMPAT_KEY}` }
    const rejected = await failure(provider, stream)
    expect(rejected).toMatchObject({ kind: "client", status: 401 })
    // A server that echoes the key does not get it into our error messages.
    expect(rejected.message).toContain("bad key [redacted]")
    expect(rejected.message).not.toMatch(/test-providers/)
    next = { type: "drop" }
    expect((await failure(provider, stream)).kind).toBe("network")
  })
})

describe("raw tool-call arguments", () => {
  it.each([
    ["openai", false],
    ["openai", true],
    ["compat", false],
    ["anthropic", true],
  ] as const)("%s (stream: %s) passes invalid argument JSON through untouched", async (provider, stream) => {
    next = { type: "message", toolCalls: [{ id: "call_x", name: "renew", arguments: '{"loan_id": "L001"' }] }
    const response = await generate(provider, stream)
    expect(response.toolCalls).toEqual([{ id: "call_x", name: "renew", argumentsJson: '{"loan_id": "L001"' }])
  })

  it("returns an empty reply as no text and no tool calls (the participant decides what that means)", async () => {
    next = { type: "message", text: null }
    for (const [provider, stream] of CASES) {
      const response = await generate(provider, stream)
      expect([response.text, response.toolCalls]).toEqual([null, []])
    }
  })
})

describe("generation arguments", () => {
  it("maps the standard ones and passes the rest through to the provider", async () => {
    next = { type: "message", text: "ok" }
    const send = async (spec: string, params: Record<string, unknown>) => {
      const parsed = parseModelSpec(spec)
      if (!parsed) throw new Error("not a model spec")
      await Effect.runPromise(makeModelClient(parsed, { env: env() }).generate({ ...REQUEST, params }))
      return server.calls.at(-1)?.body ?? {}
    }
    const openai = await send("openai:gpt-4.1", { top_p: 0.5, stop: "END", presence_penalty: 0.1, parallel_tool_calls: false, seed: 9 })
    expect(openai).toMatchObject({ top_p: 0.5, stop: ["END"], presence_penalty: 0.1, parallel_tool_calls: false, seed: 9 })
    const compat = await send(`compat:local@${server.baseURL}`, { repetition_penalty: 1.1, top_k: 20, temperature: 0.7 })
    expect(compat).toMatchObject({ repetition_penalty: 1.1, temperature: 0.7 })
    const anthropic = await send("anthropic:claude-sonnet-4-5", { top_k: 20, max_tokens: 300, stop: ["END"] })
    expect(anthropic).toMatchObject({ top_k: 20, max_tokens: 300, stop_sequences: ["END"] })
  })
})

describe("configuration", () => {
  it("reads keys from the environment only, naming the variable when one is missing", () => {
    const { OPENAI_API_KEY: _, ...noOpenAi } = env()
    expect(() => client("openai", false, noOpenAi)).toThrow(ProviderConfigError)
    expect(() => client("openai", false, noOpenAi)).toThrow(/OPENAI_API_KEY/)
    const { ANTHROPIC_API_KEY: __, ...noAnthropic } = env()
    expect(() => client("anthropic", false, noAnthropic)).toThrow(/ANTHROPIC_API_KEY/)
  })

  it("lets an OpenAI-compatible server go without a key", async () => {
    const { COMPAT_API_KEY: _, ...noKey } = env()
    next = { type: "message", text: "local" }
    const response = await Effect.runPromise(client("compat", false, noKey).generate(REQUEST))
    expect(response.text).toBe("local")
    expect(server.calls.at(-1)?.headers.authorization).toBeUndefined()
  })

  it("identifies hosted models by name (base-URL overrides are transport) and compat models by name and URL", () => {
    expect(client("openai", false)).toMatchObject({ identity: "openai:gpt-4.1", rateLimitKey: "openai", baseURL: server.baseURL })
    expect(client("anthropic", true)).toMatchObject({ identity: "anthropic:claude-sonnet-4-5", rateLimitKey: "anthropic" })
    expect(client("compat", false)).toMatchObject({ identity: `compat:local-llama@${server.baseURL}`, rateLimitKey: `compat@${server.baseURL}` })
    expect(() => parseModelSpec("compat:x")).toThrow(ModelSpecError)
  })
})

describe("transport", () => {
  it("also works over the platform fetch", async () => {
    next = { type: "message", text: "via fetch", toolCalls: [{ id: "c", name: "renew", arguments: '{"loan_id":"L1"' }] }
    for (const stream of [false, true]) {
      const spec = parseModelSpec(specOf("openai", stream))
      if (!spec) throw new Error("not a model spec")
      const response = await Effect.runPromise(makeModelClient(spec, { env: env(), fetch: globalThis.fetch }).generate(REQUEST))
      expect([response.text, response.toolCalls[0].argumentsJson]).toEqual(["via fetch", '{"loan_id":"L1"'])
    }
  })

  it("decodes compressed answers, reports refused connections as network errors, and aborts on the signal", async () => {
    const gz = http.createServer((_, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
      res.end(zlib.gzipSync(JSON.stringify({ ok: true })))
    })
    await new Promise<void>((r) => gz.listen(0, "127.0.0.1", r))
    const port = (gz.address() as { port: number }).port
    try {
      expect(await (await keepAliveFetch(`http://127.0.0.1:${port}/`)).json()).toEqual({ ok: true })
    } finally {
      await new Promise((r) => gz.close(r))
    }
    const refused = await keepAliveFetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(TypeError)
    expect(classifyError(refused, [], 0).kind).toBe("network")
    // Aborted once the server holds the request (it never answers).
    const controller = new AbortController()
    next = { type: "hang" }
    server.setBrain(() => {
      controller.abort()
      return next
    })
    const pending = keepAliveFetch(`${server.baseURL}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "m", messages: [] }),
      signal: controller.signal,
    })
    const aborted = await pending.catch((e: unknown) => e)
    server.setBrain(() => next)
    expect((aborted as Error).name).toBe("AbortError")
    expect(classifyError(aborted, [], 0).kind).toBe("timeout")
  })

  it("reads Retry-After in seconds or as an HTTP date against the given time, never the wall clock", () => {
    const rateLimited = (retryAfter: string) =>
      new APICallError({ message: "slow down", url: "u", requestBodyValues: {}, statusCode: 429, responseHeaders: { "retry-after": retryAfter } })
    expect(classifyError(rateLimited("3"), [], 0).retryAfterMs).toBe(3_000)
    expect(classifyError(rateLimited(new Date(65_000).toUTCString()), [], 5_000).retryAfterMs).toBe(60_000)
    expect(classifyError(rateLimited(new Date(65_000).toUTCString()), [], 99_000).retryAfterMs).toBe(0)
    expect(classifyError(rateLimited("soon"), [], 0).retryAfterMs).toBeUndefined()
  })
})
