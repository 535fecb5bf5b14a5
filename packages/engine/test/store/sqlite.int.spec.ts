import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect, Exit } from "effect"
import { afterAll } from "vitest"
import { EventStore, StoreError } from "../../src/store/event-store.ts"
import { SCHEMA_VERSION } from "../../src/store/sqlite-schema.ts"
import { layerSqlite, openSqliteStore } from "../../src/store/sqlite.ts"
import { storeConformance } from "./conformance.ts"
import { runWriters } from "./fixtures/run-writers.ts"
import { agentMessage, ended, fullEpisode, started, userMessage } from "./sample-events.ts"

const root = mkdtempSync(join(tmpdir(), "tau-sim-store-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let files = 0
const freshPath = (): string => join(root, `db-${files++}`, "events.db")

storeConformance("sqlite", () => openSqliteStore(freshPath()))

const raw = (path: string): Database.Database => new Database(path)

describe("sqlite event store", () => {
  it.effect("keeps events, read models, runs and scores across close and reopen", () =>
    Effect.gen(function* () {
      const path = freshPath()
      const first = openSqliteStore(path)
      yield* first.store.append("ep", 0, fullEpisode("ep"))
      yield* first.store.putRun({ runId: "run-1", createdAt: "2025-01-01T00:00:00.000Z", config: { trials: 3 }, experiment: null })
      yield* first.store.appendScore({
        episodeId: "ep",
        evaluator: "tau2",
        evaluatorVersion: "1",
        reward: 0.5,
        breakdown: { reward: 0.5 },
        recordedAt: "2025-01-01T00:00:01.000Z",
      })
      const before = {
        events: yield* first.store.read("ep"),
        episode: yield* first.store.getEpisode("ep"),
        runs: yield* first.store.listRuns(),
        scores: yield* first.store.listScores("ep"),
      }
      first.close()

      const second = openSqliteStore(path)
      assert.deepStrictEqual(
        {
          events: yield* second.store.read("ep"),
          episode: yield* second.store.getEpisode("ep"),
          runs: yield* second.store.listRuns(),
          scores: yield* second.store.listScores("ep"),
        },
        before,
      )
      assert.strictEqual(before.events.length, 7)
      assert.strictEqual(before.episode?.reward, 0.5)
      // The reopened stream continues where it was.
      const conflict = yield* Effect.flip(second.store.append("ep", 3, [ended()]))
      assert.strictEqual(conflict._tag, "VersionConflict")
      second.close()
    }),
  )

  it("creates the schema once, records its version, and runs in WAL mode", () => {
    const path = freshPath()
    openSqliteStore(path).close()
    openSqliteStore(path).close()
    const db = raw(path)
    assert.strictEqual(db.pragma("user_version", { simple: true }), SCHEMA_VERSION)
    assert.strictEqual(db.pragma("journal_mode", { simple: true }), "wal")
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()
    assert.includeMembers(tables, ["episodes", "events", "runs", "scores"])
    db.close()
  })

  it("finishes a half-applied migration (tables present, version not recorded)", () => {
    const path = freshPath()
    openSqliteStore(path).close()
    const db = raw(path)
    db.pragma("user_version = 0")
    db.close()
    const handle = openSqliteStore(path)
    handle.close()
    const check = raw(path)
    assert.strictEqual(check.pragma("user_version", { simple: true }), SCHEMA_VERSION)
    check.close()
  })

  it.effect("refuses a file written by a newer schema", () =>
    Effect.gen(function* () {
      const path = freshPath()
      openSqliteStore(path).close()
      const db = raw(path)
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
      db.close()
      assert.throws(() => openSqliteStore(path), StoreError, /newer than this engine/)
      const exit = yield* Effect.exit(Effect.provide(Effect.gen(function* () { return yield* EventStore }), layerSqlite(path)))
      assert.isTrue(Exit.isFailure(exit))
      assert.isTrue(Exit.isFailure(exit) && exit.cause.reasons.some((r) => r._tag === "Fail" && r.error instanceof StoreError))
    }),
  )

  it.effect("gives a typed error for a body corrupted on disk, and keeps other rows and streams readable", () =>
    Effect.gen(function* () {
      const path = freshPath()
      const handle = openSqliteStore(path)
      yield* handle.store.append("ep", 0, [started("ep"), agentMessage(), userMessage("fine")])
      yield* handle.store.append("other", 0, [started("other")])
      const db = raw(path)
      db.prepare("UPDATE events SET body = ? WHERE episode_id = ? AND seq = ?").run("\u0000garbage", "ep", 1)
      db.close()
      const error = yield* Effect.flip(handle.store.read("ep"))
      assert.instanceOf(error, StoreError)
      assert.deepStrictEqual([error.episodeId, error.seq], ["ep", 1])
      assert.match(error.message, /ep#1/)
      assert.strictEqual((yield* handle.store.read("ep", { fromSeq: 2 })).length, 1)
      assert.strictEqual((yield* handle.store.read("other")).length, 1)
      handle.close()
    }),
  )

  it("never overwrites a stored event: the primary key rejects a duplicate (episode, seq)", () => {
    const path = freshPath()
    const handle = openSqliteStore(path)
    Effect.runSync(handle.store.append("ep", 0, [started("ep")]))
    const row = { episodeId: "ep", seq: 0, recordedAt: "x", tag: "MessageSent", v: 1, body: "{}" }
    assert.throws(() => handle.writeRawEvent(row), /UNIQUE|PRIMARY/i)
    const db = raw(path)
    assert.throws(
      () => db.prepare("INSERT INTO events (episode_id, seq, recorded_at, tag, v, body) VALUES ('ep', 0, 'x', 'y', 1, '{}')").run(),
      /UNIQUE/,
    )
    db.close()
    assert.deepStrictEqual(Effect.runSync(handle.store.read("ep")).map((s) => s.event), [started("ep")])
    handle.close()
  })

  it.effect("two store instances on one file see each other's writes and never overwrite each other", () =>
    Effect.gen(function* () {
      const path = freshPath()
      const a = openSqliteStore(path)
      const b = openSqliteStore(path)
      yield* a.store.append("ep", 0, [started("ep")])
      const conflict = yield* Effect.flip(b.store.append("ep", 0, [started("ep")]))
      assert.strictEqual(conflict._tag, "VersionConflict")
      yield* b.store.append("ep", 1, [userMessage("from b")])
      const stale = yield* Effect.flip(a.store.append("ep", 1, [userMessage("from a")]))
      assert.strictEqual(stale._tag, "VersionConflict")
      yield* a.store.append("ep", 2, [ended()])
      for (const handle of [a, b]) {
        assert.deepStrictEqual(
          (yield* handle.store.read("ep")).map((s) => s.event),
          [started("ep"), userMessage("from b"), ended()],
        )
        assert.strictEqual((yield* handle.store.getEpisode("ep"))?.status, "ended")
      }
      a.close()
      b.close()
    }),
  )

  it.effect(
    "four processes appending to one episode lose nothing and leave a gapless stream",
    () =>
      Effect.gen(function* () {
        const path = freshPath()
        const setup = openSqliteStore(path)
        yield* setup.store.append("shared", 0, [started("shared")])
        setup.close()
        const perWriter = 100
        const reports = yield* Effect.promise(() => runWriters(path, "shared", ["w0", "w1", "w2", "w3"], perWriter))
        // The writers really raced: some appends met a conflict (and retried).
        assert.isAbove(reports.reduce((sum, r) => sum + r.conflicts, 0), 0)
        const check = openSqliteStore(path)
        const stored = yield* check.store.read("shared")
        assert.deepStrictEqual(
          stored.map((s) => s.seq),
          Array.from({ length: 1 + 4 * perWriter }, (_, i) => i),
        )
        const texts = stored.slice(1).map((s) => (s.event._tag === "MessageSent" ? s.event.text : ""))
        for (const id of ["w0", "w1", "w2", "w3"]) {
          assert.deepStrictEqual(
            texts.filter((t) => t?.startsWith(`${id}-`)),
            Array.from({ length: perWriter }, (_, i) => `${id}-${i}`),
          )
        }
        assert.strictEqual((yield* check.store.getEpisode("shared"))?.version, 1 + 4 * perWriter)
        check.close()
      }),
    60_000,
  )

  it("fails to open an unusable path with a StoreError", () => {
    const path = freshPath()
    openSqliteStore(path).close()
    // A directory where the database file should be.
    assert.throws(() => openSqliteStore(join(path, "..")), StoreError)
  })

  it.effect("layerSqlite creates the parent directory, provides the store and closes the file when released", () =>
    Effect.gen(function* () {
      const path = join(root, "layer", "nested", "deeper", "events.db")
      const version = yield* Effect.provide(
        Effect.gen(function* () {
          const store = yield* EventStore
          const v = yield* store.append("ep", 0, [started("ep"), agentMessage()])
          // While open, the WAL holds the write.
          assert.isTrue(existsSync(`${path}-wal`))
          return v
        }),
        layerSqlite(path),
      )
      assert.strictEqual(version, 2)
      // Closing the last connection checkpoints and removes the WAL.
      assert.isFalse(existsSync(`${path}-wal`))
      const reopened = openSqliteStore(path)
      assert.strictEqual((yield* reopened.store.read("ep")).length, 2)
      reopened.close()
    }),
  )
})
