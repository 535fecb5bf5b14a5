/**
 * `tau import tau2` then `tau export tau2` gives back the same results file, field by field, and
 * the imported episodes carry every message, tool call and the original reward as a score.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { PyJson, type PyObject, type PyValue, pyEquals } from "@tau-sim/engine"
import { expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { resultsFromFixtures, writeResults } from "../../interop/test/results-file.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2

const CLI = path.resolve(import.meta.dirname, "../src/main.ts")
const tau = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: 1 << 30 })

/** Every differing path between two JSON documents (exact: 1 and 1.0 differ here). */
const differences = (a: PyValue, b: PyValue, at = ""): string[] => {
  if (PyJson.compact(a) === PyJson.compact(b)) return []
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    return [...keys].flatMap((k) => differences((a as PyObject)[k] ?? null, (b as PyObject)[k] ?? null, `${at}/${k}`))
  }
  return [at || "/"]
}

data.describe("τ² results import/export round trip", () => {
  it.each([
    ["perturbed", "mock"],
    ["gold", "retail"],
    ["perturbed", "telecom"],
  ] as const)("%s %s is lossless", (kind, domain) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-interop-"))
    const db = path.join(dir, "tau.db")
    const original = resultsFromFixtures(kind, domain)
    const file = writeResults(dir, "results.json", original)
    const summary = JSON.parse(tau("import", "tau2", file, "--data-dir", TAU2_DATA_DIR, "--db", db, "--json"))
    const sims = original.simulations as PyObject[]
    expect(summary.episodes).toBe(sims.length)
    // Importing again adds nothing.
    expect(JSON.parse(tau("import", "tau2", file, "--data-dir", TAU2_DATA_DIR, "--db", db, "--json")).episodes).toBe(0)
    const out = path.join(dir, "exported.json")
    tau("export", "tau2", "--run", summary.run_id, "--out", out, "--db", db)
    const exported = PyJson.parse(fs.readFileSync(out, "utf8"))
    expect(differences(exported, original)).toEqual([])

    // The episodes themselves hold the conversation and the original reward.
    const episodes = tau("replay", "--run", summary.run_id, "--db", db, "--json")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
    expect(episodes).toHaveLength(sims.length)
    const first = sims[0]
    const ep = episodes.find((e) => e.turns === (first.messages as PyValue[]).length)
    expect(ep).toBeDefined()
    const shown = JSON.parse(tau("show", ep.episode_id, "--db", db, "--json"))
    const original_score = shown.scores.find((s: { evaluator: string }) => s.evaluator === "tau2-original")
    expect(original_score).toBeDefined()
    const messages = first.messages as PyObject[]
    expect(shown.messages.map((m: { content: unknown }) => m.content)).toEqual(messages.map((m) => m.content ?? null))
    const rewardOfAny = sims.find((s) => s.reward_info !== null)
    expect(rewardOfAny).toBeDefined()
    expect(pyEquals(PyJson.fromPlain(original_score.reward), (first.reward_info as PyObject | null)?.reward ?? original_score.reward)).toBe(true)
  })
})
