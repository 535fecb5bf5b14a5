/**
 * Crash safety of `tau run`: SIGKILL the process at random points (during start-up, between
 * episodes, in the middle of one), resume with `tau run --resume`, and expect exactly what an
 * uninterrupted run with the same run id stores, with finished episodes never run again.
 *
 * Kill points are chosen by what the process printed, not by time: after the N-th progress line
 * (N from a seeded generator; 0 = right after its first line, during start-up), with enough
 * episodes left that the kill lands before the end. Set TAU_FAULT_SEED to replay a sequence.
 */
import { afterAll, describe, expect, it } from "vitest"
import { between, eventCount, expectComplete, expectGapless, facts, faultSeed, runExists, runWithFault } from "./faults.ts"
import { demoRunArgs, jsonLines, seededRandom, type StoredRun, storedRun, tau, type TauResult, tempDir } from "./tau.ts"

const tmp = tempDir("cli-kill")
afterAll(tmp.dispose)

const RUN = "run_killed"
const TRIALS = 8
const TOTAL = 10 * TRIALS
const KILLS = 7
/** Episodes that must remain after the trigger line, so the kill always lands before the end. */
const MARGIN = 16
const PROGRESS = /^\[\d+\/\d+\] /
const runArgs = (db: string) => demoRunArgs(db, RUN, TRIALS)
const resumeArgs = (db: string) => ["run", "--resume", RUN, "--json", "--db", db]

describe("tau run survives SIGKILL and resumes to the uninterrupted result", () => {
  it("matches an uninterrupted run after random kills", async () => {
    const seed = faultSeed()
    const random = seededRandom(seed)
    const referenceDb = tmp.db()
    const reference = tau(runArgs(referenceDb), tmp.root)

    const db = tmp.db()
    const log: string[] = []
    let kills = 0
    let midEpisode = 0
    for (let i = 0; i < KILLS; i++) {
      const before = (await runExists(db, RUN)) ? await storedRun(db, RUN) : undefined
      const left = TOTAL - (before?.rows.filter((r) => r.status === "ended").length ?? 0)
      if (left <= MARGIN) break
      const afterLines = i === 0 ? 0 : between(random, 1, Math.min(12, left - MARGIN))
      const result = await runWithFault(before ? resumeArgs(db) : runArgs(db), tmp.root, { afterLines, matching: PROGRESS, signals: ["SIGKILL"] })
      const after = (await runExists(db, RUN)) ? await storedRun(db, RUN) : { rows: [], events: {}, scores: {} }
      expectGapless(after, `after kill ${i}`)

      // Finished (and scored) episodes were not run again: same events, same recordedAt, same scores.
      const reran = new Set(jsonLines(result.stdout.slice(0, result.stdout.lastIndexOf("\n") + 1)).map((l) => String(l.episode_id)))
      for (const row of before?.rows ?? []) {
        if (row.status !== "ended" || before?.scores[row.episodeId].length === 0) continue
        expect(after.events[row.episodeId]).toEqual(before?.events[row.episodeId])
        expect(after.scores[row.episodeId]).toEqual(before?.scores[row.episodeId])
        expect(reran.has(row.episodeId), `${row.episodeId} was reported again`).toBe(false)
      }

      // The kill landed while the run was working: it was still running, and it had not finished.
      expect(result.fired, `trigger of kill ${i} reached`).toBe(true)
      expect(result.signal, result.stderr).toBe("SIGKILL")
      const ended = after.rows.filter((r) => r.status === "ended").length
      expect(ended, `kill ${i} landed before the end`).toBeLessThan(TOTAL)
      if (afterLines > 0) expect(eventCount(after), `kill ${i} after progress`).toBeGreaterThan(eventCount(before))
      kills++
      // A stream this process started or extended, but did not finish.
      const cut = after.rows.some((r) => r.status === "running" && before?.rows.find((b) => b.episodeId === r.episodeId)?.version !== r.version)
      if (cut) midEpisode++
      log.push(
        `${before ? "resume" : "run"} after ${afterLines} lines -> ${ended} ended, ${after.rows.length - ended} running${cut ? " (cut mid-episode)" : ""}`,
      )
    }

    const final: TauResult = await tau((await runExists(db, RUN)) ? resumeArgs(db) : runArgs(db), tmp.root)
    expect(final.code, final.stderr).toBe(0)
    console.log(`kill/resume (TAU_FAULT_SEED=${seed}): ${kills} kills, ${midEpisode} mid-episode\n  ${log.join("\n  ")}`)

    const ref = await reference
    expect(ref.code, ref.stderr).toBe(0)
    expect(jsonLines(ref.stdout)).toHaveLength(TOTAL)
    const expected: StoredRun = await storedRun(referenceDb, RUN)
    const actual = await storedRun(db, RUN)
    expect(actual.rows).toHaveLength(TOTAL)
    expectComplete(actual, "resumed run")
    expect(facts(actual)).toEqual(facts(expected))
    // Every episode was scored exactly once, interrupted or not.
    expect(Object.values(actual.scores).every((s) => s.length === 1)).toBe(true)
    expect(kills).toBeGreaterThanOrEqual(3)
  })
})
