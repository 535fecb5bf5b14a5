/**
 * How model calls are made in this process: timeouts, retries, rate limits, the response cache,
 * prices, and the running totals shown as live progress. The CLI configures it once from its
 * flags (`configureModels`); tests and embedding code pass their own runtime to the participants.
 */
import type { Effect } from "effect"
import type { ModelCalled } from "@tau-sim/engine"
import { type Price, PRICES } from "./pricing.ts"
import { type RateLimiter, tokenBucketLimiter, unlimited } from "./rate-limit.ts"

/** Answers a request from earlier recorded calls (the `--cache` option). */
export interface ResponseCache {
  /** A successful recorded call with this request hash, if any. */
  readonly find: (requestHash: string) => Effect.Effect<ModelCalled | undefined>
}

export interface ModelRuntimeOptions {
  /** Per attempt. */
  readonly timeoutMs: number
  /** Further attempts after a transient failure (429, 5xx, timeout, network). */
  readonly maxRetries: number
  /** Backoff before retry k (1-based) is min(max, base * 2^(k-1)), jittered to 50-100%. */
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  /** Requests per minute, by rate-limit key (`openai`, `anthropic`, `compat@<url>`) or provider (`compat`). */
  readonly rateLimits: Readonly<Record<string, number>>
  readonly cache: ResponseCache | null
  readonly prices: Readonly<Record<string, Price>>
  /** Where API keys and base-URL overrides are read from. */
  readonly env: NodeJS.ProcessEnv
  /** Jitter source (infrastructure timing only; never affects what is recorded as model output). */
  readonly random: () => number
}

export const DEFAULT_RUNTIME_OPTIONS: ModelRuntimeOptions = {
  timeoutMs: 120_000,
  maxRetries: 5,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  rateLimits: {},
  cache: null,
  prices: PRICES,
  env: process.env,
  random: Math.random,
}

export interface UsageTotals {
  calls: number
  failedCalls: number
  cachedCalls: number
  promptTokens: number
  completionTokens: number
  cost: number
}

export interface ModelRuntime {
  readonly options: ModelRuntimeOptions
  readonly limiter: (key: string, provider: string) => RateLimiter
  /** Totals over every call made through this runtime (live progress). */
  readonly totals: UsageTotals
}

export const makeModelRuntime = (options: Partial<ModelRuntimeOptions> = {}): ModelRuntime => {
  const full: ModelRuntimeOptions = { ...DEFAULT_RUNTIME_OPTIONS, ...options }
  const limiters = new Map<string, RateLimiter>()
  return {
    options: full,
    limiter: (key, provider) => {
      let limiter = limiters.get(key)
      if (!limiter) {
        const rate = full.rateLimits[key] ?? full.rateLimits[provider]
        limiter = rate === undefined ? unlimited : tokenBucketLimiter(rate)
        limiters.set(key, limiter)
      }
      return limiter
    },
    totals: { calls: 0, failedCalls: 0, cachedCalls: 0, promptTokens: 0, completionTokens: 0, cost: 0 },
  }
}

let current: ModelRuntime = makeModelRuntime()

/** Sets the process-wide runtime used by participants built from specs (the CLI's). */
export const configureModels = (options: Partial<ModelRuntimeOptions>): ModelRuntime => {
  current = makeModelRuntime({ ...current.options, ...options })
  return current
}

export const currentModelRuntime = (): ModelRuntime => current
