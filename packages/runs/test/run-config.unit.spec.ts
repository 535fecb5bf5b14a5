/**
 * Stored run configurations decode by kind, including those written before `kind` existed, and
 * identity differences are listed field by field (fields an old run did not record are not
 * compared; fields a caller lets grow are left out).
 */
import { createHash } from "node:crypto"
import { demoDomain } from "@tau-sim/domains/demo"
import type { Domain, RunRecord } from "@tau-sim/engine"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decodeRunConfig, encodeRunConfig, mismatchOf, type PlainRunConfig, RunConfigMismatch, runHashes, StoredRunConfigError } from "../src/run-config.ts"

const demo = demoDomain()

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
    expect(mismatchOf("X", stored, { ...plain, maxConcurrency: 8, hashes: { data: "d", tasks: "t", policy: "p" } }, demo)).toBeNull()
    const mismatch = mismatchOf(
      "X",
      { ...stored, hashes: { data: "d", tasks: "t", policy: "p" } },
      { ...plain, agent: "scripted:a.json", trials: 3, hashes: { data: "e", tasks: "t", policy: "p" } },
      demo,
    )
    expect(mismatch).toBeInstanceOf(RunConfigMismatch)
    expect(mismatch?.differences).toEqual([
      { field: "hashes.data", stored: '"d"', requested: '"e"' },
      { field: "trials", stored: "2", requested: "3" },
      { field: "agent", stored: '"oracle"', requested: '"scripted:a.json"' },
    ])
    expect(mismatchOf("X", stored, { ...plain, trials: 3 }, demo, ["trials"])).toBeNull()
    expect(mismatchOf("X", { kind: "forks", forksOf: "R" }, plain, demo)?.differences).toEqual([
      { field: "kind", stored: "the forks of run R", requested: "a plain run" },
    ])
  })
})

describe("run identity across the task hash change", () => {
  const sha = (text: string) => createHash("sha256").update(text).digest("hex")
  // How runs recorded `hashes.tasks` before the canonical task hash: the hashes of each task's JSON.stringify.
  const recordedBefore = (domain: Domain, ids: ReadonlyArray<string>) =>
    sha(JSON.stringify(ids.map((id) => sha(JSON.stringify(domain.tasks.find((t) => t.id === id))))))
  const ids = ["renew_loan", "waive_fine_transfer"]
  const requested = { ...plain, taskIds: ids, hashes: runHashes(demo, ids) }
  const legacy = { kind: "run" as const, ...requested, hashes: { ...requested.hashes, tasks: recordedBefore(demo, ids) } }

  it("a run recorded with the legacy hash of unchanged tasks is the same run", () => {
    expect(legacy.hashes.tasks).not.toBe(requested.hashes.tasks)
    expect(mismatchOf("X", legacy, requested, demo)).toBeNull()
  })

  it("a changed task, a task gone, or another task order is still a difference", () => {
    const edited: Domain = { ...demo, tasks: demo.tasks.map((t) => (t.id === "renew_loan" ? { ...t, ticket: "edited" } : t)) }
    const gone: Domain = { ...demo, tasks: demo.tasks.filter((t) => t.id !== "waive_fine_transfer") }
    for (const domain of [edited, gone]) {
      expect(mismatchOf("X", legacy, { ...requested, hashes: runHashes(domain, ids) }, domain)?.differences.map((d) => d.field)).toEqual(["hashes.tasks"])
    }
    const reordered = [...ids].reverse()
    expect(mismatchOf("X", legacy, { ...requested, taskIds: reordered, hashes: runHashes(demo, reordered) }, demo)?.differences.map((d) => d.field)).toEqual([
      "hashes.tasks",
      "taskIds",
    ])
  })

  it("configs are stored as their schema encodes them (no stray fields)", () => {
    const encoded = encodeRunConfig({ ...legacy, stray: "x" } as typeof legacy)
    expect(encoded).not.toHaveProperty("stray")
    expect(Effect.runSync(decodeRunConfig(record(encoded as Record<string, unknown>)))).toEqual(legacy)
  })
})
