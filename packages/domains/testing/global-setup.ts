/**
 * Vitest global setup (each package's vitest.config.ts): collects the suites that ./data.ts
 * skipped for missing data in every worker and prints the notice once for the whole run.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { TestProject } from "vitest/node"
import type {} from "./data.ts" // its ProvidedContext augmentation
import { type DataNeed, missingDataNotice, type Skipped } from "./locate.ts"

export default function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-data-skips-"))
  const log = path.join(dir, "skips.jsonl")
  project.provide("tauDataSkipLog", log)
  return () => {
    const lines = fs.existsSync(log)
      ? fs
          .readFileSync(log, "utf8")
          .split("\n")
          .filter((l) => l !== "")
      : []
    fs.rmSync(dir, { recursive: true, force: true })
    if (lines.length === 0) return
    const skips = lines.map((l) => JSON.parse(l) as Skipped & { missing: Array<DataNeed> })
    const missing = [...new Set(skips.flatMap((s) => s.missing))]
    const suites = skips.reduce((n, s) => n + s.suites, 0)
    const tests = skips.reduce((n, s) => n + s.tests, 0)
    console.warn(`\n${missingDataNotice(missing, { suites, tests })}\n`)
  }
}
