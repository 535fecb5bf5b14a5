/**
 * Stored run configurations decode by kind, including those written before `kind` existed, and
 * identity differences are listed field by field (fields an old run did not record are not
 * compared; fields a caller lets grow are left out).
 */
import type { RunRecord } from "@tau-sim/engine"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decodeRunConfig, mismatchOf, type PlainRunConfig, RunConfigMismatch, StoredRunConfigError } from "../src/run-config.ts"

const record = (config: Record<string, unknown>): RunRecord => ({ runId: "X", createdAt: "2026-01-01T00:00:00.000Z", config, experiment: null })
const decode = (config: Record<string, unknown>) => Effect.runSync(Effect.result(decodeRunConfig(record(config))))

const plain: Omit<PlainRunConfig, "kind"> = {
  runId: "X",
  domain: "demo",
  dataDir: null,
  policyVariant: "default",
  agent: "oracle",
  user: "scripted",
  mode: "default",
  trials: 2,
  seed: 300,
  maxSteps: 200,
  maxErrors: 10,
  taskIds: ["renew_loan"],
  maxConcurrency: 3,
}

describe("stored run configurations", () => {
  it("decode every kind, tagged or from before tags", () => {
    const kinds = [
      [{ kind: "run", ...plain }, "run"],
      [plain, "run"],
      [{ ...plain, experiment: "e", cell: { index: 0, domain_label: "demo", baseline_mode: "default", excluded: [] } }, "cell"],
      [{ forksOf: "R" }, "forks"],
      [{ counterfactual_of: "R", at: { kind: "first-write" }, agent: null, user: null, mode: null }, "counterfactual"],
      [{ source: "tau2-results", file: "/r.json", domain: "airline", dataDir: "/d", headerJson: "{}" }, "import"],
    ] as const
    for (const [config, kind] of kinds) {
      const decoded = decode(config as Record<string, unknown>)
      expect(decoded._tag, JSON.stringify(config)).toBe("Success")
      if (decoded._tag === "Success") expect(decoded.success.kind).toBe(kind)
    }
  })

  it("a damaged config is a typed error naming the run", () => {
    const decoded = decode({ kind: "run", ...plain, trials: "two" })
    expect(decoded._tag).toBe("Failure")
    if (decoded._tag === "Failure") {
      expect(decoded.failure).toBeInstanceOf(StoredRunConfigError)
      expect(decoded.failure.message).toMatch(/^run X: the stored configuration cannot be read/)
    }
  })

  it("lists each differing field; unrecorded hashes are not compared; growable fields can be ignored", () => {
    const stored = { kind: "run" as const, ...plain }
    expect(mismatchOf("X", stored, { ...plain, maxConcurrency: 8, hashes: { data: "d", tasks: "t", policy: "p" } })).toBeNull()
    const mismatch = mismatchOf("X", { ...stored, hashes: { data: "d", tasks: "t", policy: "p" } }, { ...plain, agent: "scripted:a.json", trials: 3, hashes: { data: "e", tasks: "t", policy: "p" } })
    expect(mismatch).toBeInstanceOf(RunConfigMismatch)
    expect(mismatch?.differences).toEqual([
      { field: "hashes.data", stored: '"d"', requested: '"e"' },
      { field: "trials", stored: "2", requested: "3" },
      { field: "agent", stored: '"oracle"', requested: '"scripted:a.json"' },
    ])
    expect(mismatchOf("X", stored, { ...plain, trials: 3 }, ["trials"])).toBeNull()
    expect(mismatchOf("X", { kind: "forks", forksOf: "R" }, plain)?.differences).toEqual([{ field: "kind", stored: "the forks of run R", requested: "a plain run" }])
  })
})
