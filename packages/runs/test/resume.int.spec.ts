/**
 * Resume after a crash, deterministically: a crash leaves a stream cut after some append, and an
 * episode that ended may not have been scored yet. We cut a finished run's streams at every hop
 * boundary (what a crash can leave behind), resume, and expect exactly the uninterrupted run.
 */
import { type EpisodeEvent, type EpisodeRow, EventStore, type StoredEvent } from "@tau-sim/engine"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { executeRun, type RunConfig } from "../src/run.ts"
import { domain, tempDir } from "../../replay/test/core/harness.ts"
import { withRunStore as withStore, demoRunConfig } from "./services.ts"

const tmp = tempDir("resume")
afterAll(tmp.dispose)

const config = (runId: string): RunConfig =>
  demoRunConfig(
    runId,
    domain.tasks.map((t) => t.id),
  )

interface Snapshot {
  readonly rows: ReadonlyArray<EpisodeRow>
  readonly events: Record<string, ReadonlyArray<StoredEvent>>
  readonly scores: Record<string, number>
}

const snapshot = (path: string, runId: string): Promise<Snapshot> =>
  withStore(
    path,
    Effect.gen(function* () {
      const store = yield* EventStore
      const rows = yield* store.listEpisodes({ runId })
      const events: Record<string, ReadonlyArray<StoredEvent>> = {}
      const scores: Record<string, number> = {}
      for (const row of rows) {
        events[row.episodeId] = yield* store.read(row.episodeId)
        scores[row.episodeId] = (yield* store.listScores(row.episodeId)).length
      }
      return { rows, events, scores }
    }),
  )

/** What must not depend on when the run was interrupted (everything but wall-clock stamps). */
const facts = (s: Snapshot) => ({
  rows: s.rows,
  events: Object.fromEntries(Object.entries(s.events).map(([id, evs]) => [id, evs.map((e) => ({ seq: e.seq, event: e.event }))])),
  scores: s.scores,
})

/** Seqs after which a crash can cut a stream: the ends of its append batches (setup, then one per hop). */
const hopBoundaries = (events: ReadonlyArray<EpisodeEvent>): number[] => {
  const boundaries: number[] = []
  const setupEnd = events.findIndex((e, i) => i > 0 && !(e._tag !== "EpisodeStarted" && "setup" in e && e.setup))
  boundaries.push(setupEnd)
  for (let i = setupEnd; i < events.length - 1; i++) {
    const e = events[i]
    const next = events[i + 1]
    // A tool batch ends where the next event is not one of its executions (or an env sync of that hop).
    const inBatch = e._tag === "ToolExecuted" && next._tag === "ToolExecuted"
    const endedInHop = next._tag === "EpisodeEnded"
    if (!inBatch && !endedInHop) boundaries.push(i + 1)
  }
  return boundaries
}

/** Simulates a crash: keeps the first `keep` events and rolls the read models back to match. */
const cutStream = (path: string, episodeId: string, keep: number, scored: boolean) => {
  const db = new Database(path)
  try {
    db.transaction(() => {
      db.prepare("DELETE FROM events WHERE episode_id = ? AND seq >= ?").run(episodeId, keep)
      db.prepare("DELETE FROM scores WHERE episode_id = ?").run(episodeId)
      const ended = db.prepare("SELECT body FROM events WHERE episode_id = ? AND seq = ?").get(episodeId, keep - 1) as { body: string }
      const reason = (JSON.parse(ended.body) as EpisodeEvent)._tag === "EpisodeEnded" ? (JSON.parse(ended.body) as { reason: string }).reason : null
      db.prepare("UPDATE episodes SET version = ?, status = ?, termination_reason = ?, reward = NULL WHERE episode_id = ?").run(
        keep,
        reason ? "ended" : "running",
        reason,
        episodeId,
      )
      if (scored && !reason) throw new Error("only an ended episode can have been scored")
    })()
  } finally {
    db.close()
  }
}

describe("resume after a crash (in process, exhaustive over hop boundaries)", () => {
  it("continues a cut stream from its last stored hop to exactly the uninterrupted episode", async () => {
    const reference = tmp.db()
    await withStore(reference, executeRun(config("R")))
    const expected = await snapshot(reference, "R")
    expect(expected.rows).toHaveLength(domain.tasks.length)

    let cuts = 0
    for (const row of expected.rows) {
      const events = expected.events[row.episodeId].map((e) => e.event)
      const boundaries = hopBoundaries(events)
      // The setup batch and at least a few hops.
      expect(boundaries.length).toBeGreaterThan(3)
      for (const keep of boundaries) {
        const path = tmp.db()
        await withStore(path, executeRun(config("R")))
        cutStream(path, row.episodeId, keep, false)
        const before = await snapshot(path, "R")
        expect(before.events[row.episodeId]).toHaveLength(keep)
        const summaries = await withStore(path, executeRun(config("R")))
        // Only the cut episode ran again; the others were skipped untouched.
        expect(summaries.filter((s) => s.ran).map((s) => s.episode_id)).toEqual([row.episodeId])
        const after = await snapshot(path, "R")
        for (const other of expected.rows) {
          if (other.episodeId !== row.episodeId) expect(after.events[other.episodeId]).toEqual(before.events[other.episodeId])
        }
        // The kept prefix is untouched (recordedAt included): nothing was rewritten.
        expect(after.events[row.episodeId].slice(0, keep)).toEqual(before.events[row.episodeId])
        expect(facts(after)).toEqual(facts(expected))
        cuts++
      }
    }
    console.log(`resume: ${cuts} crash points over ${expected.rows.length} episodes`)
  })

  it("scores an episode that ended but was not scored before the crash", async () => {
    const path = tmp.db()
    await withStore(path, executeRun(config("S")))
    const expected = await snapshot(path, "S")
    const victim = expected.rows[2]
    // Crash between the EpisodeEnded append and the score append: ended, no score, no reward.
    cutStream(path, victim.episodeId, expected.events[victim.episodeId].length, false)
    const cut = await snapshot(path, "S")
    expect(cut.scores[victim.episodeId]).toBe(0)
    expect(cut.rows[2]).toMatchObject({ status: "ended", reward: null })

    const summaries = await withStore(path, executeRun(config("S")))
    expect(summaries[2]).toMatchObject({ episode_id: victim.episodeId, reward: victim.reward })
    const after = await snapshot(path, "S")
    // Scored, not re-run: the stream is exactly what it was.
    expect(after.events[victim.episodeId]).toEqual(cut.events[victim.episodeId])
    expect(facts(after)).toEqual(facts(expected))
  })
})
