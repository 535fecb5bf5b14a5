/**
 * API keys come from the environment only, and must never reach events, logs or output. Keys are
 * sent as HTTP headers, which we never record; as a second line of defence every text we record
 * or print (error messages, raw responses) has any known key value replaced, in case a server
 * echoes it back.
 */
export const KEY_VARIABLES = { openai: "OPENAI_API_KEY", anthropic: "ANTHROPIC_API_KEY", compat: "COMPAT_API_KEY" } as const

const REDACTED = "[redacted]"
/** Shorter values are not treated as secrets (they would match ordinary text). */
const MIN_SECRET_LENGTH = 8

/** The key values present in `env` (the ones to redact). */
export const secretValues = (env: NodeJS.ProcessEnv = process.env): string[] =>
  Object.values(KEY_VARIABLES)
    .map((name) => env[name])
    .filter((v): v is string => typeof v === "string" && v.length >= MIN_SECRET_LENGTH)

export const redactText = (text: string, secrets: ReadonlyArray<string> = secretValues()): string => {
  let out = text
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED)
  return out
}

/** Deep copy of a JSON-like value with every known key value redacted from its strings. */
export const redactValue = <A>(value: A, secrets: ReadonlyArray<string> = secretValues()): A => {
  if (secrets.length === 0) return value
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactText(v, secrets)
    if (Array.isArray(v)) return v.map(walk)
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
    return v
  }
  return walk(value) as A
}
