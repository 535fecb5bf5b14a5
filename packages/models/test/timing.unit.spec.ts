/**
 * When recorded calls happen, on a `TestClock`: the exact retry schedule (exponential backoff with
 * the jitter drawn from Effect's `Random`), Retry-After, per-attempt timeouts and the latency they
 * record, and token-bucket rate limits per endpoint. The model is in-process and synchronous, so
 * every sleep is on the test clock and nothing waits in real time.
 */
import { Clock, Effect, Fiber, Random } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { type Brain, inProcessModel, type InProcessModelOptions, type Reply } from "../testing/index.ts"
import { type CallFailure, type CallSuccess, type ModelClient, type ModelRequest, ModelRuntime, type ModelRuntimeOptions, recordedCall } from "../src/index.ts"

const request = (seed = 1): ModelRequest => ({ messages: [{ role: "user", content: "hello" }], tools: [], toolChoice: null, params: { seed } })

/** Plays `script` in order, then answers "ok". */
const scripted = (...script: Reply[]): Brain => {
  let i = 0
  return () => script[i++] ?? { type: "message", text: "ok" }
}

/** A Random whose doubles are `values`, in order (then the last one again). */
const fixedRandom = (...values: number[]): Random.Random => {
  let i = 0
  return {
    nextDoubleUnsafe: () => values[Math.min(i++, values.length - 1)],
    nextIntUnsafe: () => 0,
  }
}

/** `client` noting the test-clock time of each attempt. */
const timed = (client: ModelClient, at: number[]): ModelClient => ({
  ...client,
  generate: (r) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      at.push(now)
      return client.generate(r)
    }),
})

const model = (brain: Brain, at: number[], options: InProcessModelOptions = {}) => timed(inProcessModel(brain, options), at)

/** Runs `test` with a fresh runtime of `options` on a test clock that starts at 0. */
const onTestClock = <A, E>(options: Partial<ModelRuntimeOptions>, random: Random.Random, test: Effect.Effect<A, E, ModelRuntime>) =>
  Effect.runPromise(
    test.pipe(Effect.provide(ModelRuntime.layer({ env: {}, ...options })), Effect.provideService(Random.Random, random), Effect.provide(TestClock.layer())),
  )

const storm = { type: "error" as const, status: 429 }

describe("the retry schedule on a test clock", () => {
  it("backs off exponentially, each wait jittered to 50-100% by the Random: attempts at 0, 1000, 3000, 5000, 11000 ms", async () => {
    const at: number[] = []
    const client = model(scripted(storm, storm, storm, storm), at)
    // Jitter 1, 1, 0, 0.5 → waits of 100% of 1 s, 100% of 2 s, 50% of 4 s, 75% of 8 s.
    const seen = await onTestClock(
      { backoffBaseMs: 1_000, backoffMaxMs: 60_000, maxRetries: 5 },
      fixedRandom(1, 1, 0, 0.5),
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(recordedCall(client, request(), "agent"))
        yield* TestClock.adjust(999)
        const beforeFirstWaitEnds = [...at]
        yield* TestClock.adjust(1)
        const afterIt = [...at]
        yield* TestClock.adjust("1 minute")
        return { beforeFirstWaitEnds, afterIt, result: yield* Fiber.join(fiber) }
      }),
    )
    expect(seen.beforeFirstWaitEnds).toEqual([0])
    expect(seen.afterIt).toEqual([0, 1_000])
    expect(at).toEqual([0, 1_000, 3_000, 5_000, 11_000])
    expect(seen.result.events.map((e) => [e.attempt, e.error?.slice(0, 22) ?? null])).toEqual([
      [1, "rate_limited (HTTP 429"],
      [2, "rate_limited (HTTP 429"],
      [3, "rate_limited (HTTP 429"],
      [4, "rate_limited (HTTP 429"],
      [5, null],
    ])
  })

  it("caps each wait at the maximum and gives up after the last retry", async () => {
    const at: number[] = []
    const client = model(() => ({ type: "error", status: 503 }), at)
    const failure = await onTestClock(
      { backoffBaseMs: 1_000, backoffMaxMs: 3_000, maxRetries: 3 },
      fixedRandom(1),
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(Effect.flip(recordedCall(client, request(), "agent")))
        yield* TestClock.adjust("1 hour")
        return (yield* Fiber.join(fiber)) as CallFailure
      }),
    )
    // Waits 1 s, 2 s, then 4 s capped to 3 s.
    expect(at).toEqual([0, 1_000, 3_000, 6_000])
    expect(failure.attempts).toBe(4)
    expect(failure.error).toMatchObject({ kind: "server", status: 503 })
  })

  it("is the same schedule for the same seed", async () => {
    const schedule = async (seed: string) => {
      const at: number[] = []
      const client = model(scripted(storm, storm, storm), at)
      await Effect.runPromise(
        Effect.gen(function* () {
          const fiber = yield* Effect.forkChild(recordedCall(client, request(), "agent"))
          yield* TestClock.adjust("1 minute")
          yield* Fiber.join(fiber)
        }).pipe(Effect.provide(ModelRuntime.layer({ env: {}, backoffBaseMs: 1_000 })), Random.withSeed(seed), Effect.provide(TestClock.layer())),
      )
      return at
    }
    const a = await schedule("tau")
    expect(await schedule("tau")).toEqual(a)
    expect(await schedule("sim")).not.toEqual(a)
    // Within 50-100% of 1, 2 and 4 s each.
    const waits = a.slice(1).map((t, i) => t - a[i])
    expect(waits.map((w, i) => w >= 500 * 2 ** i && w <= 1_000 * 2 ** i)).toEqual([true, true, true])
  })

  it("waits as long as the server's Retry-After asks when that is longer than the backoff", async () => {
    const at: number[] = []
    const client = model(scripted({ type: "error", status: 429, retryAfterSeconds: 5 }, { type: "error", status: 429, retryAfterSeconds: 1 }), at)
    await onTestClock(
      { backoffBaseMs: 1_000, backoffMaxMs: 60_000 },
      fixedRandom(0),
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(recordedCall(client, request(), "agent"))
        yield* TestClock.adjust("1 minute")
        return (yield* Fiber.join(fiber)) as CallSuccess
      }),
    )
    // 5 s asked > 0.5 s backoff; then 1 s asked = 50% of 2 s.
    expect(at).toEqual([0, 5_000, 6_000])
  })

  it("times out a hanging attempt after exactly the timeout, records that as its latency, and retries", async () => {
    const at: number[] = []
    const client = model(scripted({ type: "hang" }), at)
    const { response, events } = await onTestClock(
      { timeoutMs: 300, backoffBaseMs: 1_000 },
      fixedRandom(0),
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(recordedCall(client, request(), "agent"))
        yield* TestClock.adjust(299)
        expect(at).toEqual([0])
        yield* TestClock.adjust("1 minute")
        return yield* Fiber.join(fiber)
      }),
    )
    expect(response.text).toBe("ok")
    expect(at).toEqual([0, 800])
    expect(events.map((e) => [e.latencyMs, e.error])).toEqual([
      [300, "timeout: no answer within 300 ms"],
      [0, null],
    ])
  })
})

describe("rate limits on a test clock", () => {
  it("lets a burst through, then spaces requests at the rate, first come first served", async () => {
    const at: number[] = []
    const client = model(() => ({ type: "message", text: "ok" }), at, { provider: "openai" })
    await onTestClock(
      { rateLimits: { openai: 600 } }, // 10 per second, bursts of 10
      fixedRandom(0),
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          Effect.all(
            Array.from({ length: 15 }, (_, i) => recordedCall(client, request(i), "agent")),
            { concurrency: "unbounded" },
          ),
        )
        yield* TestClock.adjust(499)
        expect(at.length).toBe(14)
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
      }),
    )
    expect(at).toEqual([...Array(10).fill(0), 100, 200, 300, 400, 500])
  })

  it("keeps one bucket per endpoint: a provider's limit applies to each compat URL separately, unlimited providers never wait", async () => {
    const at: Record<string, number[]> = { openai: [], a: [], b: [], anthropic: [] }
    const clients = [
      model(() => ({ type: "message", text: "ok" }), at.openai, { provider: "openai" }),
      model(() => ({ type: "message", text: "ok" }), at.a, { provider: "compat", rateLimitKey: "compat@http://a/v1" }),
      model(() => ({ type: "message", text: "ok" }), at.b, { provider: "compat", rateLimitKey: "compat@http://b/v1" }),
      model(() => ({ type: "message", text: "ok" }), at.anthropic, { provider: "anthropic" }),
    ]
    await onTestClock(
      { rateLimits: { openai: 60, compat: 60 } }, // one a second each, bursts of 1
      fixedRandom(0),
      Effect.gen(function* () {
        const calls = clients.flatMap((c) => [0, 1, 2].map((i) => recordedCall(c, request(i), "agent")))
        const fiber = yield* Effect.forkChild(Effect.all(calls, { concurrency: "unbounded" }))
        yield* TestClock.adjust("10 seconds")
        yield* Fiber.join(fiber)
      }),
    )
    expect(at).toEqual({ openai: [0, 1_000, 2_000], a: [0, 1_000, 2_000], b: [0, 1_000, 2_000], anthropic: [0, 0, 0] })
  })

  it("gives each runtime its own buckets and totals", async () => {
    const at: number[] = []
    const client = model(() => ({ type: "message", text: "ok", usage: { input: 3, output: 2 } }), at, { provider: "openai" })
    const once = Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(
        Effect.all([recordedCall(client, request(1), "agent"), recordedCall(client, request(2), "agent")], { concurrency: "unbounded" }),
      )
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      return { ...(yield* ModelRuntime).totals }
    })
    const first = await onTestClock({ rateLimits: { openai: 60 } }, fixedRandom(0), once)
    const second = await onTestClock({ rateLimits: { openai: 60 } }, fixedRandom(0), once)
    expect(at).toEqual([0, 1_000, 0, 1_000])
    expect(first).toEqual({ calls: 2, failedCalls: 0, cachedCalls: 0, promptTokens: 6, completionTokens: 4, cost: 0, unpricedCalls: 2 })
    expect(second).toEqual(first)
  })
})
