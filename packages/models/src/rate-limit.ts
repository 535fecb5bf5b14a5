/**
 * Per-provider rate limiting with a token bucket. Callers reserve a token and wait until it is
 * theirs: the balance may go negative, which queues later callers behind earlier ones (first come,
 * first served) instead of letting them race for the next refill.
 */
import { Clock, Effect } from "effect"
import { redactUrlsIn } from "./secrets.ts"

/** Rejects what cannot be a rate (zero, negative, NaN). */
const checkedRate = (ratePerMinute: number): number => {
  if (!(ratePerMinute > 0)) throw new RangeError(`a rate limit must be positive, got ${ratePerMinute}`)
  return ratePerMinute
}

export class TokenBucket {
  private tokens: number
  private last: number
  private readonly perMs: number
  readonly capacity: number

  /** `ratePerMinute` tokens are added per minute, up to `capacity` (the burst size). */
  constructor(ratePerMinute: number, capacity: number, now: number) {
    this.perMs = checkedRate(ratePerMinute) / 60_000
    this.capacity = Math.max(1, capacity)
    this.tokens = this.capacity
    this.last = now
  }

  /** Takes one token; returns how long (ms) the caller must wait before using it. */
  reserve(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs)
    this.last = now
    this.tokens -= 1
    return this.tokens >= 0 ? 0 : -this.tokens / this.perMs
  }
}

export interface RateLimiter {
  /** Waits for the caller's turn. */
  readonly take: Effect.Effect<void>
}

export const unlimited: RateLimiter = { take: Effect.void }

/**
 * A limiter of `requestsPerMinute`; bursts of up to `burst` requests (default: one second's worth,
 * at least 1) go through at once. Time is Effect's `Clock` (a `TestClock` in tests); the bucket
 * starts full at the first request.
 */
export const tokenBucketLimiter = (requestsPerMinute: number, burst = Math.max(1, Math.ceil(requestsPerMinute / 60))): RateLimiter => {
  checkedRate(requestsPerMinute)
  let bucket: TokenBucket | undefined
  return {
    take: Effect.flatMap(Clock.currentTimeMillis, (now) => {
      bucket ??= new TokenBucket(requestsPerMinute, burst, now)
      const wait = bucket.reserve(now)
      return wait > 0 ? Effect.sleep(Math.ceil(wait)) : Effect.void
    }),
  }
}

/**
 * Parses `openai=500,anthropic=50` (requests per minute per provider; `compat` applies to each
 * OpenAI-compatible endpoint separately, `compat@<base-url>` to one; a URL with credentials is
 * matched by its redacted form, as clients are keyed).
 */
export const parseRateLimits = (text: string): Record<string, number> => {
  const limits: Record<string, number> = {}
  for (const part of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.lastIndexOf("=")
    const key = part.slice(0, eq).trim()
    const value = Number(part.slice(eq + 1))
    if (eq <= 0 || !key || !(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(`rate limit "${redactUrlsIn(part)}": expected <provider>=<requests per minute> (a positive number), e.g. openai=500`)
    }
    limits[redactUrlsIn(key)] = value
  }
  return limits
}
