/**
 * The content address of a model request: sha256 over a JSON form of everything that determines
 * the answer: the model's identity, messages, tools, tool choice and generation arguments.
 * Transport details (streaming, base-URL overrides) are left out, so a request made through a
 * proxy or a test server still finds its answer.
 *
 * The generation arguments come from users in any key order, so their keys are sorted; messages
 * and tools are built by this package in a fixed key order and are serialised as they are (cheap:
 * the hash is taken on every call, over the whole conversation).
 */
import { createHash } from "node:crypto"
import type { ModelRequest } from "./port.ts"
import { TRANSPORT_ARGS } from "./providers.ts"
import { toolsJson } from "./tool-schema.ts"

const sortedKeys = (value: unknown): unknown => {
  if (value === null || typeof value !== "object") return value
  if (Array.isArray(value)) return value.map(sortedKeys)
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
  )
}

/** The JSON texts of a request's tools and messages, the bulk of what is hashed (also used to skip redaction walks). */
export interface RequestTexts {
  readonly tools: string
  readonly messages: string
}

export const requestTexts = (request: ModelRequest): RequestTexts => ({ tools: toolsJson(request.tools), messages: JSON.stringify(request.messages) })

export const requestHash = (identity: string, request: ModelRequest, texts: RequestTexts = requestTexts(request)): string => {
  const params = Object.fromEntries(Object.entries(request.params).filter(([k]) => !(TRANSPORT_ARGS as ReadonlyArray<string>).includes(k)))
  return createHash("sha256")
    .update(JSON.stringify([identity, request.toolChoice, sortedKeys(params)]))
    .update("\n")
    .update(texts.tools)
    .update("\n")
    .update(texts.messages)
    .digest("hex")
}
