/**
 * The built-in domains as a `DomainResolver` layer: the demo domain, the τ² domains loaded from a
 * data folder, and any extra domains an embedding application or benchmark provides. Only
 * composition roots (the CLI, benchmarks, tests) provide it.
 */
import * as path from "node:path"
import { type Domain, type DomainRef, DomainResolver, DomainUnavailable } from "@tau-sim/engine"
import { Effect, Layer } from "effect"
import { noDataHint, resolveDataDir } from "./data-dir.ts"
import { demoDomain } from "./demo/index.ts"
import { loadTau2Domain } from "./tau2/load.ts"

export const TAU2_DOMAINS = ["mock", "airline", "retail", "telecom"] as const
const isTau2Domain = (name: string) => (TAU2_DOMAINS as ReadonlyArray<string>).includes(name)

/**
 * A domain reference as a run records it: the data folder absolute, so the run replays from any
 * working directory (its content is recorded by hash; `--data-dir` points an old run elsewhere).
 * A τ² domain without a data folder given gets the one `resolveDataDir` finds (TAU2_DATA_DIR, fetched cache).
 */
export const domainRef = (domain: string, dataDir: string | null | undefined, policyVariant = "default"): DomainRef => ({
  domain,
  dataDir: isTau2Domain(domain) ? resolveDataDir(dataDir) : dataDir ? path.resolve(dataDir) : null,
  policyVariant,
})

const unavailable = (domain: string, message: string) => new DomainUnavailable({ domain, message })

const load = (ref: DomainRef, extra: ReadonlyMap<string, Domain>): Effect.Effect<Domain, DomainUnavailable> => {
  const own = extra.get(ref.domain)
  if (own) return Effect.succeed(own)
  if (ref.domain === "demo") return Effect.sync(demoDomain)
  if (!isTau2Domain(ref.domain)) {
    const known = ["demo", ...TAU2_DOMAINS, ...extra.keys()].join(", ")
    return Effect.fail(unavailable(ref.domain, `unknown domain "${ref.domain}" (known: ${known})`))
  }
  const dataDir = ref.dataDir ?? resolveDataDir(null)
  if (!dataDir) return Effect.fail(unavailable(ref.domain, noDataHint(ref.domain)))
  return Effect.try({
    // Loading reads and validates files: every failure (missing file, invalid data, unknown variant) is a DomainUnavailable.
    try: () => loadTau2Domain(ref.domain, dataDir, { policyVariant: ref.policyVariant === "default" ? undefined : ref.policyVariant }),
    catch: (e) => unavailable(ref.domain, e instanceof Error ? e.message : String(e)),
  })
}

/** The built-in domains, plus `extra` ones by name (an extra domain named like a built-in one replaces it). */
export const builtinDomains = (extra: ReadonlyArray<Domain> = []): Layer.Layer<DomainResolver> => {
  const byName = new Map(extra.map((d) => [d.name, d] as const))
  return Layer.succeed(DomainResolver, { resolve: (ref) => load(ref, byName), ref: domainRef })
}

// --- Transitional: synchronous resolution for callers not yet on the service (removed once none are left).

/** @deprecated use the `DomainResolver` service. */
export class DomainConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "DomainConfigError"
  }
}

const registered = new Map<string, Domain>()
/** @deprecated provide `builtinDomains([domain])` instead. */
export const registerDomain = (domain: Domain): void => {
  registered.set(domain.name, domain)
}

/** @deprecated use the `DomainResolver` service. */
export const resolveDomain = (ref: DomainRef): Domain => {
  const result = Effect.runSync(Effect.result(load(ref, registered)))
  if (result._tag === "Failure") throw new DomainConfigError(result.failure.message)
  return result.success
}
