/**
 * The model port: what the participants need from a chat model, and nothing more. Messages and
 * tool definitions go in; text, tool calls (with the raw argument JSON text, never parsed here),
 * usage, finish reason and the provider's raw response come out.
 *
 * Providers implement it (`providers.ts`, over the Vercel AI SDK); the recording layer
 * (`recorded-call.ts`) wraps it with timeouts, retries, rate limits, the response cache and events.
 */
import type { Effect } from "effect"
import { Schema } from "effect"

export interface ModelToolCall {
  readonly id: string
  readonly name: string
  /** The argument JSON text exactly as the model produced it (may be invalid JSON). */
  readonly argumentsJson: string
}

export type ModelMessage =
  | { readonly role: "system"; readonly content: string }
  | { readonly role: "user"; readonly content: string }
  | { readonly role: "assistant"; readonly content: string | null; readonly toolCalls: ReadonlyArray<ModelToolCall> }
  | { readonly role: "tool"; readonly toolCallId: string; readonly toolName: string; readonly content: string }

/** A JSON schema object (draft 2020-12 subset that providers accept). */
export type JsonSchema = { readonly [key: string]: unknown }

/** A tool in τ²'s (OpenAI) function-schema shape. */
export interface FunctionTool {
  readonly type: "function"
  readonly function: {
    readonly name: string
    readonly description: string
    readonly parameters: JsonSchema
  }
}

export type ToolChoice = "auto" | "required" | "none"

/**
 * Generation arguments as the user gave them (`temperature`, `seed`, `max_tokens`, `top_p`,
 * `reasoning_effort`, ... in τ²/LiteLLM spelling); recorded verbatim, mapped by the provider.
 */
export type ModelParams = { readonly [key: string]: unknown }

export interface ModelRequest {
  readonly messages: ReadonlyArray<ModelMessage>
  readonly tools: ReadonlyArray<FunctionTool>
  /** null when there are no tools. */
  readonly toolChoice: ToolChoice | null
  readonly params: ModelParams
}

export interface ModelUsage {
  readonly promptTokens: number
  readonly completionTokens: number
}

export interface ModelResponse {
  /** Concatenated text parts; null when the model produced no text. */
  readonly text: string | null
  readonly toolCalls: ReadonlyArray<ModelToolCall>
  readonly usage: ModelUsage
  /** Unified finish reason (`stop`, `tool-calls`, `length`, ...), or the provider's raw one. */
  readonly finishReason: string
  /** The provider's response as received: the JSON body, or the list of stream chunks. */
  readonly raw: unknown
}

/**
 * Why a call failed, in the terms that decide what happens next:
 * - `rate_limited`, `server`, `timeout`, `network`: transient, retried with backoff;
 * - `context_length`: the conversation no longer fits; retrying cannot help;
 * - `client`: the request was rejected (bad key, unknown model, bad argument); not retried;
 * - `invalid_response`: the provider answered with something we cannot read; retried.
 */
export const ModelErrorKind = Schema.Literals(["rate_limited", "server", "timeout", "network", "context_length", "client", "invalid_response"])
export type ModelErrorKind = typeof ModelErrorKind.Type

export class ModelCallError extends Schema.TaggedError<ModelCallError>()("ModelCallError", {
  kind: ModelErrorKind,
  message: Schema.String,
  status: Schema.optional(Schema.Int),
  /** Server-requested wait (Retry-After), if any. */
  retryAfterMs: Schema.optional(Schema.Number),
}) {}

export const isTransient = (error: ModelCallError): boolean =>
  error.kind === "rate_limited" || error.kind === "server" || error.kind === "timeout" || error.kind === "network" || error.kind === "invalid_response"

export interface ModelClient {
  /** `openai`, `anthropic` or `compat`. */
  readonly provider: string
  readonly model: string
  /**
   * What identifies the model for caching: `openai:gpt-4.1`, `compat:llama3@http://host/v1`.
   * Base-URL overrides of the hosted providers (proxies, test servers) are not part of it.
   */
  readonly identity: string
  /** Key for per-provider rate limiting (one bucket per provider endpoint). */
  readonly rateLimitKey: string
  /** Where requests go (recorded; never contains the key). */
  readonly baseURL: string
  /** One attempt; interruption aborts the HTTP request. */
  readonly generate: (request: ModelRequest) => Effect.Effect<ModelResponse, ModelCallError>
}
