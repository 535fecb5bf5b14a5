/**
 * Resolving a domain by name: the built-in demo domain, or a τ² domain loaded from a data folder.
 */
import * as path from "node:path"
import type { Domain } from "@tau-sim/engine"
import { demoDomain } from "./demo/index.ts"
import { loadTau2Domain } from "./tau2/load.ts"
import { noDataHint, resolveDataDir } from "./data-dir.ts"

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

export const TAU2_DOMAINS = ["mock", "airline", "retail", "telecom"] as const
const isTau2Domain = (name: string) => (TAU2_DOMAINS as ReadonlyArray<string>).includes(name)

/** Domains registered in this process by name (benchmarks, embedding applications). */
const registered = new Map<string, Domain>()
export const registerDomain = (domain: Domain): void => {
  registered.set(domain.name, domain)
}

export const resolveDomain = (ref: DomainRef): Domain => {
  const own = registered.get(ref.domain)
  if (own) return own
  if (ref.domain === "demo") return demoDomain()
  if (isTau2Domain(ref.domain)) {
    const dataDir = ref.dataDir ?? resolveDataDir(null)
    if (!dataDir) throw new DomainConfigError(noDataHint(ref.domain))
    return loadTau2Domain(ref.domain, dataDir, { policyVariant: ref.policyVariant === "default" ? undefined : ref.policyVariant })
  }
  throw new DomainConfigError(`unknown domain "${ref.domain}" (known: demo, ${TAU2_DOMAINS.join(", ")})`)
}
