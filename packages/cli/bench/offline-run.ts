/**
 * Offline runs (issue 13 target 7): the bundled `tau run` of the oracle agent and the scripted user
 * over all 2,285 telecom tasks (1 trial) into a fresh SQLite store, as one whole process: wall
 * seconds beside the target (≤ 6 s) and peak resident memory (GNU time's maximum RSS), then the
 * same over a tenth of the tasks (`--num-tasks 228`): memory flat in the number of episodes means a
 * peak ratio all/tenth near 1; and the whole run again within a 100 MB V8 heap, which only memory
 * that does not grow with the episodes allows. A bare `node -e 0` gives the machine's baseline. Median of `runs`
 * runs each (a fresh store each time), after a warm-up that fills the compile cache.
 *   Run alone: node packages/cli/bench/offline-run.ts [runs]
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { testDataDirs } from "@tau-sim/domains/testing/locate"
import { peakOf } from "./big-records.ts"

const executable = path.resolve(import.meta.dirname, "../bin/tau.mjs")
const TARGET_S = 6
const ALL_TASKS = 2_285
const TENTH = 228
const SMALL_HEAP_MB = 100

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

export const benchOfflineRun = ({ dir, runs = 3 }: { dir: string; runs?: number }) => {
  const { tau2 } = testDataDirs()
  let n = 0
  /** One whole `tau run` into a new store: its wall seconds and peak MB. */
  const once = (tasks: number | null, nodeFlags: ReadonlyArray<string> = []) => {
    const db = path.join(dir, `offline-${n++}.db`)
    const args = ["run", "--domain", "telecom", "--data-dir", tau2, "--agent", "oracle", "--user", "scripted", "--split", "full", "--trials", "1"]
    const measured = peakOf([...nodeFlags, executable, ...args, ...(tasks === null ? [] : ["--num-tasks", String(tasks)]), "--db", db], dir)
    for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true })
    return measured
  }
  const figure = (tasks: number | null) => {
    once(tasks)
    const all = Array.from({ length: runs }, () => once(tasks))
    return { tasks: tasks ?? ALL_TASKS, wall_s: median(all.map((r) => r.wall_s)), peak_mb: median(all.map((r) => r.peak_mb)) }
  }
  const bare = Array.from({ length: 5 }, () => peakOf(["-e", "0"], dir))
  const all = figure(null)
  const tenth = figure(TENTH)
  // V8 grows its heap lazily, so the peak RSS of a longer run is higher although what is live is
  // not: what shows memory flat in the number of episodes is the whole run within a small fixed heap.
  const small = (() => {
    try {
      return { ...once(null, [`--max-old-space-size=${SMALL_HEAP_MB}`]), completed: true }
    } catch (e) {
      return { completed: false, error: e instanceof Error ? e.message.slice(-300) : String(e) }
    }
  })()
  return {
    bare_node: { wall_s: median(bare.map((b) => b.wall_s)), peak_mb: median(bare.map((b) => b.peak_mb)) },
    all: { ...all, target_wall_s: TARGET_S, meets_target: all.wall_s <= TARGET_S, ms_per_episode: Number(((all.wall_s * 1000) / all.tasks).toFixed(3)) },
    tenth,
    peak_ratio_all_over_tenth: Number((all.peak_mb / tenth.peak_mb).toFixed(2)),
    all_tasks_in_a_small_heap: { max_old_space_mb: SMALL_HEAP_MB, ...small },
  }
}

if (import.meta.main) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-bench-offline-run-"))
  try {
    const runs = Number(process.argv[2] ?? 3)
    process.stdout.write(`${JSON.stringify(benchOfflineRun({ dir, runs }), null, 2)}\n`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
