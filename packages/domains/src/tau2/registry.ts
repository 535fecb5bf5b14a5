/** The τ² domain modules by name. */
import { airlineModule } from "./airline/index.ts"
import { mockModule } from "./mock/index.ts"
import type { Tau2DomainModule } from "./module.ts"
import { retailModule } from "./retail/index.ts"
import { telecomModule } from "./telecom/index.ts"

export type Tau2DomainName = Tau2DomainModule["name"]

const modules: Readonly<Record<string, Tau2DomainModule>> = {
  mock: mockModule,
  airline: airlineModule,
  retail: retailModule,
  telecom: telecomModule,
}

export const listTau2Domains = (): ReadonlyArray<string> => Object.keys(modules)

export class UnknownDomainError extends Error {
  readonly domain: string
  constructor(domain: string) {
    super(`Unknown τ² domain "${domain}"; known domains: ${listTau2Domains().join(", ")}`)
    this.name = "UnknownDomainError"
    this.domain = domain
  }
}

export const tau2Module = (name: string): Tau2DomainModule => {
  const module = Object.hasOwn(modules, name) ? modules[name] : undefined
  if (!module) throw new UnknownDomainError(name)
  return module
}
