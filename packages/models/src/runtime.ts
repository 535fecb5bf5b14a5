/**
 * How model calls are made: timeouts, retries, rate limits, the response cache, prices, the
 * credentials of the specs, and the running totals shown as live progress. A composition root (the
 * CLI, a worker, a test) provides one `ModelRuntime` built from its options with
 * `ModelRuntime.layer(options)`; each layer build is a fresh instance (own limiters, own totals).
 * Time and jitter come from Effect's `Clock` and `Random`, never from here.
 */
import type { ModelCalled } from "@tau-sim/engine"
import { Context, type Effect, Layer } from "effect"
import { processCredentials, type SpecCredentials } from "./credentials.ts"
import { type Price, PRICES, type UserPrices, withUserPrices } from "./pricing.ts"
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
  /** Backoff before retry k (1-based) is min(max, base * 2^(k-1)), jittered to 50-100% (by Effect's `Random`). */
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  /** Requests per minute, by rate-limit key (`openai`, `anthropic`, `compat@<url>`) or provider (`compat`). */
  readonly rateLimits: Readonly<Record<string, number>>
  readonly cache: ResponseCache | null
  readonly prices: Readonly<Record<string, Price>>
  /** Prices the user gave (a price file, `--price`): they override `prices`, and a run records them. */
  readonly userPrices: UserPrices
  /**
   * Told once per model, at its first call through this runtime that has no price (its cost is
   * unknown): the CLI says so on standard error, once per run rather than per call.
   */
  readonly onUnpriced: ((model: string, provider: string) => void) | null
  /** Where API keys and base-URL overrides are read from (default: `process.env` when the runtime is built). */
  readonly env: NodeJS.ProcessEnv
  /**
   * The live forms of redacted specs and the secrets learnt from them (default: the process's own,
   * `processCredentials`, which the CLI's flag parsing and output redaction share).
   */
  readonly credentials: SpecCredentials
}

export const DEFAULT_RUNTIME_OPTIONS: Omit<ModelRuntimeOptions, "env" | "credentials"> = {
  timeoutMs: 120_000,
  maxRetries: 5,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  rateLimits: {},
  cache: null,
  prices: PRICES,
  userPrices: {},
  onUnpriced: null,
}

export interface UsageTotals {
  calls: number
  failedCalls: number
  cachedCalls: number
  promptTokens: number
  completionTokens: number
  /** USD of the calls with a known cost. */
  cost: number
  /** Calls whose cost is unknown (their model had no price): `cost` is then a lower bound. */
  unpricedCalls: number
}

export interface ModelRuntimeShape {
  readonly options: ModelRuntimeOptions
  /** The limiter of one endpoint, shared by every call through this runtime. */
  readonly limiter: (key: string, provider: string) => RateLimiter
  /** Totals over every call made through this runtime (live progress); updated by `recordedCall`. */
  readonly totals: UsageTotals
  /** The models called through this runtime that had no price, in the order first called. */
  readonly unpricedModels: Set<string>
}

/** A runtime from its options; the state (limiters, totals) belongs to the returned value alone. */
export const makeModelRuntime = (options: Partial<ModelRuntimeOptions> = {}): ModelRuntimeShape => {
  const given: ModelRuntimeOptions = { ...DEFAULT_RUNTIME_OPTIONS, env: process.env, credentials: processCredentials, ...options }
  // A user's price overrides the table's.
  const full: ModelRuntimeOptions = { ...given, prices: withUserPrices(given.userPrices, given.prices) }
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
    totals: { calls: 0, failedCalls: 0, cachedCalls: 0, promptTokens: 0, completionTokens: 0, cost: 0, unpricedCalls: 0 },
    unpricedModels: new Set(),
  }
}

export class ModelRuntime extends Context.Service<ModelRuntime, ModelRuntimeShape>()("@tau-sim/models/ModelRuntime") {
  /** A fresh runtime per build of the layer; unset options take `DEFAULT_RUNTIME_OPTIONS`. */
  static readonly layer = (options: Partial<ModelRuntimeOptions> = {}): Layer.Layer<ModelRuntime> => Layer.sync(ModelRuntime, () => makeModelRuntime(options))
}
