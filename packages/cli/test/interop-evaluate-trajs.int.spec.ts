/**
 * `tau evaluate-trajs` on results files built from the reference's fixtures must reproduce the
 * reference's reward and full reward breakdown for every record (all four domains, gold and
 * perturbed). Runs the real CLI in a child process.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { PyJson, type PyObject, pyEquals } from "@tau-sim/engine"
import { expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { fixtureRecords, resultsFromFixtures, writeResults } from "../../interop/test/results-file.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2

const NODE = process.execPath
const CLI = path.resolve(import.meta.dirname, "../src/main.ts")
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tau-evaltrajs-"))

const evaluateTrajs = (file: string): PyObject[] =>
  execFileSync(NODE, [CLI, "evaluate-trajs", file, "--data-dir", TAU2_DATA_DIR, "--nl-judge", "scripted:all-met", "--json"], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
  })
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => PyJson.fromPlain(JSON.parse(l)) as PyObject)
    // The summary line that ends the output is not a simulation's.
    .filter((l) => l.type !== "summary")

const FIELDS = ["reward", "reward_basis", "reward_breakdown", "db_check", "env_assertions", "action_checks", "communicate_checks", "nl_assertions", "info"]

data.describe.each(["mock", "airline", "retail", "telecom"])("evaluate-trajs agrees with the reference on %s", (domain) => {
  it.each(["perturbed", "gold"] as const)("%s fixtures", (kind) => {
    const records = fixtureRecords(kind, domain)
    const file = writeResults(tmp, `${kind}_${domain}.json`, resultsFromFixtures(kind, domain, records))
    const lines = evaluateTrajs(file)
    expect(lines).toHaveLength(records.length)
    const mismatches: string[] = []
    for (const [i, line] of lines.entries()) {
      const record = records[i]
      const expected = record.reward_info as PyObject | null
      if (expected === null || expected === undefined) {
        if (line.error === undefined) mismatches.push(`${String(line.episode_id)}: the reference evaluator raised, ours did not`)
        continue
      }
      const got = line.reward_info as PyObject | null
      if (!got) {
        mismatches.push(`${String(line.episode_id)}: ${String(line.error)}`)
        continue
      }
      for (const field of FIELDS) {
        if (!pyEquals(got[field] ?? null, expected[field] ?? null)) {
          mismatches.push(`${String(line.episode_id)}.${field}: got ${JSON.stringify(got[field])}, expected ${JSON.stringify(expected[field])}`)
        }
      }
    }
    console.log(JSON.stringify({ domain, kind, records: records.length, mismatches: mismatches.length }))
    expect(mismatches.slice(0, 10)).toEqual([])
  })
})
