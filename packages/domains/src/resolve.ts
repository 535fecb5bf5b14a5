/**
 * The built-in domains as a `DomainResolver` layer: the demo domain, the τ² domains loaded from a
 * data folder, any extra domains an embedding application or benchmark provides, and domains
 * given by path (`./my-domain`, a module made with the SDK). Any of them may run with the tasks
 * of a task file (`<domain>?tasks=<file>`, ./tasks-file.ts). Only composition roots (the CLI,
 * benchmarks, tests) provide it.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Domain, type DomainRef, DomainResolver, DomainUnavailable } from "@tau-sim/engine"
import { Effect, Layer } from "effect"
import { noDataHint, resolveDataDir } from "./data-dir.ts"
import { demoDomain } from "./demo/index.ts"
import { isDomainPath, loadDomainModule } from "./module/load.ts"
import { domainWithTasksFile, parseDomainSpec, withTasksFile } from "./tasks-file.ts"
import { loadTau2Domain } from "./tau2/load.ts"

export const TAU2_DOMAINS = ["mock", "airline", "retail", "telecom"] as const
const isTau2Domain = (name: string) => (TAU2_DOMAINS as ReadonlyArray<string>).includes(name)

/**
 * A domain reference as a run records it: the data folder absolute, so the run replays from any
 * working directory (its content is recorded by hash; `--data-dir` points an old run elsewhere).
 * A τ² domain without a data folder given gets the one `resolveDataDir` finds (TAU2_DATA_DIR, fetched cache).
 */
const domainRef = (domain: string, dataDir: string | null | undefined, policyVariant = "default"): DomainRef => {
  const { base, tasksFile } = parseDomainSpec(domain)
  // A domain given by path is recorded absolute, like a data folder.
  const name = isDomainPath(base) ? path.resolve(base) : base
  return {
    domain: withTasksFile(name, tasksFile),
    dataDir: isTau2Domain(name) ? resolveDataDir(dataDir) : dataDir ? path.resolve(dataDir) : null,
    policyVariant,
  }
}

const unavailable = (domain: string, message: string) => new DomainUnavailable({ domain, message })

const load = (ref: DomainRef, extra: ReadonlyMap<string, Domain>): Effect.Effect<Domain, DomainUnavailable> => {
  const { base, tasksFile } = parseDomainSpec(ref.domain)
  const domain = loadBase({ ...ref, domain: base }, extra)
  if (tasksFile === undefined) return domain
  return Effect.flatMap(domain, (d) =>
    Effect.try({
      try: () => domainWithTasksFile(d, ref.domain, tasksFile),
      catch: (e) => (e instanceof DomainUnavailable ? e : unavailable(ref.domain, e instanceof Error ? e.message : String(e))),
    }),
  )
}

const loadBase = (ref: DomainRef, extra: ReadonlyMap<string, Domain>): Effect.Effect<Domain, DomainUnavailable> => {
  const own = extra.get(ref.domain)
  if (own) return Effect.succeed(own)
  if (ref.domain === "demo") return Effect.sync(demoDomain)
  // Only an explicit path loads code from disk: a bare name is never looked up as a folder.
  if (isDomainPath(ref.domain)) return loadDomainModule(path.resolve(ref.domain), ref.policyVariant)
  if (!isTau2Domain(ref.domain)) {
    const known = ["demo", ...TAU2_DOMAINS, ...extra.keys()].join(", ")
    const hint = fs.existsSync(ref.domain) ? `./${ref.domain}` : "./my-domain"
    return Effect.fail(unavailable(ref.domain, `unknown domain "${ref.domain}" (known: ${known}); a domain of your own is given by its path (${hint})`))
  }
  const dataDir = ref.dataDir ?? resolveDataDir(null)
  if (!dataDir) return Effect.fail(unavailable(ref.domain, noDataHint(ref.domain)))
  // A folder that is there but holds no data of the domain (an empty TAU2_DATA_DIR, a mistyped --data-dir) gets the same hint.
  if (!fs.existsSync(path.join(dataDir, "domains", ref.domain))) {
    return Effect.fail(unavailable(ref.domain, `${noDataHint(ref.domain)}; ${dataDir} has no domains/${ref.domain}/`))
  }
  return Effect.try({
    // Loading reads and validates files: every failure (missing file, invalid data, unknown variant) is a DomainUnavailable.
    try: () => loadTau2Domain(ref.domain, dataDir, { policyVariant: ref.policyVariant }),
    catch: (e) => unavailable(ref.domain, e instanceof Error ? e.message : String(e)),
  })
}

/** The built-in domains, plus `extra` ones by name (an extra domain named like a built-in one replaces it). */
export const builtinDomains = (extra: ReadonlyArray<Domain> = []): Layer.Layer<DomainResolver> => {
  const byName = new Map(extra.map((d) => [d.name, d] as const))
  return Layer.succeed(DomainResolver, { resolve: (ref) => load(ref, byName), ref: domainRef })
}
