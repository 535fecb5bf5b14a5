/**
 * A full disk under the event store itself (issue 9): `tau run` into a SQLite store (WAL mode) on
 * a small tmpfs that fills part-way through the run. The run must stop with a one-line error, keep
 * every event it committed, and, once the disk has room again, `tau run --resume` must finish it
 * into exactly what an uninterrupted run stores.
 *
 * Mounting needs root in a container that allows it; elsewhere the test is skipped, saying why.
 */
import { execFileSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statfsSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { expectComplete, expectGapless, facts, onLines } from "./faults.ts"
import { demoRunArgs, finished, jsonLines, spawnTau, storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("full-disk-store")
const mnt = join(tmp.root, "tmpfs")
let mounted = false

const RUN = "run_full_disk"
/** 20 episodes: their WAL (~3 MB) stays below SQLite's auto-checkpoint, so the space it needs only grows. */
const TRIALS = 2
const TOTAL = 10 * TRIALS
const PROGRESS = /^\[\d+\/\d+\] /
const runArgs = (db: string) => demoRunArgs(db, RUN, TRIALS)

const used = (): number => {
  const s = statfsSync(mnt)
  return (s.blocks - s.bfree) * s.bsize
}
const remount = (size: number) => execFileSync("mount", ["-o", `remount,size=${size}`, mnt], { stdio: "ignore" })

beforeAll(() => {
  mkdirSync(mnt, { recursive: true })
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt], { stdio: "ignore" })
    mounted = true
  } catch {
    mounted = false
  }
})
afterAll(() => {
  if (mounted) execFileSync("umount", [mnt])
  tmp.dispose()
})

describe("tau run on a disk that fills under the event store", () => {
  it("fails with one line, loses no committed event, and resumes to the uninterrupted result", async (ctx) => {
    if (!mounted) return ctx.skip("cannot mount a tmpfs here (needs root and a container that allows mount)")

    // How much space the run needs: the tmpfs in use at each progress line of an uninterrupted run.
    const referenceOnDisk = join(mnt, "reference.db")
    const child = spawnTau(runArgs(referenceOnDisk), tmp.root)
    let needed = 0
    onLines(child.stderr, (line) => {
      if (PROGRESS.test(line)) needed = Math.max(needed, used())
    })
    const reference = await finished(child)
    expect(reference.code, reference.stderr).toBe(0)
    expect(jsonLines(reference.stdout)).toHaveLength(TOTAL)
    // Closed cleanly: the WAL was checkpointed into the file, so the file alone is the store.
    expect(existsSync(`${referenceOnDisk}-wal`)).toBe(false)
    const referenceDb = tmp.file("reference.db")
    copyFileSync(referenceOnDisk, referenceDb)
    rmSync(referenceOnDisk)
    expect(readdirSync(mnt)).toEqual([])

    // About half of it: the disk fills in the middle of the run.
    const size = Math.ceil(needed / 2 / 4096) * 4096
    remount(size)
    const db = join(mnt, "store.db")
    const failed = await tau(runArgs(db), tmp.root)
    expect(failed.code, failed.stderr).toBe(1)
    const errors = failed.stderr.split("\n").filter((l) => !PROGRESS.test(l) && !l.startsWith("run ") && l !== "")
    expect(errors, failed.stderr).toEqual([expect.stringMatching(new RegExp(`^error: event store ${db}: .*(disk is full|SQLITE_FULL)`))])
    expect(failed.stderr).not.toMatch(/^\s+at /m)

    // Room again (a reader may need to write the WAL index), then look at what the failed run kept.
    remount(64 * 1024 * 1024)
    const interrupted = await storedRun(db, RUN)
    expectGapless(interrupted, "after the full disk")
    const ended = interrupted.rows.filter((r) => r.status === "ended" && interrupted.scores[r.episodeId].length === 1)
    console.log(`full disk: tmpfs ${size} bytes (run needs ~${needed}), ${ended.length}/${TOTAL} episodes stored before the failure`)
    expect(ended.length, "episodes finished before the disk filled").toBeGreaterThan(0)
    expect(ended.length, "the disk filled before the end").toBeLessThan(TOTAL)
    // Every episode the run reported as finished is stored finished and scored.
    const reported = jsonLines(failed.stdout).map((l) => String(l.episode_id))
    expect(reported.length).toBeGreaterThan(0)
    expect(ended.map((r) => r.episodeId).sort()).toEqual(expect.arrayContaining(reported.sort()))

    const resumed = await tau(["run", "--resume", RUN, "--json", "--db", db], tmp.root)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(jsonLines(resumed.stdout)).toHaveLength(TOTAL - ended.length)

    const verify = await tau(["replay", "--all", "--verify", "--json", "--db", db], tmp.root)
    expect(verify.code, verify.stderr).toBe(0)
    const verdicts = jsonLines(verify.stdout)
    expect(verdicts).toHaveLength(TOTAL)
    for (const v of verdicts) expect(v.verified, JSON.stringify(v)).toBe(true)

    const actual = await storedRun(db, RUN)
    expectComplete(actual, "resumed run")
    for (const row of actual.rows) expect(actual.scores[row.episodeId], `scores of ${row.episodeId}`).toHaveLength(1)
    // Committed events survived as they were: finished episodes untouched, cut ones extended.
    for (const row of interrupted.rows) {
      const before = interrupted.events[row.episodeId]
      if (ended.includes(row)) expect(actual.events[row.episodeId], row.episodeId).toEqual(before)
      else expect(actual.events[row.episodeId].slice(0, before.length), row.episodeId).toEqual(before)
    }
    expect(facts(actual)).toEqual(facts(await storedRun(referenceDb, RUN)))
  })
})
