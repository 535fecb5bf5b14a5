/**
 * Model participant specs as written on the command line and stored in `EpisodeStarted`:
 *
 *   openai:<model>                 OpenAI Chat Completions
 *   anthropic:<model>              Anthropic Messages
 *   compat:<model>@<base-url>      any OpenAI-compatible server (vLLM, Ollama, OpenRouter, ...)
 *
 * optionally followed by a JSON object of generation arguments, e.g.
 * `openai:gpt-4.1{"temperature":0}`. Keeping the arguments in the spec means a resumed or forked
 * episode gets exactly the arguments its start event recorded.
 */
import { isSecretParameter, KEY_VARIABLES, redactUrlsIn } from "./secrets.ts"

export const PROVIDERS = ["openai", "anthropic", "compat"] as const
export type Provider = (typeof PROVIDERS)[number]

export interface ModelSpec {
  readonly provider: Provider
  readonly model: string
  /** Only for `compat` (part of the spec); the hosted providers take theirs from the environment. */
  readonly baseURL: string | null
  readonly args: Readonly<Record<string, unknown>>
}

export class ModelSpecError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "ModelSpecError"
  }
}

const isProvider = (s: string): s is Provider => (PROVIDERS as ReadonlyArray<string>).includes(s)

/** Whether `spec` names a model participant (it may still be malformed). */
export const isModelSpec = (spec: string): boolean => {
  const colon = spec.indexOf(":")
  return colon > 0 && isProvider(spec.slice(0, colon))
}

const parseArgs = (spec: string, text: string): Record<string, unknown> => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new ModelSpecError(`${spec}: the arguments are not valid JSON (${e instanceof Error ? e.message : e})`)
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ModelSpecError(`${spec}: the arguments must be a JSON object, like {"temperature": 0}`)
  }
  return value as Record<string, unknown>
}

/** Parses a model spec; undefined when `spec` is not a model spec at all. */
export const parseModelSpec = (spec: string): ModelSpec | undefined => {
  if (!isModelSpec(spec)) return undefined
  const colon = spec.indexOf(":")
  const provider = spec.slice(0, colon) as Provider
  const brace = spec.indexOf("{")
  const body = brace >= 0 ? spec.slice(colon + 1, brace) : spec.slice(colon + 1)
  const args = brace >= 0 ? parseArgs(spec, spec.slice(brace)) : {}
  // Arguments are recorded with every episode: a key there would be stored.
  const credential = Object.keys(args).find(isSecretParameter)
  if (credential !== undefined) {
    throw new ModelSpecError(
      `${redactUrlsIn(spec.slice(0, brace))}: the argument "${credential}" would be stored with every episode; give keys in ${KEY_VARIABLES[provider]}`,
    )
  }
  if (provider === "compat") {
    const at = body.indexOf("@")
    const model = at >= 0 ? body.slice(0, at) : ""
    const baseURL = at >= 0 ? body.slice(at + 1) : ""
    if (!model || !/^https?:\/\/\S+$/.test(baseURL)) {
      throw new ModelSpecError(`${spec}: an OpenAI-compatible model is written compat:<model>@<base-url>, e.g. compat:llama3.1@http://127.0.0.1:11434/v1`)
    }
    return { provider, model, baseURL: baseURL.replace(/\/+$/, ""), args }
  }
  if (!body || /\s/.test(body))
    throw new ModelSpecError(`${spec}: expected ${provider}:<model>, e.g. ${provider === "openai" ? "openai:gpt-4.1" : "anthropic:claude-sonnet-4-5"}`)
  return { provider, model: body, baseURL: null, args }
}

/**
 * Adds generation arguments (a JSON object text, e.g. from `--agent-args`) to a model spec.
 * Arguments already in the spec are kept unless `argsJson` sets the same key.
 */
export const withArgs = (spec: string, argsJson: string): string => {
  const parsed = parseModelSpec(spec)
  if (!parsed) throw new ModelSpecError(`${spec}: only model participants (openai:, anthropic:, compat:) take generation arguments`)
  const args = { ...parsed.args, ...parseArgs(spec, argsJson) }
  const brace = spec.indexOf("{")
  const base = brace >= 0 ? spec.slice(0, brace) : spec
  return Object.keys(args).length === 0 ? base : `${base}${JSON.stringify(args)}`
}
