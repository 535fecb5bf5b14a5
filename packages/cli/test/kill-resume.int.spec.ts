/**
 * Crash safety of `tau run`: SIGKILL the process at random points (during start-up, between
 * episodes, in the middle of one), resume with `tau run --resume`, and expect exactly what an
 * uninterrupted run with the same run id stores, with finished episodes never run again.
 *
 * The kill points come from a seeded generator; set TAU_KILL_SEED to replay a failing sequence.
 */
import type { ChildProcess } from "node:child_process"
import type { ScoreRecord, StoredEvent } from "@tau-sim/engine"
import { afterAll, describe, expect, it } from "vitest"
import { finished, jsonLines, readStore, seededRandom, spawnTau, type StoredRun, storedRun, tau, type TauResult, tempDir } from "./tau.ts"
import { Effect } from "effect"

const tmp = tempDir("cli-kill")
afterAll(tmp.dispose)

const RUN = "run_killed"
const TRIALS = 8
const TOTAL = 10 * TRIALS
const KILLS = 7
const runArgs = (db: string) => ["run", "--domain", "demo", "--agent", "oracle", "--user", "scripted", "--trials", String(TRIALS), "--max-concurrency", "1", "--run-id", RUN, "--json", "--db", db]
const resumeArgs = (db: string) => ["run", "--resume", RUN, "--json", "--db", db]

type Trigger = { readonly after: "ms"; readonly ms: number } | { readonly after: "lines"; readonly lines: number; readonly ms: number }

/** Runs `tau` and SIGKILLs it when the trigger fires (if it is still running then). */
const runAndKill = async (args: ReadonlyArray<string>, trigger: Trigger): Promise<TauResult> => {
  const child: ChildProcess = spawnTau(args, tmp.root)
  const done = finished(child)
  let timer: NodeJS.Timeout | undefined
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
  if (trigger.after === "ms") timer = setTimeout(kill, trigger.ms)
  else {
    let lines = 0
    child.stdout?.on("data", (chunk: string) => {
      lines += chunk.split("\n").length - 1
      if (lines >= trigger.lines && timer === undefined) timer = setTimeout(kill, trigger.ms)
    })
  }
  const result = await done
  clearTimeout(timer)
  return result
}

const runExists = (db: string) => readStore(db, ({ store }) => Effect.runPromise(store.getRun(RUN)).then((r) => r !== undefined))

const byId = <A>(s: StoredRun, f: (id: string) => A): Record<string, A> => Object.fromEntries(s.rows.map((r) => [r.episodeId, f(r.episodeId)]))

/** Everything that must not depend on interruptions: all but wall-clock stamps. */
const facts = (s: StoredRun) => ({
  rows: byId(s, (id) => s.rows.find((r) => r.episodeId === id)),
  events: byId(s, (id) => s.events[id].map((e: StoredEvent) => ({ seq: e.seq, event: e.event }))),
  scores: byId(s, (id) => s.scores[id].map(({ recordedAt: _, ...score }: ScoreRecord) => score)),
})

const expectGapless = (s: StoredRun) => {
  for (const [id, events] of Object.entries(s.events)) {
    expect(events.map((e) => e.seq), `seqs of ${id}`).toEqual(events.map((_, i) => i))
    expect(s.rows.find((r) => r.episodeId === id)?.version, `version of ${id}`).toBe(events.length)
  }
}

describe("tau run survives SIGKILL and resumes to the uninterrupted result", () => {
  it("matches an uninterrupted run after random kills", async () => {
    const seed = Number(process.env.TAU_KILL_SEED ?? Date.now() % 2 ** 31)
    const random = seededRandom(seed)
    const referenceDb = tmp.db()
    const reference = tau(runArgs(referenceDb), tmp.root)

    const db = tmp.db()
    const log: string[] = []
    let midRun = 0
    let midEpisode = 0
    for (let i = 0; i < KILLS; i++) {
      const trigger: Trigger =
        i % 3 === 0
          ? { after: "ms", ms: Math.floor(200 + random() * 2300) }
          : { after: "lines", lines: 1 + Math.floor(random() * 12), ms: Math.floor(random() * 25) }
      const before = (await runExists(db)) ? await storedRun(db, RUN) : undefined
      const args = before ? resumeArgs(db) : runArgs(db)
      const result = await runAndKill(args, trigger)
      const after = await storedRun(db, RUN)
      expectGapless(after)

      // Finished (and scored) episodes were not run again: same events, same recordedAt, same scores.
      const reran = new Set(jsonLines(result.stdout.slice(0, result.stdout.lastIndexOf("\n") + 1)).map((l) => String(l.episode_id)))
      for (const row of before?.rows ?? []) {
        if (row.status !== "ended" || before?.scores[row.episodeId].length === 0) continue
        expect(after.events[row.episodeId]).toEqual(before?.events[row.episodeId])
        expect(after.scores[row.episodeId]).toEqual(before?.scores[row.episodeId])
        expect(reran.has(row.episodeId), `${row.episodeId} was reported again`).toBe(false)
      }

      const ended = after.rows.filter((r) => r.status === "ended").length
      const running = after.rows.filter((r) => r.status === "running").length
      log.push(`${before ? "resume" : "run"} ${JSON.stringify(trigger)} -> ${result.signal ?? `exit ${result.code}`}: ${ended} ended, ${running} running`)
      const eventCount = (s: StoredRun | undefined) => Object.values(s?.events ?? {}).reduce((n, evs) => n + evs.length, 0)
      if (result.signal === "SIGKILL") {
        // Killed while it was making progress, before the end.
        if (eventCount(after) > eventCount(before) && ended < TOTAL) midRun++
        // A stream this process started or extended, but did not finish.
        const cutHere = after.rows.some((r) => r.status === "running" && before?.rows.find((b) => b.episodeId === r.episodeId)?.version !== r.version)
        if (cutHere) midEpisode++
      } else {
        expect(result.code, result.stderr).toBe(0)
      }
      if (result.code === 0) break
    }

    // Resume until done (no kills).
    let final: TauResult | undefined
    for (let attempt = 0; attempt < 3 && final?.code !== 0; attempt++) {
      final = await tau((await runExists(db)) ? resumeArgs(db) : runArgs(db), tmp.root)
    }
    expect(final?.code, final?.stderr).toBe(0)
    console.log(`kill/resume (TAU_KILL_SEED=${seed}): ${midRun} kills mid-run, ${midEpisode} mid-episode\n  ${log.join("\n  ")}`)

    const ref = await reference
    expect(ref.code, ref.stderr).toBe(0)
    expect(jsonLines(ref.stdout)).toHaveLength(TOTAL)
    const expected = await storedRun(referenceDb, RUN)
    const actual = await storedRun(db, RUN)
    expect(actual.rows).toHaveLength(TOTAL)
    expectGapless(actual)
    expect(actual.rows.every((r) => r.status === "ended")).toBe(true)
    expect(facts(actual)).toEqual(facts(expected))
    // Every episode was scored exactly once, interrupted or not.
    expect(Object.values(actual.scores).every((s) => s.length === 1)).toBe(true)

    // The interruptions really hit the run while it was working.
    expect(midRun).toBeGreaterThan(0)
  })
})
