/**
 * Secrets must never reach events, logs or output. API keys come from the environment only and are
 * sent as HTTP headers, which we never record. URLs may carry credentials too: userinfo
 * (`https://user:pass@host`) and key-like query parameters (`?api-key=...`), in a `compat:` spec or
 * in OPENAI_BASE_URL / ANTHROPIC_BASE_URL / COMPAT_BASE_URL. Every URL we record or print is
 * redacted structurally (`https://***@host/v1?api-key=***`), and as a second line of defence every
 * text we record or print (error messages, raw responses) has any known secret value replaced, in
 * case a server echoes it back.
 */
export const KEY_VARIABLES = { openai: "OPENAI_API_KEY", anthropic: "ANTHROPIC_API_KEY", compat: "COMPAT_API_KEY" } as const

/** Base-URL overrides of the hosted providers, and the live URLs of `compat:` specs stored redacted. */
export const BASE_URL_VARIABLES = { openai: "OPENAI_BASE_URL", anthropic: "ANTHROPIC_BASE_URL", compat: "COMPAT_BASE_URL" } as const

const REDACTED = "[redacted]"
/** What a credential inside a URL reads as once redacted. */
export const REDACTED_MARK = "***"
/** Shorter values are not replaced as text (they would match ordinary text); URLs are redacted by structure. */
const MIN_SECRET_LENGTH = 8

/** Query (or fragment) parameter names whose values are credentials; compared without case, `-` read as `_`. */
const SECRET_PARAMETERS = new Set([
  "key",
  "api_key",
  "apikey",
  "x_api_key",
  "subscription_key",
  "token",
  "access_token",
  "auth_token",
  "id_token",
  "refresh_token",
  "auth",
  "authorization",
  "password",
  "passwd",
  "pwd",
  "secret",
  "client_secret",
  "sig",
  "signature",
])

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

export const isSecretParameter = (name: string): boolean => SECRET_PARAMETERS.has(decode(name).toLowerCase().replaceAll("-", "_"))

/** scheme://userinfo@ — greedy up to the last `@` of the authority (a password may hold an unescaped `@`). */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/i

/** The `?query` and `#fragment` parts of a URL as [start, end) ranges of `name=value&...` pairs. */
const parameterRanges = (url: string): Array<[number, number]> => {
  const q = url.indexOf("?")
  const h = url.indexOf("#")
  const ranges: Array<[number, number]> = []
  if (q >= 0 && (h < 0 || q < h)) ranges.push([q + 1, h < 0 ? url.length : h])
  if (h >= 0) ranges.push([h + 1, url.length])
  return ranges
}

const mapSecretParameters = (part: string, f: (name: string, value: string) => string): string =>
  part
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=")
      if (eq <= 0) return pair
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      // Already redacted (`***`, maybe followed by the text's punctuation): left as it is.
      return isSecretParameter(name) && value !== "" && !value.startsWith(REDACTED_MARK) ? `${name}=${f(name, value)}` : pair
    })
    .join("&")

/** `url` with its userinfo and credential parameters replaced by `***`; the same string when it has none. */
export const redactUrl = (url: string): string => {
  let out = url.replace(USERINFO, (_, scheme: string) => `${scheme}${REDACTED_MARK}@`)
  const ranges = parameterRanges(out)
  for (const [start, end] of ranges.reverse()) {
    out = `${out.slice(0, start)}${mapSecretParameters(out.slice(start, end), () => REDACTED_MARK)}${out.slice(end)}`
  }
  return out
}

/** The credential values inside `url` (userinfo and its parts, credential parameters), raw and decoded. */
export const urlSecrets = (url: string): string[] => {
  const found: string[] = []
  const info = USERINFO.exec(url)?.[2]
  if (info && info !== REDACTED_MARK) {
    const colon = info.indexOf(":")
    found.push(info, ...(colon >= 0 ? [info.slice(0, colon), info.slice(colon + 1)] : []))
  }
  for (const [start, end] of parameterRanges(url)) {
    mapSecretParameters(url.slice(start, end), (_, value) => {
      found.push(value)
      return value
    })
  }
  return [...new Set(found.flatMap((s) => [s, decode(s)]))].filter((s) => s !== "" && s !== REDACTED_MARK)
}

const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`\\{}|^]+/gi

/** Every URL inside `text` redacted (see `redactUrl`). */
export const redactUrlsIn = (text: string): string => (text.includes("://") ? text.replace(URL_IN_TEXT, redactUrl) : text)

/** The secret values present in `env`: API keys and the credentials of base-URL overrides. */
export const envSecrets = (env: NodeJS.ProcessEnv): string[] => {
  const out = new Set<string>()
  for (const name of Object.values(KEY_VARIABLES)) {
    const v = env[name]
    if (typeof v === "string" && v.length >= MIN_SECRET_LENGTH) out.add(v)
  }
  for (const name of Object.values(BASE_URL_VARIABLES)) {
    const v = env[name]
    if (typeof v === "string") for (const s of urlSecrets(v)) if (s.length >= MIN_SECRET_LENGTH) out.add(s)
  }
  return [...out]
}

/** The variables `envSecrets` reads. */
const SECRET_VARIABLES: ReadonlyArray<string> = [...Object.values(KEY_VARIABLES), ...Object.values(BASE_URL_VARIABLES)]

/** Secret values learnt from specs given to a process (URL credentials, see `credentials.ts`); kept in memory only. */
export class KnownSecrets {
  private readonly learnt = new Set<string>()

  remember(values: Iterable<string>): void {
    for (const v of values) if (v.length >= MIN_SECRET_LENGTH) this.learnt.add(v)
  }

  /** The last answer of `values`, and what it was computed from (asked for on every model call). */
  private memo: { env: NodeJS.ProcessEnv; learnt: number; inputs: string; values: string[] } | undefined

  /** The secret values to redact: those in `env`, and those learnt. */
  values(env: NodeJS.ProcessEnv): string[] {
    // Recomputed when the env object, one of its secret variables, or what was learnt changes (learnt only grows).
    const inputs = SECRET_VARIABLES.map((name) => env[name] ?? "").join("\0")
    const memo = this.memo
    if (memo && memo.env === env && memo.learnt === this.learnt.size && memo.inputs === inputs) return [...memo.values]
    const values = [...new Set([...this.learnt, ...envSecrets(env)])]
    this.memo = { env, learnt: this.learnt.size, inputs, values }
    return [...values]
  }
}

/**
 * This process's memory of secrets: everything the process prints is redacted against it, output
 * made outside any Effect program (flag parsing, the last error line) included, so it is the one
 * deliberately process-wide object. A model runtime learns into it unless given its own.
 */
export const processSecrets = new KnownSecrets()

export const rememberSecrets = (values: Iterable<string>): void => processSecrets.remember(values)

/** The secret values to redact: keys and base-URL credentials present in `env`, and those this process learnt. */
export const secretValues = (env: NodeJS.ProcessEnv = process.env): string[] => processSecrets.values(env)

const replaceValues = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED)
  return out
}

/** A message or other text we produce (errors, notes, output): URLs redacted, known secret values replaced. */
export const redactText = (text: string, secrets: ReadonlyArray<string> = secretValues()): string => replaceValues(redactUrlsIn(text), secrets)

/**
 * False only when no string of the value whose JSON text is `json` can hold one of `secrets`: a
 * secret that JSON writes as it is (no quote, backslash, control character or lone surrogate)
 * appears in the text wherever it appears in a string. A cheap test before `redactValue` walks a
 * large value whose text was made anyway (the request hash serialises every request).
 */
export const mayHoldSecret = (json: string, secrets: ReadonlyArray<string>): boolean => secrets.some((s) => JSON.stringify(s) !== `"${s}"` || json.includes(s))

/**
 * A JSON-like value with every known secret value replaced in its strings (copied only where one was
 * found). Model output is left otherwise as it came: URLs a model writes are its words, not ours.
 */
export const redactValue = <A>(value: A, secrets: ReadonlyArray<string> = secretValues()): A => {
  if (secrets.length === 0) return value
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return secrets.some((s) => v.includes(s)) ? replaceValues(v, secrets) : v
    if (Array.isArray(v)) {
      let out: unknown[] | undefined
      v.forEach((x, i) => {
        const y = walk(x)
        if (y === x) return
        out ??= [...v]
        out[i] = y
      })
      return out ?? v
    }
    if (v !== null && typeof v === "object") {
      let out: Record<string, unknown> | undefined
      for (const [k, x] of Object.entries(v)) {
        const y = walk(x)
        if (y === x) continue
        out ??= { ...v }
        out[k] = y
      }
      return out ?? v
    }
    return v
  }
  return walk(value) as A
}
