/**
 * Resolving a domain by name: the built-in demo domain, or a τ² domain loaded from a data folder.
 */
import type { Domain } from "@tau-sim/engine"
import { demoDomain } from "@tau-sim/domains/demo"
import { loadTau2Domain } from "@tau-sim/domains"

export class DomainConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "DomainConfigError"
  }
}

export interface DomainRef {
  readonly domain: string
  readonly dataDir: string | null
  readonly policyVariant: string
}

export const TAU2_DOMAINS = ["mock", "airline", "retail", "telecom"] as const

export const resolveDomain = (ref: DomainRef): Domain => {
  if (ref.domain === "demo") return demoDomain()
  if ((TAU2_DOMAINS as ReadonlyArray<string>).includes(ref.domain)) {
    if (!ref.dataDir) throw new DomainConfigError(`domain ${ref.domain} needs --data-dir pointing at a τ² data folder (with domains/${ref.domain}/)`)
    return loadTau2Domain(ref.domain, ref.dataDir, { policyVariant: ref.policyVariant === "default" ? undefined : ref.policyVariant })
  }
  throw new DomainConfigError(`unknown domain "${ref.domain}" (known: demo, ${TAU2_DOMAINS.join(", ")})`)
}
