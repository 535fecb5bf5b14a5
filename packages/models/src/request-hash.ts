/**
 * The content address of a model request: sha256 over a canonical JSON form (object keys sorted)
 * of everything that determines the answer: the model's identity, messages, tools, tool choice
 * and generation arguments. Transport details (streaming, base-URL overrides) are left out, so a
 * request made through a proxy or a test server still finds its answer.
 */
import { createHash } from "node:crypto"
import type { ModelRequest } from "./port.ts"
import { TRANSPORT_ARGS } from "./providers.ts"

const canonical = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null"
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonical(v))).join(",")}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`
}

export const requestHash = (identity: string, request: ModelRequest): string => {
  const params = Object.fromEntries(Object.entries(request.params).filter(([k]) => !(TRANSPORT_ARGS as ReadonlyArray<string>).includes(k)))
  const text = canonical({ identity, messages: request.messages, tools: request.tools, toolChoice: request.toolChoice, params })
  return createHash("sha256").update(text).digest("hex")
}
