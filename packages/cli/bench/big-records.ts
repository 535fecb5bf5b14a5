/**
 * Big records (issue 13 target 6): the peak resident memory (VmHWM) of whole `tau import tau2` and
 * `tau export tau2` processes for a results file whose one simulation carries a 50 MB message
 * (target: under 300 MB each), beside a bare `node -e 0`'s. Then a run of many telecom episodes
 * exported to disk (the issue's 6,855: 2,285 tasks × 3 trials of the oracle), its peak memory
 * beside the same export of a tenth of the episodes: a streaming export stays about flat (target: at
 * most 1.5× the tenth's peak).
 * Peaks come from GNU time's maximum resident set size (kernel's VmHWM at exit).
 *   Run alone: node packages/cli/bench/big-records.ts [--skip-telecom]
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { PyJson, type PyObject } from "@tau-sim/engine"
import { testDataDirs } from "@tau-sim/domains/testing/locate"
import { fixtureRecords, resultsFromFixtures } from "../../interop/test/results-file.ts"

const cli = path.resolve(import.meta.dirname, "..")
const node = path.resolve(cli, "../../node_modules/.bin/node")
const executable = path.join(cli, "bin/tau.mjs")
const TARGET_MB = 300
const BIG_MESSAGE_BYTES = 50_000_000
/** Streaming to disk: ten times the episodes may cost at most this much more peak memory (a whole document held: ~3.4×). */
const TARGET_FLAT_RATIO = 1.5

/** Peak resident MB and wall seconds of `node <args>`; a failing process is an error. */
export const peakOf = (args: ReadonlyArray<string>, cwd: string): { peak_mb: number; wall_s: number } => {
  const t0 = process.hrtime.bigint()
  const r = spawnSync("/usr/bin/time", ["-f", "%M", node, ...args], { cwd, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 })
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const lines = r.stderr.trim().split("\n")
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr.slice(-2000)}`)
  return { peak_mb: Math.round(Number(lines[lines.length - 1]) / 1024), wall_s: Number(wall.toFixed(2)) }
}

/** A retail results file of one gold simulation whose first user message is 50 MB of text. */
export const bigResults = (dir: string): string => {
  const [record] = fixtureRecords("gold", "retail")
  const doc = resultsFromFixtures("gold", "retail", [record as PyObject])
  const sim = (doc.simulations as PyObject[])[0] as PyObject
  const messages = sim.messages as PyObject[]
  const i = messages.findIndex((m) => m.role === "user")
  // Words and punctuation, some needing escapes in JSON, as a pasted document would have.
  const unit = 'Order #W2378156: "two lamps", one\tdesk; please check.\n'
  messages[i] = { ...(messages[i] as PyObject), content: unit.repeat(Math.ceil(BIG_MESSAGE_BYTES / unit.length)).slice(0, BIG_MESSAGE_BYTES) }
  const file = path.join(dir, "big-results.json")
  fs.writeFileSync(file, PyJson.dumps(doc))
  return file
}

const runIdOf = (db: string, cwd: string): string => {
  const r = spawnSync(node, [executable, "list", "runs", "--db", db, "--json"], { cwd, encoding: "utf8" })
  if (r.status !== 0) throw new Error(`tau list runs: ${r.stderr}`)
  const first = r.stdout.split("\n").find((l) => l.trim() !== "")
  if (!first) throw new Error("tau list runs: no run")
  const row = JSON.parse(first) as Record<string, unknown>
  return String(row.run_id ?? row.runId ?? row.id)
}

export const benchBigRecords = ({ dir, telecom = true }: { dir: string; telecom?: boolean }) => {
  const bare = peakOf(["-e", "0"], dir)
  const file = bigResults(dir)
  const db = path.join(dir, "big.db")
  const imported = peakOf([executable, "import", "tau2", file, "--data-dir", testDataDirs().tau2, "--db", db], dir)
  const runId = runIdOf(db, dir)
  const exported = peakOf([executable, "export", "tau2", "--run", runId, "--out", path.join(dir, "big-export.json"), "--db", db], dir)
  const out: Record<string, unknown> = {
    bare_node_peak_mb: bare.peak_mb,
    message_mb: BIG_MESSAGE_BYTES / 1e6,
    import_50mb_message: { ...imported, target_peak_mb: TARGET_MB, meets_target: imported.peak_mb < TARGET_MB },
    export_50mb_message: { ...exported, target_peak_mb: TARGET_MB, meets_target: exported.peak_mb < TARGET_MB },
  }
  if (telecom) {
    // The full split: 2,285 tasks (× 3 trials = the 6,855 episodes).
    const exportOf = (trials: number, tasks: number | null) => {
      const runDb = path.join(dir, `telecom-${trials}-${tasks ?? "all"}.db`)
      const run = spawnSync(
        node,
        [
          executable,
          "run",
          "--domain",
          "telecom",
          "--data-dir",
          testDataDirs().tau2,
          "--agent",
          "oracle",
          "--user",
          "scripted",
          "--split",
          "full",
          "--trials",
          String(trials),
          ...(tasks === null ? [] : ["--num-tasks", String(tasks)]),
          "--db",
          runDb,
        ],
        { cwd: dir, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 },
      )
      if (run.status !== 0) throw new Error(`tau run telecom: ${run.stderr.slice(-2000)}`)
      const episodes = Number(spawnSync("sqlite3", [runDb, "SELECT count(*) FROM episodes"], { encoding: "utf8" }).stdout.trim()) || null
      const target = path.join(dir, `telecom-${trials}-${tasks ?? "all"}.json`)
      const peak = peakOf([executable, "export", "tau2", "--run", runIdOf(runDb, dir), "--out", target, "--db", runDb], dir)
      return { episodes, ...peak, file_mb: Math.round(fs.statSync(target).size / 1e6) }
    }
    const all = exportOf(3, null)
    const tenth = exportOf(1, 686)
    const ratio = Number((all.peak_mb / tenth.peak_mb).toFixed(2))
    out.export_telecom = { all, tenth, peak_ratio_all_over_tenth: ratio, target_peak_ratio: TARGET_FLAT_RATIO, meets_target: ratio <= TARGET_FLAT_RATIO }
  }
  return out
}

if (import.meta.main) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-bench-big-records-"))
  try {
    process.stdout.write(`${JSON.stringify(benchBigRecords({ dir, telecom: !process.argv.includes("--skip-telecom") }), null, 2)}\n`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
