/**
 * The model port over the Vercel AI SDK providers (OpenAI Chat Completions, Anthropic Messages,
 * OpenAI-compatible servers).
 *
 * We call the providers' language models directly (`doGenerate` / `doStream`) rather than
 * `generateText`: a benchmark must see the tool calls exactly as the model wrote them (the raw
 * argument text, unknown tool names included) and must own retries itself, while `generateText`
 * validates and repairs tool calls and retries on its own.
 */
import { createAnthropic } from "@ai-sdk/anthropic"
import { createOpenAI } from "@ai-sdk/openai"
import { createOpenAICompatible } from "@ai-sdk/openai-compatible"
import { APICallError } from "ai"
import { Clock, Effect } from "effect"
import { ModelCallError, type ModelClient, type ModelMessage, type ModelParams, type ModelRequest, type ModelResponse, type ModelToolCall } from "./port.ts"
import { processCredentials, type SpecCredentials } from "./credentials.ts"
import { BASE_URL_VARIABLES, KEY_VARIABLES, redactText, redactUrl, urlSecrets } from "./secrets.ts"
import type { ModelSpec } from "./spec.ts"
import { keepAliveFetch } from "./transport.ts"

type LanguageModel = ReturnType<ReturnType<typeof createOpenAI>["chat"]>
type CallOptions = Parameters<LanguageModel["doGenerate"]>[0]
type Prompt = CallOptions["prompt"]
type GenerateResult = Awaited<ReturnType<LanguageModel["doGenerate"]>>
type StreamPart = Awaited<ReturnType<LanguageModel["doStream"]>>["stream"] extends ReadableStream<infer P> ? P : never

export const DEFAULT_BASE_URLS = { openai: "https://api.openai.com/v1", anthropic: "https://api.anthropic.com/v1" } as const

export class ProviderConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "ProviderConfigError"
  }
}

/** Anthropic needs at least one user turn; a solo agent starts from its system prompt alone. */
export const ANTHROPIC_OPENING_USER_TEXT = "Begin."

const toPrompt = (messages: ReadonlyArray<ModelMessage>, provider: string): Prompt => {
  const prompt: Prompt = messages.map((m): Prompt[number] => {
    switch (m.role) {
      case "system":
        return { role: "system", content: m.content }
      case "user":
        return { role: "user", content: [{ type: "text", text: m.content }] }
      case "assistant":
        return {
          role: "assistant",
          content: [
            ...(m.content !== null && m.content !== "" ? [{ type: "text" as const, text: m.content }] : []),
            // The providers take the raw argument text and fall back to {} when it is not an object.
            ...m.toolCalls.map((c) => ({ type: "tool-call" as const, toolCallId: c.id, toolName: c.name, input: c.argumentsJson })),
          ],
        }
      default: // "tool"
        return {
          role: "tool",
          content: [{ type: "tool-result", toolCallId: m.toolCallId, toolName: m.toolName, output: { type: "text", value: m.content } }],
        }
    }
  })
  if (provider === "anthropic" && !prompt.some((m) => m.role !== "system")) {
    prompt.push({ role: "user", content: [{ type: "text", text: ANTHROPIC_OPENING_USER_TEXT }] })
  }
  return prompt
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined)

/** Arguments that are not ours to interpret: consumed by the transport, not sent. */
export const TRANSPORT_ARGS = ["stream"] as const

/**
 * τ²/LiteLLM-style arguments → AI SDK call options. Standard ones map to the SDK's fields; the
 * rest go to the provider as provider options (camel-cased for OpenAI and Anthropic, whose SDK
 * options are camel-case; verbatim for OpenAI-compatible servers, which add them to the body).
 */
export const toCallOptions = (params: ModelParams, provider: string, namespace: string): Partial<CallOptions> => {
  const options: Partial<CallOptions> = {}
  // A value that does not convert leaves the option unset (as a later spelling of the same option may too).
  const set = <K extends keyof CallOptions>(key: K, value: CallOptions[K] | undefined): void => {
    if (value === undefined) delete options[key]
    else options[key] = value
  }
  const extra: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(params)) {
    switch (key) {
      case "temperature":
        set("temperature", num(value))
        break
      case "seed":
        set("seed", num(value))
        break
      case "top_p":
      case "topP":
        set("topP", num(value))
        break
      case "top_k":
      case "topK":
        set("topK", num(value))
        break
      case "max_tokens":
      case "max_completion_tokens":
      case "max_output_tokens":
      case "maxOutputTokens":
        set("maxOutputTokens", num(value))
        break
      case "presence_penalty":
      case "presencePenalty":
        set("presencePenalty", num(value))
        break
      case "frequency_penalty":
      case "frequencyPenalty":
        set("frequencyPenalty", num(value))
        break
      case "stop":
      case "stopSequences":
        set("stopSequences", typeof value === "string" ? [value] : Array.isArray(value) ? value.map(String) : undefined)
        break
      case "reasoning_effort":
      case "reasoningEffort":
      case "reasoning":
        set("reasoning", value as CallOptions["reasoning"])
        break
      default:
        if (!(TRANSPORT_ARGS as ReadonlyArray<string>).includes(key)) extra[provider === "compat" ? key : camel(key)] = value
    }
  }
  if (Object.keys(extra).length > 0) options.providerOptions = { [namespace]: extra as never }
  return options
}

/** Retry-After in seconds or as an HTTP date (read against `nowMs`, the Clock's time). */
const retryAfterMs = (headers: Record<string, string> | undefined, nowMs: number): number | undefined => {
  const value = headers?.["retry-after"] ?? headers?.["Retry-After"]
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined
}

const CONTEXT_LENGTH = /context_length_exceeded|context length|context window|prompt is too long|too many tokens|maximum.*tokens/i

/**
 * Maps whatever a provider call threw to the error kinds that decide retrying (see `port.ts`);
 * `secrets` are redacted from the message, `nowMs` dates a Retry-After given as an HTTP date.
 */
export const classifyError = (error: unknown, secrets: ReadonlyArray<string>, nowMs: number): ModelCallError => {
  const message = redactText(error instanceof Error ? error.message : String(error), secrets)
  if (APICallError.isInstance(error)) {
    const status = error.statusCode
    const body = redactText(error.responseBody ?? "", secrets)
    const detail = body ? `${message}: ${body.slice(0, 500)}` : message
    if (status === undefined) return new ModelCallError({ kind: "network", message: detail })
    if (status === 429) return new ModelCallError({ kind: "rate_limited", status, message: detail, retryAfterMs: retryAfterMs(error.responseHeaders, nowMs) })
    if (status >= 500 || status === 408 || status === 409)
      return new ModelCallError({ kind: "server", status, message: detail, retryAfterMs: retryAfterMs(error.responseHeaders, nowMs) })
    if ((status === 400 || status === 413) && CONTEXT_LENGTH.test(`${message} ${body}`))
      return new ModelCallError({ kind: "context_length", status, message: detail })
    return new ModelCallError({ kind: "client", status, message: detail })
  }
  const name = error instanceof Error ? error.name : ""
  if (name === "AbortError" || name === "TimeoutError") return new ModelCallError({ kind: "timeout", message })
  if (/InvalidResponseData|JSONParse|TypeValidation|EmptyResponseBody|NoContentGenerated/.test(name)) {
    return new ModelCallError({ kind: "invalid_response", message: `${name}: ${message}` })
  }
  if (name === "TypeError" && /fetch failed|network|socket|ECONNRESET|ECONNREFUSED/i.test(`${message} ${String((error as { cause?: unknown }).cause ?? "")}`)) {
    return new ModelCallError({ kind: "network", message })
  }
  return new ModelCallError({ kind: "invalid_response", message: name ? `${name}: ${message}` : message })
}

const toUsage = (usage: GenerateResult["usage"] | undefined) => ({
  promptTokens: usage?.inputTokens.total ?? 0,
  completionTokens: usage?.outputTokens.total ?? 0,
})

const fromGenerate = (result: GenerateResult): ModelResponse => {
  const texts: string[] = []
  const toolCalls: ModelToolCall[] = []
  for (const part of result.content) {
    if (part.type === "text") texts.push(part.text)
    else if (part.type === "tool-call") toolCalls.push({ id: part.toolCallId, name: part.toolName, argumentsJson: part.input })
  }
  const text = texts.join("")
  return {
    text: text === "" ? null : text,
    toolCalls,
    usage: toUsage(result.usage),
    finishReason: result.finishReason.unified,
    raw: { body: result.response?.body ?? null, finishReason: result.finishReason.raw ?? null, warnings: result.warnings },
  }
}

/** Reads a stream to the end, keeping the raw chunks; an error part fails the call like an HTTP error. */
const fromStream = async (stream: ReadableStream<StreamPart>): Promise<ModelResponse> => {
  const texts: string[] = []
  const toolCalls: ModelToolCall[] = []
  const chunks: unknown[] = []
  const warnings: unknown[] = []
  let usage = { promptTokens: 0, completionTokens: 0 }
  let finishReason = "unknown"
  let rawFinishReason: string | null = null
  const reader = stream.getReader()
  for (;;) {
    const { done, value: part } = await reader.read()
    if (done) break
    switch (part.type) {
      case "raw":
        chunks.push(part.rawValue)
        break
      case "stream-start":
        warnings.push(...part.warnings)
        break
      case "text-delta":
        texts.push(part.delta)
        break
      case "tool-call":
        toolCalls.push({ id: part.toolCallId, name: part.toolName, argumentsJson: part.input })
        break
      case "finish":
        usage = toUsage(part.usage)
        finishReason = part.finishReason.unified
        rawFinishReason = part.finishReason.raw ?? null
        break
      case "error":
        throw part.error instanceof Error ? part.error : new Error(`stream error: ${JSON.stringify(part.error)}`)
    }
  }
  const text = texts.join("")
  return { text: text === "" ? null : text, toolCalls, usage, finishReason, raw: { stream: chunks, finishReason: rawFinishReason, warnings } }
}

export interface ClientOptions {
  readonly env?: NodeJS.ProcessEnv
  /** The HTTP transport (default: keep-alive node:http, see `transport.ts`). */
  readonly fetch?: typeof globalThis.fetch
  /** Learns the credentials of the base URL, so that all output redacts them (default: the process's). */
  readonly credentials?: SpecCredentials
}

const requireKey = (env: NodeJS.ProcessEnv, provider: "openai" | "anthropic"): string => {
  const name = KEY_VARIABLES[provider]
  const key = env[name]
  if (!key) throw new ProviderConfigError(`${provider} models need an API key in the environment variable ${name}`)
  return key
}

const baseURLOf = (env: NodeJS.ProcessEnv, provider: "openai" | "anthropic"): string =>
  (env[BASE_URL_VARIABLES[provider]] || DEFAULT_BASE_URLS[provider]).replace(/\/+$/, "")

type Fetch = typeof globalThis.fetch

/**
 * A base URL with its credentials taken out: the SDKs build request URLs by appending a path, which
 * a query string would break, and the platform fetch refuses userinfo. The query is added to every
 * request and the userinfo sent as Basic authorization (unless the provider sends a key itself).
 */
const splitCredentials = (url: string, fetch: Fetch): { readonly baseURL: string; readonly fetch: Fetch } => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { baseURL: url, fetch }
  }
  const query = parsed.search.slice(1)
  const authorization =
    parsed.username || parsed.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString("base64")}`
      : undefined
  if (!query && !authorization) return { baseURL: url, fetch }
  const baseURL = `${parsed.protocol}//${parsed.host}${parsed.pathname}`.replace(/\/+$/, "")
  const credentialed: Fetch = (input, init) => {
    let target = typeof input === "string" ? input : input instanceof URL ? input.href : input.url
    if (query) target += `${target.includes("?") ? "&" : "?"}${query}`
    const headers = new Headers(init?.headers)
    if (authorization && !headers.has("authorization")) headers.set("authorization", authorization)
    return fetch(target, { ...init, headers })
  }
  return { baseURL, fetch: credentialed }
}

/** Builds the client for a parsed spec; keys and base-URL overrides come from `env` only. */
export const makeModelClient = (spec: ModelSpec, options: ClientOptions = {}): ModelClient => {
  const env = options.env ?? process.env
  const transport = options.fetch ?? (keepAliveFetch as Fetch)
  const liveURL = spec.provider === "compat" ? (spec.baseURL ?? "") : baseURLOf(env, spec.provider)
  // What is recorded, printed and keyed on (identity, rate limits): the URL without its credentials.
  const baseURL = redactUrl(liveURL)
  const credentials = options.credentials ?? processCredentials
  credentials.secrets.remember(urlSecrets(liveURL))
  const { baseURL: callURL, fetch } = splitCredentials(liveURL, transport)
  let model: LanguageModel
  let identity: string
  let rateLimitKey: string
  switch (spec.provider) {
    case "openai":
      model = createOpenAI({ apiKey: requireKey(env, "openai"), baseURL: callURL, fetch }).chat(spec.model)
      identity = `openai:${spec.model}`
      rateLimitKey = "openai"
      break
    case "anthropic":
      model = createAnthropic({ apiKey: requireKey(env, "anthropic"), baseURL: callURL, fetch }).messages(spec.model) as unknown as LanguageModel
      identity = `anthropic:${spec.model}`
      rateLimitKey = "anthropic"
      break
    case "compat": {
      // A compat server may need no key: an empty or unset variable sends none.
      const compatKey = env[KEY_VARIABLES.compat]
      model = createOpenAICompatible({
        name: "compat",
        baseURL: callURL,
        ...(compatKey ? { apiKey: compatKey } : {}),
        includeUsage: true,
        fetch,
      }).chatModel(spec.model) as unknown as LanguageModel
      identity = `compat:${spec.model}@${baseURL}`
      rateLimitKey = `compat@${baseURL}`
      break
    }
  }
  const streaming = spec.args.stream === true
  const secrets = credentials.secrets.values(env)

  const generate = (request: ModelRequest) =>
    Clock.clockWith((clock) =>
      Effect.tryPromise({
        try: async (signal) => {
          const options: CallOptions = {
            ...toCallOptions(request.params, spec.provider, "compat" === spec.provider ? "compat" : spec.provider),
            prompt: toPrompt(request.messages, spec.provider),
            ...(request.tools.length > 0 && {
              tools: request.tools.map((t) => ({
                type: "function" as const,
                name: t.function.name,
                description: t.function.description,
                inputSchema: t.function.parameters as never,
              })),
              ...(request.toolChoice && { toolChoice: { type: request.toolChoice } }),
            }),
            abortSignal: signal,
          }
          if (!streaming) return fromGenerate(await model.doGenerate(options))
          const result = await model.doStream({ ...options, includeRawChunks: true })
          return await fromStream(result.stream)
        },
        catch: (e) => classifyError(e, secrets, clock.currentTimeMillisUnsafe()),
      }),
    )

  return { provider: spec.provider, model: spec.model, identity, rateLimitKey, baseURL, generate }
}
