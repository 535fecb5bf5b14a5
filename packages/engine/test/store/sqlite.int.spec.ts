import { spawn } from "node:child_process"
import { once } from "node:events"
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Clock, Effect, Exit } from "effect"
import { afterAll } from "vitest"
import { encodeEvent, type EpisodeEvent } from "../../src/events.ts"
import { CHAIN_START, chainHash } from "../../src/store/chain.ts"
import { EventStore, StoreError, type LeaseResult, type RawStoredRow } from "../../src/store/event-store.ts"
import { checkStreamIntegrity } from "../../src/store/integrity.ts"
import { MIGRATIONS, MODEL_REQUEST_HASH, SCHEMA_VERSION } from "../../src/store/sqlite-schema.ts"
import { layerSqlite, openSqliteStore } from "../../src/store/sqlite.ts"
import type { StoreHandle } from "../../src/store/store-handle.ts"
import { runTogether, runWriters } from "./fixtures/run-writers.ts"
import {
  agentMessage,
  conversationCall,
  ended,
  fullEpisode,
  rowFactoriesCompiled,
  runEventStoreConformance,
  started,
  SYSTEM_PROMPT,
  userMessage,
} from "@tau-sim/engine/testing"

const root = mkdtempSync(join(tmpdir(), "tau-sim-store-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let files = 0
const freshPath = (): string => join(root, `db-${files++}`, "events.db")

runEventStoreConformance("sqlite", () => openSqliteStore(freshPath()))

const raw = (path: string): Database.Database => new Database(path)

const integrity = (handle: StoreHandle, episodeId: string) => checkStreamIntegrity(episodeId).pipe(Effect.provideService(EventStore, handle.store))

const chainOf = (rows: ReadonlyArray<RawStoredRow>): Array<string> => {
  let prev = CHAIN_START
  return rows.map((row) => (prev = chainHash(row.episodeId, prev, row.seq, row.tag, row.v, row.body)))
}

/**
 * A store file as engines before the hash chain wrote it: schema 2 (migrations 1 and 2 only),
 * with its events and read model rows written by raw SQL.
 */
const writeSchema2Store = (path: string, streams: Record<string, ReadonlyArray<EpisodeEvent>>): void => {
  const db = new Database(path)
  for (const step of MIGRATIONS.slice(0, 2)) {
    for (const statement of step) {
      if (typeof statement !== "string") throw new Error("migrations 1 and 2 are plain SQL")
      db.exec(statement)
    }
  }
  db.pragma("user_version = 2")
  const insertEvent = db.prepare("INSERT INTO events (episode_id, seq, recorded_at, tag, v, body) VALUES (?, ?, ?, ?, ?, ?)")
  const insertEpisode = db.prepare(
    "INSERT INTO episodes (episode_id, run_id, domain, task_id, trial, status, termination_reason, version) VALUES (?, 'run-1', 'airline', 'task-7', 0, ?, ?, ?)",
  )
  for (const [episodeId, events] of Object.entries(streams)) {
    for (const [seq, event] of events.entries()) insertEvent.run(episodeId, seq, "2024-06-01T00:00:00.000Z", event._tag, event.v, encodeEvent(event))
    const end = events.find((e) => e._tag === "EpisodeEnded")
    insertEpisode.run(episodeId, end ? "ended" : "running", end?._tag === "EpisodeEnded" ? end.reason : null, events.length)
  }
  db.close()
}

/**
 * A store file as engines before the message pool wrote it: schema 3 (migrations 1 to 3), every
 * row with its full body and its chain hash, as the append of that engine computed them.
 */
const writeSchema3Store = (path: string, streams: Record<string, ReadonlyArray<EpisodeEvent>>): void => {
  const db = new Database(path)
  for (const step of MIGRATIONS.slice(0, 3)) for (const statement of step) typeof statement === "string" ? db.exec(statement) : statement(db)
  db.pragma("user_version = 3")
  const insertEvent = db.prepare("INSERT INTO events (episode_id, seq, recorded_at, tag, v, body, hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
  const insertEpisode = db.prepare(
    "INSERT INTO episodes (episode_id, run_id, domain, task_id, trial, status, termination_reason, version) VALUES (?, 'run-1', 'airline', 'task-7', 0, ?, ?, ?)",
  )
  for (const [episodeId, events] of Object.entries(streams)) {
    let prev = CHAIN_START
    events.forEach((event, seq) => {
      const body = encodeEvent(event)
      prev = chainHash(episodeId, prev, seq, event._tag, event.v, body)
      insertEvent.run(episodeId, seq, "2025-06-01T00:00:00.000Z", event._tag, event.v, body, prev)
    })
    const end = events.find((e) => e._tag === "EpisodeEnded")
    insertEpisode.run(episodeId, end ? "ended" : "running", end?._tag === "EpisodeEnded" ? end.reason : null, events.length)
  }
  db.close()
}

/** A child process holding a lease until killed; resolves once it reports whether it got the lease. */
const leaseHolder = async (path: string, name: string, holderId: string) => {
  const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", "lease-holder.ts"), path, name, holderId], {
    stdio: ["pipe", "pipe", "inherit"],
  })
  const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string]
  return { child, result: JSON.parse(line) as LeaseResult }
}

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
      const exit = yield* Effect.exit(
        Effect.provide(
          Effect.gen(function* () {
            return yield* EventStore
          }),
          layerSqlite(path),
        ),
      )
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
    assert.throws(() => db.prepare("INSERT INTO events (episode_id, seq, recorded_at, tag, v, body) VALUES ('ep', 0, 'x', 'y', 1, '{}')").run(), /UNIQUE/)
    db.close()
    assert.deepStrictEqual(
      Effect.runSync(handle.store.read("ep")).map((s) => s.event),
      [started("ep")],
    )
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
        assert.isAbove(
          reports.reduce((sum, r) => sum + r.conflicts, 0),
          0,
        )
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
        // Every writer chained from the row the one before it wrote.
        assert.deepStrictEqual((yield* integrity(check, "shared")).findings, [])
        check.close()
      }),
    60_000,
  )

  describe("upgrading a store written before the hash chain (schema 2)", () => {
    const streams = { done: fullEpisode("done"), open: [started("open"), agentMessage(), userMessage("still talking")] }

    it.effect("hashes every existing row in seq order, seals the streams, and reports the seal", () =>
      Effect.gen(function* () {
        const path = freshPath().replace("/events.db", "-v2.db")
        writeSchema2Store(path, streams)
        const before = Date.now()
        const handle = openSqliteStore(path)
        const db = raw(path)
        assert.strictEqual(db.pragma("user_version", { simple: true }), SCHEMA_VERSION)
        db.close()
        for (const [episodeId, events] of Object.entries(streams)) {
          const rows = yield* handle.store.readRaw(episodeId)
          assert.strictEqual(rows.length, events.length)
          assert.deepStrictEqual(
            rows.map((r) => r.hash),
            chainOf(rows),
          )
          const seal = yield* handle.store.chainSeal(episodeId)
          assert.strictEqual(seal?.throughSeq, events.length - 1)
          assert.isTrue(Date.parse(seal?.sealedAt ?? "") >= before - 1000)
          const report = yield* integrity(handle, episodeId)
          assert.deepStrictEqual([report.findings, report.seal, report.events], [[], seal, events.length])
        }
        // The open stream goes on, chained from its upgraded hashes; its seal still ends where it did.
        yield* handle.store.append("open", 3, [agentMessage("after the upgrade"), ended()])
        const open = yield* handle.store.readRaw("open")
        assert.deepStrictEqual(
          open.map((r) => r.hash),
          chainOf(open),
        )
        assert.strictEqual((yield* handle.store.chainSeal("open"))?.throughSeq, 2)
        assert.deepStrictEqual((yield* integrity(handle, "open")).findings, [])
        // A stream begun after the upgrade is not sealed.
        yield* handle.store.append("new", 0, [started("new")])
        assert.isUndefined(yield* handle.store.chainSeal("new"))
        handle.close()
      }),
    )

    it.effect("detects tampering made after the upgrade, in the sealed part and after it", () =>
      Effect.gen(function* () {
        const path = freshPath().replace("/events.db", "-v2.db")
        writeSchema2Store(path, streams)
        const handle = openSqliteStore(path)
        yield* handle.store.append("open", 3, [agentMessage("after the upgrade")])
        const db = raw(path)
        db.prepare("UPDATE events SET body = json_set(body, '$.text', 'changed') WHERE episode_id = 'done' AND seq = 2").run()
        db.prepare("UPDATE events SET body = json_set(body, '$.text', 'changed') WHERE episode_id = 'open' AND seq = 3").run()
        db.close()
        const done = yield* integrity(handle, "done")
        assert.deepStrictEqual(
          done.findings.map((f) => [f.episodeId, f.seq, f.kind, f.looksLike]),
          [["done", 2, "chain", "edited"]],
        )
        assert.strictEqual(done.seal?.throughSeq, 6)
        const open = yield* integrity(handle, "open")
        assert.deepStrictEqual(
          open.findings.map((f) => [f.episodeId, f.seq, f.kind, f.looksLike]),
          [["open", 3, "chain", "edited"]],
        )
        handle.close()
      }),
    )

    it("is idempotent: rerunning the upgrade changes no hash and no seal", () => {
      const path = freshPath().replace("/events.db", "-v2.db")
      writeSchema2Store(path, streams)
      openSqliteStore(path).close()
      const snapshot = () => {
        const db = raw(path)
        const state = {
          hashes: db.prepare("SELECT episode_id, seq, hash FROM events ORDER BY episode_id, seq").all(),
          seals: db.prepare("SELECT * FROM chain_seals ORDER BY episode_id").all(),
        }
        db.close()
        return state
      }
      const first = snapshot()
      assert.strictEqual(first.seals.length, 2)
      const db = raw(path)
      db.pragma("user_version = 2")
      db.close()
      openSqliteStore(path).close()
      assert.deepStrictEqual(snapshot(), first)
    })
  })

  describe("upgrading a store written before the message pool (schema 3)", () => {
    const greeting = { role: "user", content: "Hi, I want to cancel my reservation ZFA04Y." }
    const first = conversationCall([SYSTEM_PROMPT, greeting], { requestHash: "1".repeat(64) })
    const streams = { done: [started("done"), first, agentMessage(), ended()], open: [started("open"), first] }

    it.effect("keeps every old row byte for byte and reads it as before; new model calls are pooled and chain on", () =>
      Effect.gen(function* () {
        const path = freshPath().replace("/events.db", "-v3.db")
        writeSchema3Store(path, streams)
        const before = raw(path)
        const oldRows = before.prepare("SELECT * FROM events ORDER BY episode_id, seq").all()
        before.close()
        const handle = openSqliteStore(path)
        const db = raw(path)
        assert.strictEqual(db.pragma("user_version", { simple: true }), SCHEMA_VERSION)
        assert.deepStrictEqual(db.prepare("SELECT * FROM events ORDER BY episode_id, seq").all(), oldRows)
        assert.deepStrictEqual(db.prepare("SELECT count(*) AS n FROM blobs").get(), { n: 0 })
        db.close()
        for (const [episodeId, events] of Object.entries(streams)) {
          assert.deepStrictEqual(
            (yield* handle.store.read(episodeId)).map((s) => s.event),
            events,
          )
          const report = yield* integrity(handle, episodeId)
          assert.deepStrictEqual([report.findings, report.seal], [[], undefined])
        }
        // The cache still finds the old, un-pooled call.
        assert.deepStrictEqual(yield* handle.store.findModelResponse("1".repeat(64)), first)
        // The open stream goes on: its next call is pooled, chained from the old row's hash.
        const next = conversationCall([SYSTEM_PROMPT, greeting, { role: "assistant", content: "Let me look.", toolCalls: [] }])
        yield* handle.store.append("open", 2, [next, ended()])
        const rows = yield* handle.store.readRaw("open")
        assert.deepStrictEqual(
          rows.map((r) => r.hash),
          chainOf(rows),
        )
        assert.include(rows[2].body, '"$pool":1')
        assert.notInclude(rows[2].body, greeting.content)
        assert.deepStrictEqual(
          (yield* handle.store.read("open")).map((s) => s.event),
          [...streams.open, next, ended()],
        )
        assert.deepStrictEqual((yield* integrity(handle, "open")).findings, [])
        handle.close()
      }),
    )
  })

  it("the model response cache's lookup by request hash uses the request index on pooled rows", () => {
    const path = freshPath()
    const handle = openSqliteStore(path)
    Effect.runSync(handle.store.append("ep", 0, [started("ep"), conversationCall([SYSTEM_PROMPT], { requestHash: "c".repeat(64) })]))
    handle.close()
    const db = raw(path)
    // The lookup's own WHERE clause (sqlite.ts), as the planner sees it.
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT episode_id, seq, recorded_at, body FROM events
         WHERE tag = 'ModelCalled' AND ${MODEL_REQUEST_HASH} = +? AND json_extract(body, '$.error') IS NULL ORDER BY rowid LIMIT 1`,
      )
      .all("c".repeat(64)) as Array<{ detail: string }>
    assert.isTrue(
      plan.some((step) => step.detail.includes("events_model_request")),
      JSON.stringify(plan),
    )
    const hit = db.prepare(`SELECT seq FROM events WHERE tag = 'ModelCalled' AND ${MODEL_REQUEST_HASH} = ?`).all("c".repeat(64))
    assert.deepStrictEqual(hit, [{ seq: 1 }])
    db.close()
  })

  describe("prepared statements", () => {
    it("are compiled once, not again on every call (a bare `= ?` SQLite's planner peeks at is re-prepared on each binding)", () => {
      const handle = openSqliteStore(freshPath())
      const { store } = handle
      const requestHash = "c".repeat(64)
      Effect.runSync(store.append("ep", 0, [started("ep"), conversationCall([SYSTEM_PROMPT], { requestHash })]))
      // The stream's head, its raw rows, the score chain's head, the scores, the response cache.
      const round = (i: number) => {
        Effect.runSync(store.append("ep", 2 + i, [userMessage(`turn ${i}`)]))
        Effect.runSync(store.readRaw("ep"))
        Effect.runSync(store.appendScore({ episodeId: "ep", evaluator: "e", evaluatorVersion: "1", reward: 1, breakdown: {}, recordedAt: "t" }))
        Effect.runSync(store.listScores("ep"))
        assert.isDefined(Effect.runSync(store.findModelResponse(requestHash)))
      }
      // Each statement's factory is compiled the first time it returns a row (the score head: in
      // the second round); after that, none again.
      assert.isAbove(
        rowFactoriesCompiled(() => [0, 1].forEach(round)),
        0,
        "row factories are compiled as this test counts them",
      )
      const compiled = rowFactoriesCompiled(() => {
        for (let i = 2; i < 42; i++) round(i)
      })
      handle.close()
      assert.strictEqual(compiled, 0)
    })
  })

  describe("opening only an existing store (mustExist)", () => {
    it.effect("fails with 'no event store at <path>' and creates neither the file nor its directory", () =>
      Effect.gen(function* () {
        const dir = join(root, `absent-${files++}`)
        const path = join(dir, "nested", "events.db")
        assert.throws(() => openSqliteStore(path, { mustExist: true }), StoreError, `no event store at ${path}`)
        const exit = yield* Effect.exit(
          Effect.provide(
            Effect.gen(function* () {
              return yield* EventStore
            }),
            layerSqlite(path, { mustExist: true }),
          ),
        )
        assert.isTrue(Exit.isFailure(exit) && exit.cause.reasons.some((r) => r._tag === "Fail" && r.error instanceof StoreError))
        assert.isFalse(existsSync(dir))
        // In an existing directory, no file appears either.
        const beside = join(root, `absent-file-${files++}.db`)
        assert.throws(() => openSqliteStore(beside, { mustExist: true }), StoreError, /no event store at/)
        assert.isFalse(readdirSync(root).some((name) => name.startsWith(`absent-file-${files - 1}`)))
      }),
    )

    it.effect("opens an existing store as usual", () =>
      Effect.gen(function* () {
        const path = freshPath()
        const writer = openSqliteStore(path)
        yield* writer.store.append("ep", 0, [started("ep")])
        writer.close()
        const reader = openSqliteStore(path, { mustExist: true })
        assert.strictEqual((yield* reader.store.read("ep")).length, 1)
        reader.close()
      }),
    )

    it("rejects an empty path (which SQLite would take as a throwaway database); :memory: stays allowed", () => {
      assert.throws(() => openSqliteStore(""), StoreError, /path is empty/)
      assert.throws(() => openSqliteStore("", { mustExist: true }), StoreError, /path is empty/)
      const memory = openSqliteStore(":memory:")
      Effect.runSync(memory.store.append("ep", 0, [started("ep")]))
      memory.close()
      openSqliteStore(":memory:", { mustExist: true }).close()
    })
  })

  it.effect("an append whose score write fails inside the transaction leaves no events, read model or score", () =>
    Effect.gen(function* () {
      const path = freshPath()
      const handle = openSqliteStore(path)
      // A failure only the database sees (like a full disk at the score insert).
      const db = raw(path)
      db.exec("CREATE TRIGGER fail_scores BEFORE INSERT ON scores BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END")
      db.close()
      const score = { episodeId: "ep", evaluator: "tau2", evaluatorVersion: "1", reward: 1, breakdown: {}, recordedAt: "x" }
      const error = yield* Effect.flip(handle.store.append("ep", 0, fullEpisode("ep"), { scores: [score] }))
      assert.instanceOf(error, StoreError)
      assert.match(error.message, /simulated/)
      assert.deepStrictEqual(yield* handle.store.readRaw("ep"), [])
      assert.isUndefined(yield* handle.store.getEpisode("ep"))
      // Once the failure is gone, the same append goes through whole.
      const fix = raw(path)
      fix.exec("DROP TRIGGER fail_scores")
      fix.close()
      assert.strictEqual(yield* handle.store.append("ep", 0, fullEpisode("ep"), { scores: [score] }), 7)
      assert.strictEqual((yield* handle.store.listScores("ep")).length, 1)
      assert.deepStrictEqual((yield* integrity(handle, "ep")).findings, [])
      handle.close()
    }),
  )

  it.effect(
    "createRun: of four processes racing to create one run, exactly one creates it and all see its config",
    () =>
      Effect.gen(function* () {
        const path = freshPath()
        openSqliteStore(path).close()
        const racers = ["a", "b", "c", "d"]
        const results = (yield* Effect.promise(() =>
          runTogether(
            join(import.meta.dirname, "fixtures", "create-run.ts"),
            racers.map((racer) => [path, "run-x", racer]),
            `${path}.create-go`,
          ),
        )) as Array<{ created: boolean; racer: string }>
        const winners = results.filter((r) => r.created)
        assert.strictEqual(winners.length, 1)
        assert.isTrue(results.every((r) => r.racer === winners[0].racer))
        const check = openSqliteStore(path)
        assert.deepStrictEqual((yield* check.store.getRun("run-x"))?.config, { racer: winners[0].racer })
        assert.strictEqual((yield* check.store.listRuns()).length, 1)
        check.close()
      }),
    60_000,
  )

  it.effect(
    "leases across processes: a live holder is refused; after kill -9 its lease is taken over at once",
    () =>
      Effect.gen(function* () {
        const path = freshPath()
        openSqliteStore(path).close()
        const first = yield* Effect.promise(() => leaseHolder(path, "run:r1", "first"))
        assert.deepStrictEqual(first.result, { acquired: true })
        const handle = openSqliteStore(path)
        const me = { id: "me", pid: process.pid, host: hostname(), acquiredAt: new Date().toISOString() }
        const hour = 60 * 60 * 1000
        const refused = yield* handle.store.acquireLease("run:r1", me, hour)
        assert.isFalse(refused.acquired)
        assert.deepStrictEqual(refused.acquired ? undefined : [refused.holder.id, refused.holder.pid], ["first", first.child.pid])
        // A second process is refused as well, and says who holds it.
        const second = yield* Effect.promise(() => leaseHolder(path, "run:r1", "second"))
        assert.strictEqual(second.result.acquired, false)
        second.child.stdin?.end()
        yield* Effect.promise(() => once(second.child, "exit"))
        // kill -9: the holder cannot release; its pid is gone, so the lease is free at once.
        first.child.kill("SIGKILL")
        yield* Effect.promise(() => once(first.child, "exit"))
        assert.deepStrictEqual(yield* handle.store.acquireLease("run:r1", me, hour), { acquired: true })
        assert.isFalse(yield* handle.store.renewLease("run:r1", "first"))
        assert.isTrue(yield* handle.store.renewLease("run:r1", "me"))
        handle.close()
      }),
    60_000,
  )

  it.effect("leases: a holder on another host is trusted until its heartbeat is older than staleAfterMs", () =>
    Effect.gen(function* () {
      const path = freshPath()
      const handle = openSqliteStore(path)
      const remote = { id: "remote", pid: 1, host: `elsewhere-${hostname()}`, acquiredAt: "2025-01-01T00:00:00.000Z" }
      assert.deepStrictEqual(yield* handle.store.acquireLease("run:r1", remote, 60_000), { acquired: true })
      const me = { id: "me", pid: process.pid, host: hostname(), acquiredAt: "2025-01-01T00:00:01.000Z" }
      assert.isFalse((yield* handle.store.acquireLease("run:r1", me, 60_000)).acquired)
      // Its last heartbeat, as if it stopped an hour ago (by the Clock the store reads).
      const db = raw(path)
      db.prepare("UPDATE leases SET heartbeat_at_ms = ? WHERE name = 'run:r1'").run((yield* Clock.currentTimeMillis) - 60 * 60 * 1000)
      db.close()
      assert.isFalse((yield* handle.store.acquireLease("run:r1", me, 2 * 60 * 60 * 1000)).acquired)
      assert.deepStrictEqual(yield* handle.store.acquireLease("run:r1", me, 60_000), { acquired: true })
      assert.isFalse(yield* handle.store.renewLease("run:r1", "remote"))
      handle.close()
    }),
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
