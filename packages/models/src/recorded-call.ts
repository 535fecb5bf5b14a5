/**
 * One logical model call as the benchmark makes it: answered from the cache when allowed, else
 * rate limited, timed out per attempt and retried with exponential backoff and jitter on transient
 * failures. Every attempt, failed ones included, becomes a `ModelCalled` event (request, raw
 * response, usage, cost, latency, attempt number, request hash); so does an attempt cancelled
 * while it waited for its answer (its cost unknown: a provider may bill what it had started), for
 * the turn's `TurnCallLog` when the episode's time limit cuts the turn.
 */
import { Events, type ModelCalled, TurnCallLog } from "@tau-sim/engine"
import { Clock, Effect, Random } from "effect"
import { isTransient, ModelCallError, type ModelClient, type ModelRequest, type ModelResponse } from "./port.ts"
import { costOf, priceOf } from "./pricing.ts"
import { type RequestTexts, requestHash, requestTexts } from "./request-hash.ts"
import { ModelRuntime, type ModelRuntimeOptions } from "./runtime.ts"
import { mayHoldSecret, redactText, redactValue } from "./secrets.ts"

export type CallParticipant = ModelCalled["participant"]

export interface CallSuccess {
  readonly response: ModelResponse
  readonly events: ReadonlyArray<ModelCalled>
}

/** The call failed for good; `events` records every attempt. */
export interface CallFailure {
  readonly error: ModelCallError
  readonly attempts: number
  readonly events: ReadonlyArray<ModelCalled>
}

const ZERO_USAGE = { promptTokens: 0, completionTokens: 0 }

/**
 * What we store of a request: enough to re-send it, never a key. The conversation and tools are
 * walked for secrets only when their JSON texts (made for the hash) may hold one.
 */
const recordedRequest = (client: ModelClient, request: ModelRequest, texts: RequestTexts, secrets: ReadonlyArray<string>) => ({
  identity: redactValue(client.identity, secrets),
  baseURL: redactValue(client.baseURL, secrets),
  messages: mayHoldSecret(texts.messages, secrets) ? redactValue(request.messages, secrets) : request.messages,
  tools: mayHoldSecret(texts.tools, secrets) ? redactValue(request.tools, secrets) : request.tools,
  toolChoice: redactValue(request.toolChoice, secrets),
  params: redactValue(request.params, secrets),
})

const describe = (error: ModelCallError): string => `${error.kind}${error.status !== undefined ? ` (HTTP ${error.status})` : ""}: ${error.message}`

/** The response a recorded successful call carries, for the cache. */
export const responseOfEvent = (event: ModelCalled): ModelResponse | undefined => {
  const r = event.response as { text?: unknown; toolCalls?: unknown; finishReason?: unknown; raw?: unknown } | null
  if (event.error !== null || r === null || typeof r !== "object" || !Array.isArray(r.toolCalls)) return undefined
  return {
    text: typeof r.text === "string" ? r.text : null,
    toolCalls: r.toolCalls as ModelResponse["toolCalls"],
    usage: event.usage,
    finishReason: typeof r.finishReason === "string" ? r.finishReason : "unknown",
    raw: r.raw,
  }
}

/** The wait before retry `retry` (1-based); `jitter` in [0, 1) picks 50-100% of the exponential step. */
export const backoffMs = (
  retry: number,
  { backoffBaseMs, backoffMaxMs }: Pick<ModelRuntimeOptions, "backoffBaseMs" | "backoffMaxMs">,
  jitter: number,
  retryAfterMs?: number,
): number => {
  const exponential = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (retry - 1))
  const jittered = exponential * (0.5 + jitter * 0.5)
  return Math.min(backoffMaxMs, Math.max(jittered, retryAfterMs ?? 0))
}

/** Time (limits, timeouts, backoff, latency) is Effect's `Clock`, the backoff jitter its `Random`. */
export const recordedCall = (client: ModelClient, request: ModelRequest, participant: CallParticipant): Effect.Effect<CallSuccess, CallFailure, ModelRuntime> =>
  Effect.gen(function* () {
    const runtime = yield* ModelRuntime
    const log = yield* TurnCallLog
    const texts = requestTexts(request)
    const hash = requestHash(client.identity, request, texts)
    const secrets = runtime.options.credentials.secrets.values(runtime.options.env)
    const recorded = recordedRequest(client, request, texts, secrets)
    const price = priceOf(client.model, runtime.options.prices)
    const totals = runtime.totals
    // Built in the schema's field order: the store's encoder then takes the event as it is (no copy).
    const event = ({
      response,
      usage,
      cost,
      latencyMs,
      attempt,
      error,
    }: Pick<ModelCalled, "response" | "usage" | "cost" | "latencyMs" | "attempt" | "error">): ModelCalled =>
      Events.modelCalled({
        participant,
        provider: client.provider,
        model: client.model,
        request: recorded,
        response,
        usage,
        cost,
        latencyMs,
        attempt,
        requestHash: hash,
        error,
      })

    if (runtime.options.cache) {
      const hit = yield* runtime.options.cache.find(hash)
      const cached = hit && responseOfEvent(hit)
      if (hit && cached) {
        totals.calls++
        totals.cachedCalls++
        const response = { ...(hit.response as object), cached: { requestHash: hash, usage: hit.usage, cost: hit.cost } }
        const hitEvent = event({ response, usage: ZERO_USAGE, cost: 0, latencyMs: 0, attempt: 1, error: null })
        log.record(hitEvent)
        return { response: cached, events: [hitEvent] }
      }
    }

    const limiter = runtime.limiter(client.rateLimitKey, client.provider)
    const { timeoutMs, maxRetries } = runtime.options
    const events: ModelCalled[] = []
    const record = (call: ModelCalled) => {
      events.push(call)
      log.record(call)
    }
    // An attempt interrupted while it waits: recorded and counted only where it is stored (a turn
    // the time limit cut), so the process's totals and the store agree; a stop (Ctrl-C, a lost
    // lease) plays the hop again on resume.
    const cancelled = (started: bigint, attempt: number) =>
      Effect.gen(function* () {
        const latencyMs = Number((yield* Clock.monotonicTimeNanos) - started) / 1e6
        totals.calls++
        totals.failedCalls++
        totals.unpricedCalls++
        const message = `cancelled after ${Math.round(latencyMs)} ms without an answer`
        log.record(
          event({ response: { error: { kind: "cancelled", status: null, message } }, usage: ZERO_USAGE, cost: null, latencyMs, attempt, error: message }),
        )
      })
    for (let attempt = 1; ; attempt++) {
      yield* limiter.take
      const started = yield* Clock.monotonicTimeNanos
      const call = client.generate(request).pipe(
        Effect.timeoutOrElse({
          duration: timeoutMs,
          orElse: () => Effect.fail(new ModelCallError({ kind: "timeout", message: `no answer within ${timeoutMs} ms` })),
        }),
      )
      const outcome = yield* (log.listening ? Effect.onInterrupt(call, () => cancelled(started, attempt)) : call).pipe(Effect.result)
      const latencyMs = Number((yield* Clock.monotonicTimeNanos) - started) / 1e6
      totals.calls++
      if (outcome._tag === "Success") {
        // Redacted before anyone sees it: the turn's text and tool calls are recorded as messages too.
        const response = redactValue(outcome.success, secrets)
        // Unknown (null) when the model has no price: never counted as free.
        const cost = costOf(price, response.usage)
        totals.promptTokens += response.usage.promptTokens
        totals.completionTokens += response.usage.completionTokens
        if (cost === null) {
          totals.unpricedCalls++
          if (!runtime.unpricedModels.has(client.model)) {
            runtime.unpricedModels.add(client.model)
            runtime.options.onUnpriced?.(client.model, client.provider)
          }
        } else totals.cost += cost
        record(
          event({
            response: { text: response.text, toolCalls: response.toolCalls, finishReason: response.finishReason, raw: response.raw, pricing: price },
            usage: response.usage,
            cost,
            latencyMs,
            attempt,
            error: null,
          }),
        )
        return { response, events }
      }
      const error = outcome.failure
      totals.failedCalls++
      record(
        event({
          response: { error: { kind: error.kind, status: error.status ?? null, message: redactText(error.message, secrets) } },
          usage: ZERO_USAGE,
          cost: 0,
          latencyMs,
          attempt,
          error: redactText(describe(error), secrets),
        }),
      )
      if (!isTransient(error) || attempt > maxRetries) return yield* Effect.fail({ error, attempts: attempt, events })
      yield* Effect.sleep(Math.round(backoffMs(attempt, runtime.options, yield* Random.next, error.retryAfterMs)))
    }
  })
