/**
 * A model client answered in-process by a brain (no HTTP, no waiting): for measuring what the
 * engine itself costs per step, and for tests that need a model but not a provider (retries,
 * timeouts and rate limits under a `TestClock`).
 */
import { APICallError } from "ai"
import { Clock, Effect } from "effect"
import type { ModelCallError, ModelClient, ModelRequest, ModelResponse } from "../src/port.ts"
import { classifyError } from "../src/providers.ts"
import type { Brain, FakeCall, FakeMessage, Reply } from "./fake-llm-server.ts"

/** The request as the fake server would parse it, so the same brains serve both. */
const asCall = (request: ModelRequest, model: string): FakeCall => {
  const system = request.messages.flatMap((m) => (m.role === "system" ? [m.content] : [])).join("\n")
  const messages = request.messages.flatMap((m): FakeMessage[] => {
    switch (m.role) {
      case "system":
        return []
      case "user":
        return [{ role: "user", text: m.content }]
      case "assistant":
        return [{ role: "assistant", text: m.content, toolCalls: m.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.argumentsJson })) }]
      default: // "tool"
        return [{ role: "tool", toolCallId: m.toolCallId, text: m.content }]
    }
  })
  return {
    api: "openai",
    path: "in-process",
    query: "",
    model,
    stream: false,
    system,
    messages,
    tools: request.tools.map((t) => t.function.name),
    body: { seed: request.params.seed },
    headers: {},
  }
}

/** A reply's failure as a provider call would throw it (the SDK's `APICallError`), for `classifyError`. */
const thrown = (reply: Exclude<Reply, { type: "message" | "hang" }>): unknown => {
  if (reply.type === "drop") return new TypeError("fetch failed", { cause: new Error("socket hang up") })
  const [status, message] =
    reply.type === "context_length" ? [400, "context_length_exceeded: prompt is too long"] : [reply.status, reply.message ?? `scripted ${reply.status}`]
  const retryAfter =
    reply.type === "error" && reply.retryAfterSeconds !== undefined ? { responseHeaders: { "retry-after": String(reply.retryAfterSeconds) } } : {}
  return new APICallError({
    message,
    url: "in-process",
    requestBodyValues: {},
    statusCode: status,
    ...retryAfter,
    responseBody: JSON.stringify({ error: { message } }),
  })
}

export interface InProcessModelOptions {
  readonly model?: string
  /** The provider and rate-limit key it reports (default `in-process`), to share or separate limiters. */
  readonly provider?: string
  readonly rateLimitKey?: string
}

/**
 * A synchronous brain answers synchronously (in the calling fiber), so a `TestClock` sees every
 * sleep the recording layer starts; a `hang` never answers (until the call times out). Failures go
 * through the providers' own `classifyError`.
 */
export const inProcessModel = (brain: Brain, options: InProcessModelOptions | string = {}): ModelClient => {
  const { model = "in-process", provider = "in-process", rateLimitKey = provider } = typeof options === "string" ? { model: options } : options
  let n = 0
  let ids = 0
  const answer = (reply: Reply): Effect.Effect<ModelResponse, ModelCallError> => {
    if (reply.type === "hang") return Effect.never
    if (reply.type !== "message") return Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(classifyError(thrown(reply), [], now)))
    return Effect.succeed({
      text: reply.text ?? null,
      toolCalls: (reply.toolCalls ?? []).map((c) => ({ id: c.id ?? `call_${++ids}`, name: c.name, argumentsJson: c.arguments })),
      usage: { promptTokens: reply.usage?.input ?? 0, completionTokens: reply.usage?.output ?? 0 },
      finishReason: (reply.toolCalls ?? []).length > 0 ? "tool-calls" : "stop",
      raw: null,
    })
  }
  return {
    provider,
    model,
    identity: `${provider}:${model}`,
    rateLimitKey,
    baseURL: "in-process",
    generate: (request) =>
      Effect.suspend(() => {
        const reply = brain(asCall(request, model), n++)
        return reply instanceof Promise
          ? Effect.flatMap(
              Effect.promise(() => reply),
              answer,
            )
          : answer(reply)
      }),
  }
}
