/** The built-in `DomainResolver` layer: every way a domain cannot be had is a typed `DomainUnavailable`. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DomainResolver, type DomainUnavailable } from "@tau-sim/engine"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { builtinDomains } from "../src/index.ts"
import { makeDemoDomain } from "../src/demo/index.ts"

const empty = fs.mkdtempSync(path.join(os.tmpdir(), "tau-resolve-"))
afterAll(() => fs.rmSync(empty, { recursive: true, force: true }))

const resolve = (domain: string, dataDir: string | null, layer = builtinDomains()) =>
  Effect.runSync(
    Effect.result(
      Effect.gen(function* () {
        return yield* (yield* DomainResolver).resolve({ domain, dataDir, policyVariant: "default" })
      }).pipe(Effect.provide(layer)),
    ),
  )
const failure = (r: ReturnType<typeof resolve>): DomainUnavailable => {
  if (r._tag !== "Failure") throw new Error("expected a DomainUnavailable")
  return r.failure
}

describe("builtinDomains", () => {
  it("resolves the demo domain", () => {
    const r = resolve("demo", null)
    expect(r._tag === "Success" && r.success.name).toBe("demo")
  })

  it("an unknown name is DomainUnavailable listing the known ones, extra domains included", () => {
    const extra = { ...makeDemoDomain(3), name: "library" }
    const e = failure(resolve("nope", null, builtinDomains([extra])))
    expect(e._tag).toBe("DomainUnavailable")
    expect(e.domain).toBe("nope")
    expect(e.message).toContain('unknown domain "nope"')
    expect(e.message).toContain("library")
  })

  it("an extra domain is resolved by its name", () => {
    const extra = { ...makeDemoDomain(3), name: "library" }
    const r = resolve("library", null, builtinDomains([extra]))
    expect(r._tag === "Success" && r.success).toBe(extra)
  })

  it("a τ² domain over a folder without its files is DomainUnavailable naming what is missing", () => {
    const e = failure(resolve("airline", empty))
    expect(e.domain).toBe("airline")
    expect(e.message).toContain(empty)
  })

  it("a τ² domain over a folder without domains/<name>/ says how to get the data", () => {
    const e = failure(resolve("airline", empty))
    expect(e.message).toContain("run `tau data fetch` once")
    expect(e.message).toContain(`${empty} has no domains/airline/`)
  })

  it("ref records the data folder absolute", () => {
    const domainRef = (domain: string, dataDir: string | null) =>
      Effect.runSync(
        Effect.gen(function* () {
          return (yield* DomainResolver).ref(domain, dataDir)
        }).pipe(Effect.provide(builtinDomains())),
      )
    expect(domainRef("demo", "rel/dir").dataDir).toBe(path.resolve("rel/dir"))
    expect(domainRef("demo", null).dataDir).toBeNull()
    expect(domainRef("airline", "rel").dataDir).toBe(path.resolve("rel"))
  })
})
