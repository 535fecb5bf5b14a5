/**
 * Credentials inside participant specs. A `compat:<model>@<url>` spec may carry them in its URL
 * (`https://user:pass@host/v1?api-key=...`). Only the redacted form (`https://***@host/v1?api-key=***`)
 * is ever stored or printed; the live form stays in this process's memory. A stored spec is made
 * live again (resume, fork, retries of a recorded run) from what the user gives anew: the same spec
 * on the command line, or the live URL in COMPAT_BASE_URL (several may be given, separated by
 * spaces); without either it is an error naming the variable, raised before anything is stored.
 */
import { Schema } from "effect"
import { BASE_URL_VARIABLES, KnownSecrets, processSecrets, REDACTED_MARK, redactUrl, urlSecrets } from "./secrets.ts"

export class CredentialsNotGiven extends Schema.TaggedError<CredentialsNotGiven>()("CredentialsNotGiven", {
  spec: Schema.String,
  variable: Schema.String,
}) {
  override get message(): string {
    return `${this.spec}: the credentials of this URL are not stored; to call it, give the URL with them in ${this.variable} (or the same spec again on the command line)`
  }
}

const COMPAT_PREFIX = "compat:"

/** Where the base URL of a `compat:<model>@<url>[{args}]` spec is, as [start, end). */
const urlRange = (spec: string): readonly [number, number] | undefined => {
  if (!spec.startsWith(COMPAT_PREFIX)) return undefined
  const brace = spec.indexOf("{")
  const end = brace >= 0 ? brace : spec.length
  const at = spec.indexOf("@", COMPAT_PREFIX.length)
  return at >= 0 && at < end ? [at + 1, end] : undefined
}

const withUrl = (spec: string, [start, end]: readonly [number, number], url: string) => `${spec.slice(0, start)}${url}${spec.slice(end)}`

/** `https://h/v1/?k=1` and `https://h/v1?k=1` name the same endpoint. */
const trimSlashes = (url: string) => url.replace(/\/+(?=$|[?#])/, "")

/**
 * The live forms of the redacted specs a process was given, and the secrets learnt from them.
 * A model runtime holds one (see `runtime.ts`); `processCredentials` is the process's own.
 */
export class SpecCredentials {
  /** Live specs by their public form. */
  private readonly liveByPublic = new Map<string, string>()

  readonly secrets: KnownSecrets

  constructor(secrets: KnownSecrets = new KnownSecrets()) {
    this.secrets = secrets
  }

  /**
   * The spec as it may be stored and printed (credentials in its URL redacted); the same string when
   * it has none. The live form is remembered so that this process can still call it.
   */
  readonly publicSpec = (spec: string): string => {
    const range = urlRange(spec)
    if (!range) return spec
    const url = spec.slice(...range)
    const redacted = redactUrl(url)
    if (redacted === url) return spec
    const sealed = withUrl(spec, range, redacted)
    this.liveByPublic.set(sealed, spec)
    this.secrets.remember(urlSecrets(url))
    return sealed
  }

  /** The spec to call: `spec` itself, or the live form of a redacted one (see the module comment). */
  readonly liveSpec = (spec: string, env: NodeJS.ProcessEnv): string => {
    const range = urlRange(spec)
    if (!range || !spec.slice(...range).includes(REDACTED_MARK)) return spec
    const known = this.liveByPublic.get(spec)
    if (known) return known
    const wanted = trimSlashes(spec.slice(...range))
    const given = (env[BASE_URL_VARIABLES.compat] ?? "").split(/\s+/).filter(Boolean)
    const url = given.find((candidate) => trimSlashes(redactUrl(candidate)) === wanted)
    if (url === undefined) throw new CredentialsNotGiven({ spec, variable: BASE_URL_VARIABLES.compat })
    const live = withUrl(spec, range, url)
    this.liveByPublic.set(spec, live)
    this.secrets.remember(urlSecrets(url))
    return live
  }
}

/** The process's own credentials, over `processSecrets` (what the module-level functions use). */
export const processCredentials = new SpecCredentials(processSecrets)

/** `processCredentials.publicSpec`. */
export const publicSpec = (spec: string): string => processCredentials.publicSpec(spec)

/** `processCredentials.liveSpec`. */
export const liveSpec = (spec: string, env: NodeJS.ProcessEnv = process.env): string => processCredentials.liveSpec(spec, env)
