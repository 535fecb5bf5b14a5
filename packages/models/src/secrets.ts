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

/** A JSON-like value with every known key value redacted from its strings (copied only where one was found). */
export const redactValue = <A>(value: A, secrets: ReadonlyArray<string> = secretValues()): A => {
  if (secrets.length === 0) return value
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return secrets.some((s) => v.includes(s)) ? redactText(v, secrets) : v
    if (Array.isArray(v)) {
      let out: unknown[] | undefined
      v.forEach((x, i) => {
        const y = walk(x)
        if (y !== x) (out ??= [...v])[i] = y
      })
      return out ?? v
    }
    if (v !== null && typeof v === "object") {
      let out: Record<string, unknown> | undefined
      for (const [k, x] of Object.entries(v)) {
        const y = walk(x)
        if (y !== x) (out ??= { ...v })[k] = y
      }
      return out ?? v
    }
    return v
  }
  return walk(value) as A
}
