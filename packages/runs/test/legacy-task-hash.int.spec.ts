/**
 * Stores written before the canonical task hash recorded `legacyTaskHash` (the task's
 * JSON.stringify) in every `EpisodeStarted.hashes.task` and in each run's `hashes.tasks`. Their
 * episodes still verify and fork, and their runs still resume, while the tasks are unchanged; a
 * changed task is still found. The store is a copy of the golden store written by the CLI at
 * ff8cb76 (real old history, not a simulation of it).
 */
import { copyFileSync } from "node:fs"
import { join } from "node:path"
import { builtinDomains } from "@tau-sim/domains"
import { demoDomain } from "@tau-sim/domains/demo"
import {
  builtinParticipants,
  type Domain,
  type DomainResolver,
  type EpisodeStarted,
  EventStore,
  layerSqlite,
  legacyTaskHash,
  ParticipantFactory,
  taskHash,
} from "@tau-sim/engine"
import { DataChanged, verifyEpisode } from "@tau-sim/replay"
import Database from "better-sqlite3"
import { Effect, Layer, type Result } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { tempDir } from "../../replay/test/core/harness.ts"
import { decodeRunConfig, executeRun, forkEpisode, resumeRun, RunConfigMismatch, runHashes } from "../src/index.ts"

const GOLDEN = join(import.meta.dirname, "../../cli/test/fixtures/golden-v3/store.db")
const tmp = tempDir("legacy-hash")
afterAll(tmp.dispose)

const copy = (): string => {
  const path = tmp.db()
  copyFileSync(GOLDEN, path)
  return path
}

/** The demo domain, or one whose `renew_loan` task was edited since the store was written. */
const demo = demoDomain()
const edited: Domain = { ...demo, tasks: demo.tasks.map((t) => (t.id === "renew_loan" ? { ...t, ticket: "edited since" } : t)) }

/** Runs `effect` on the store at `path` with `domain` as the demo domain; its outcome as a Result. */
const on = <A, E>(path: string, effect: Effect.Effect<A, E, EventStore | DomainResolver | ParticipantFactory>, domain: Domain = demo) =>
  Effect.runPromise(
    Effect.result(effect).pipe(
      Effect.provide([layerSqlite(path), Layer.mergeAll(builtinDomains([domain]), Layer.succeed(ParticipantFactory, builtinParticipants))]),
    ) as Effect.Effect<Result.Result<A, E>, never, never>,
  )

const PLAIN = "golden-plain"
const RENEW = "ep_8562fec50879"

/** Cuts an episode back to its first `keep` events (a crash after an append), unscored. */
const cut = (path: string, episodeId: string, keep: number) => {
  const db = new Database(path)
  try {
    db.transaction(() => {
      db.prepare("DELETE FROM events WHERE episode_id = ? AND seq >= ?").run(episodeId, keep)
      db.prepare("DELETE FROM scores WHERE episode_id = ?").run(episodeId)
      db.prepare("UPDATE episodes SET version = ?, status = 'running', termination_reason = NULL, reward = NULL WHERE episode_id = ?").run(keep, episodeId)
    })()
  } finally {
    db.close()
  }
}

const eventsOf = (path: string, episodeId: string) =>
  on(
    path,
    Effect.gen(function* () {
      return yield* (yield* EventStore).read(episodeId)
    }),
  ).then((r) => {
    if (r._tag === "Failure") throw new Error(String(r.failure))
    return r.success.map((e) => e.event)
  })

describe("stores recorded with the legacy task hash", () => {
  it("the fixture really holds legacy hashes (else this file proves nothing)", async () => {
    const [start] = await eventsOf(copy(), RENEW)
    const task = demo.tasks.find((t) => t.id === "renew_loan")!
    expect((start as EpisodeStarted).hashes.task).toBe(legacyTaskHash(task))
    expect(legacyTaskHash(task)).not.toBe(taskHash(task))
  })

  it("episodes verify with 0 findings and fork", async () => {
    const path = copy()
    for (const id of [RENEW, "ep_442a43943e24", "ep_c0fdae63cd8b", "ep_925402748d66"]) {
      const verdict = await on(path, verifyEpisode(id))
      expect(verdict._tag === "Success" && verdict.success.findings).toEqual([])
    }
    const fork = await on(path, forkEpisode(RENEW, { atTurn: 2, childId: "ep_legacy_fork" }))
    expect(fork._tag === "Success" && fork.success.reward).toBe(1)
    // The branch records the canonical hash from now on.
    const [start] = await eventsOf(path, "ep_legacy_fork")
    expect((start as EpisodeStarted).hashes.task).toBe(taskHash(demo.tasks.find((t) => t.id === "renew_loan")!))
  })

  it("a run resumes: the interrupted episode continues to exactly what it was", async () => {
    const path = copy()
    const original = await eventsOf(path, RENEW)
    cut(path, RENEW, 5)
    const resumed = await on(path, resumeRun(PLAIN, { store: path }))
    expect(resumed._tag === "Success" && resumed.success.summaries.filter((s) => s.ran).map((s) => s.episode_id)).toEqual([RENEW])
    expect(await eventsOf(path, RENEW)).toEqual(original)
    // `tau run --run-id golden-plain` with the same flags is the same run too, although the stored
    // tasks hash is the legacy one and the request's is the canonical one.
    const stored = await on(
      path,
      Effect.gen(function* () {
        return yield* decodeRunConfig((yield* (yield* EventStore).getRun(PLAIN))!)
      }),
    )
    if (stored._tag === "Failure" || stored.success.kind !== "run") throw new Error(`unexpected ${JSON.stringify(stored)}`)
    expect(stored.success.hashes?.tasks).not.toBe(runHashes(demo, stored.success.taskIds).tasks)
    const again = await on(path, executeRun({ ...stored.success, maxConcurrency: 1 }))
    expect(again._tag === "Success" && again.success.every((s) => !s.ran)).toBe(true)
  })

  it("a changed task is still found: verify reports it, fork and resume refuse", async () => {
    const path = copy()
    const verdict = await on(path, verifyEpisode(RENEW), edited)
    expect(verdict._tag === "Success" && verdict.success.findings.map((f) => f instanceof DataChanged && f.which)).toEqual(["task"])
    // The other task is unchanged: its episodes still verify.
    const other = await on(path, verifyEpisode("ep_442a43943e24"), edited)
    expect(other._tag === "Success" && other.success.findings).toEqual([])
    const fork = await on(path, forkEpisode(RENEW, { atTurn: 2 }), edited)
    expect(fork._tag === "Failure" && fork.failure).toBeInstanceOf(DataChanged)
    const resumed = await on(path, resumeRun(PLAIN, { store: path }), edited)
    expect(resumed._tag === "Failure" && resumed.failure).toBeInstanceOf(RunConfigMismatch)
    if (resumed._tag === "Failure" && resumed.failure instanceof RunConfigMismatch) {
      expect(resumed.failure.differences.map((d) => d.field)).toEqual(["hashes.tasks"])
    }
  })
})
