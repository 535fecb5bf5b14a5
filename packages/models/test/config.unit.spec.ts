/** Specs, prices, request hashes, backoff, rate limiting and key redaction (pure). */
import { describe, expect, it } from "vitest"
import {
  backoffMs,
  costOf,
  type ModelRequest,
  ModelSpecError,
  parseModelSpec,
  parseRateLimits,
  priceOf,
  redactText,
  redactValue,
  requestHash,
  TokenBucket,
  withArgs,
} from "../src/index.ts"

describe("model specs", () => {
  it("parses the three providers, with and without generation arguments", () => {
    expect(parseModelSpec("openai:gpt-4.1")).toEqual({ provider: "openai", model: "gpt-4.1", baseURL: null, args: {} })
    expect(parseModelSpec('anthropic:claude-sonnet-4-5{"temperature":0.5,"max_tokens":512}')).toEqual({
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      baseURL: null,
      args: { temperature: 0.5, max_tokens: 512 },
    })
    expect(parseModelSpec('compat:llama3.1:8b@http://127.0.0.1:11434/v1/{"seed":1}')).toEqual({
      provider: "compat",
      model: "llama3.1:8b",
      baseURL: "http://127.0.0.1:11434/v1",
      args: { seed: 1 },
    })
  })

  it("leaves other participants alone and rejects malformed model specs with a usable message", () => {
    expect(parseModelSpec("oracle")).toBeUndefined()
    expect(parseModelSpec("scripted:turns.json")).toBeUndefined()
    expect(() => parseModelSpec("compat:llama")).toThrow(/compat:<model>@<base-url>/)
    expect(() => parseModelSpec("compat:llama@ftp://x")).toThrow(ModelSpecError)
    expect(() => parseModelSpec("openai:")).toThrow(/openai:<model>/)
    expect(() => parseModelSpec("openai:gpt-4.1{temperature:0}")).toThrow(/not valid JSON/)
    expect(() => parseModelSpec("openai:gpt-4.1[1]")).not.toThrow()
    expect(() => parseModelSpec('openai:gpt-4.1{"a":1}x')).toThrow(/not valid JSON/)
  })

  it("folds --agent-args into a spec, later keys winning", () => {
    expect(withArgs("openai:gpt-4.1", '{"temperature": 0}')).toBe('openai:gpt-4.1{"temperature":0}')
    expect(withArgs('openai:gpt-4.1{"temperature":1,"seed":3}', '{"temperature": 0}')).toBe('openai:gpt-4.1{"temperature":0,"seed":3}')
    expect(() => withArgs("oracle", "{}")).toThrow(/only model participants/)
    expect(() => withArgs("openai:gpt-4.1", "[1]")).toThrow(/JSON object/)
  })
})

describe("prices", () => {
  it("prices dated and routed model ids by their longest listed prefix", () => {
    expect(priceOf("gpt-4.1")).toEqual({ inputPerMTok: 2, outputPerMTok: 8 })
    expect(priceOf("gpt-4.1-mini-2025-04-14")).toEqual({ inputPerMTok: 0.4, outputPerMTok: 1.6 })
    expect(priceOf("gpt-4.1-2025-04-14")).toEqual({ inputPerMTok: 2, outputPerMTok: 8 })
    expect(priceOf("claude-sonnet-4-5-20250929")).toEqual({ inputPerMTok: 3, outputPerMTok: 15 })
    expect(priceOf("openai/gpt-4o-mini")).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.6 })
    expect(priceOf("gpt-4.10")).toBeNull()
    expect(priceOf("test-model")).toBeNull()
  })

  it("computes cost from usage; unknown models cost 0", () => {
    expect(costOf(priceOf("gpt-4.1"), { promptTokens: 1_000_000, completionTokens: 500_000 })).toBeCloseTo(6)
    expect(costOf(null, { promptTokens: 10, completionTokens: 10 })).toBe(0)
  })
})

const request = (overrides: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [
    { role: "system", content: "sys" },
    { role: "user", content: "hi" },
  ],
  tools: [],
  toolChoice: null,
  params: { temperature: 0, seed: 7 },
  ...overrides,
})

describe("request hashes", () => {
  it("ignore key order and transport options, and change with anything that changes the answer", () => {
    const base = requestHash("openai:gpt-4.1", request())
    expect(base).toMatch(/^[0-9a-f]{64}$/)
    expect(requestHash("openai:gpt-4.1", request({ params: { seed: 7, temperature: 0 } }))).toBe(base)
    expect(requestHash("openai:gpt-4.1", request({ params: { seed: 7, temperature: 0, stream: true } }))).toBe(base)
    expect(requestHash("openai:gpt-4.1-mini", request())).not.toBe(base)
    expect(requestHash("openai:gpt-4.1", request({ params: { temperature: 0, seed: 8 } }))).not.toBe(base)
    expect(
      requestHash(
        "openai:gpt-4.1",
        request({
          messages: [
            { role: "system", content: "sys" },
            { role: "user", content: "hi!" },
          ],
        }),
      ),
    ).not.toBe(base)
    expect(requestHash("openai:gpt-4.1", request({ toolChoice: "auto" }))).not.toBe(base)
  })
})

describe("backoff", () => {
  it("doubles per retry within 50-100% jitter, is capped, and honours Retry-After", () => {
    const options = { backoffBaseMs: 100, backoffMaxMs: 1_000 }
    expect(backoffMs(1, options, 0)).toBe(50)
    expect(backoffMs(1, options, 1)).toBe(100)
    expect(backoffMs(3, options, 1)).toBe(400)
    expect(backoffMs(3, options, 0)).toBe(200)
    expect(backoffMs(10, options, 1)).toBe(1_000)
    expect(backoffMs(1, options, 0, 700)).toBe(700)
    expect(backoffMs(1, options, 0, 60_000)).toBe(1_000)
  })
})

describe("token bucket", () => {
  it("lets a burst through, then spaces callers at the rate, first come first served", () => {
    const bucket = new TokenBucket(60, 2, 0) // one per second, burst of 2
    expect(bucket.reserve(0)).toBe(0)
    expect(bucket.reserve(0)).toBe(0)
    expect(bucket.reserve(0)).toBeCloseTo(1_000)
    expect(bucket.reserve(0)).toBeCloseTo(2_000)
    // After the queue has drained and time has passed, the bucket refills up to its capacity only.
    expect(bucket.reserve(10_000)).toBe(0)
    expect(bucket.reserve(10_000)).toBe(0)
    expect(bucket.reserve(10_000)).toBeCloseTo(1_000)
  })

  it("parses per-provider limits", () => {
    expect(parseRateLimits("openai=500, anthropic=50,compat@http://h:1/v1=5")).toEqual({ openai: 500, anthropic: 50, "compat@http://h:1/v1": 5 })
    expect(() => parseRateLimits("openai")).toThrow(/requests per minute/)
    expect(() => parseRateLimits("openai=0")).toThrow(RangeError)
  })
})

describe("key redaction", () => {
  it("replaces every known key value in texts and nested values", () => {
    const secrets = ["sk-live-0123456789"]
    expect(redactText("Incorrect API key provided: sk-live-0123456789.", secrets)).toBe("Incorrect API key provided: [redacted].")
    expect(redactValue({ a: ["x sk-live-0123456789 y", 1, null], b: { c: "sk-live-0123456789" } }, secrets)).toEqual({
      a: ["x [redacted] y", 1, null],
      b: { c: "[redacted]" },
    })
  })
})
