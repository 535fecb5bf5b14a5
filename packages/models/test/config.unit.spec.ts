/** Specs, prices, request hashes, backoff, rate limiting and key redaction (pure). */
import { describe, expect, it } from "vitest"
import {
  backoffMs,
  costOf,
  type ModelRequest,
  ModelSpecError,
  parseModelSpec,
  parsePriceEntry,
  parsePriceFile,
  parseRateLimits,
  PriceFileError,
  priceOf,
  pricesOfRecord,
  recordedPrices,
  redactText,
  KnownSecrets,
  mayHoldSecret,
  redactValue,
  requestHash,
  TokenBucket,
  withArgs,
  withUserPrices,
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

  it("computes cost from usage; an unknown model's cost is unknown (null), never 0", () => {
    expect(costOf(priceOf("gpt-4.1"), { promptTokens: 1_000_000, completionTokens: 500_000 })).toBeCloseTo(6)
    expect(costOf(null, { promptTokens: 10, completionTokens: 10 })).toBeNull()
  })

  it("user prices override the table and price models it lacks, dated ids included", () => {
    const table = withUserPrices({ "gpt-4.1": { inputPerMTok: 1, outputPerMTok: 4 }, "test-model": { inputPerMTok: 0.5, outputPerMTok: 1 } })
    expect(priceOf("gpt-4.1-2025-04-14", table)).toEqual({ inputPerMTok: 1, outputPerMTok: 4 })
    expect(priceOf("test-model", table)).toEqual({ inputPerMTok: 0.5, outputPerMTok: 1 })
    expect(priceOf("gpt-4o", table)).toEqual({ inputPerMTok: 2.5, outputPerMTok: 10 })
  })

  it("reads price files in JSON and YAML, and --price entries", () => {
    const json = parsePriceFile("p.json", '{"test-model": {"input_per_mtok": 0.5, "output_per_mtok": 2}}')
    const yaml = parsePriceFile("p.yaml", "test-model:\n  input_per_mtok: 0.5\n  output_per_mtok: 2\n")
    expect(json).toEqual({ "test-model": { inputPerMTok: 0.5, outputPerMTok: 2 } })
    expect(yaml).toEqual(json)
    expect(parsePriceEntry("vendor/m-1=0.25,1.5")).toEqual(["vendor/m-1", { inputPerMTok: 0.25, outputPerMTok: 1.5 }])
    expect(recordedPrices(json)).toEqual({ "test-model": { input_per_mtok: 0.5, output_per_mtok: 2 } })
    expect(pricesOfRecord(recordedPrices(json))).toEqual(json)
  })

  it.each([
    ["not JSON or YAML", "{", /^p\.json: not JSON or YAML/],
    ["a list", "[1]", /^p\.json: expected \{/],
    ["a model that is not an object", '{"m": 3}', /^p\.json: m: expected \{/],
    ["a missing field", '{"m": {"input_per_mtok": 1}}', /^p\.json: m\.output_per_mtok: expected a number ≥ 0 .*got nothing/],
    ["a negative price", '{"m": {"input_per_mtok": -1, "output_per_mtok": 1}}', /^p\.json: m\.input_per_mtok: expected a number ≥ 0/],
    ["a price as text", '{"m": {"input_per_mtok": "1", "output_per_mtok": 1}}', /^p\.json: m\.input_per_mtok: .*got "1"/],
    ["an unknown field", '{"m": {"input_per_mtok": 1, "output_per_mtok": 1, "cached_per_mtok": 0.1}}', /^p\.json: m\.cached_per_mtok: unknown field/],
    ["a duplicate model", "m: {input_per_mtok: 1, output_per_mtok: 1}\nm: {input_per_mtok: 2, output_per_mtok: 2}\n", /^p\.json: not JSON or YAML/],
  ])("a price file with %s is a PriceFileError naming the file and key", (_what, text, message) => {
    const error = (() => {
      try {
        parsePriceFile("p.json", text)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(PriceFileError)
    expect((error as PriceFileError).message).toMatch(message)
  })

  it.each(["m", "m=1", "m=1,2,3", "m=a,b", "=1,2", "m=-1,2", "m=1,"])("--price %s is a PriceFileError", (entry) => {
    expect(() => parsePriceEntry(entry)).toThrow(PriceFileError)
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

  it("knows a key put in the environment after it was last asked (the answer is remembered between calls)", () => {
    const known = new KnownSecrets()
    const env: NodeJS.ProcessEnv = { OPENAI_API_KEY: "sk-first-0123456789" }
    expect(known.values(env)).toEqual(["sk-first-0123456789"])
    env.OPENAI_API_KEY = "sk-second-0123456789"
    expect(known.values(env)).toEqual(["sk-second-0123456789"])
    known.remember(["learnt-secret-value"])
    expect(known.values(env)).toEqual(["learnt-secret-value", "sk-second-0123456789"])
    expect(known.values({ ...env, ANTHROPIC_API_KEY: "sk-ant-0123456789" })).toContain("sk-ant-0123456789")
  })

  it("says a JSON text may hold a secret unless the secret is written as it is and absent", () => {
    expect(mayHoldSecret(JSON.stringify({ a: "nothing here" }), ["sk-live-0123456789"])).toBe(false)
    expect(mayHoldSecret(JSON.stringify({ a: "x sk-live-0123456789" }), ["sk-live-0123456789"])).toBe(true)
    // Escaped in JSON (quote, backslash, control character, lone surrogate): always walked for.
    for (const s of ['sk-"live-0123456789', "sk-\\live-0123456789", "sk-\nlive-0123456789", "sk-\ud83dlive-0123456789"]) {
      expect(mayHoldSecret(JSON.stringify({ a: "nothing here" }), [s])).toBe(true)
    }
  })
})
