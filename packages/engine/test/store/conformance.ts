/**
 * The behaviour every event store must have. Each implementation's spec calls
 * `storeConformance(name, makeStore)` with a factory that opens a fresh, empty store.
 */
import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import { encodeEvent, type EpisodeEvent, type ModelCalled } from "../../src/events.ts"
import { CHAIN_START, chainHash } from "../../src/store/chain.ts"
import {
  EventStore,
  StoreError,
  VersionConflict,
  type EventStoreShape,
  type LeaseHolder,
  type RawStoredRow,
  type ScoreRecord,
} from "../../src/store/event-store.ts"
import { checkStreamIntegrity } from "../../src/store/integrity.ts"
import type { StoreHandle } from "../../src/store/store-handle.ts"
import { blobAddress } from "../../src/store/message-pool.ts"
import {
  agentMessage,
  arbLaterEvent,
  conversationCall,
  ended,
  episodeStartedV1Json,
  fullEpisode,
  modelCalled,
  splitAt,
  started,
  SYSTEM_PROMPT,
  toolExecuted,
  userMessage,
  wellFormed,
} from "./sample-events.ts"

/** Runs `use` against a fresh store and closes it afterwards. */
const withStore =
  (makeStore: () => StoreHandle) =>
  <A, E>(use: (store: EventStoreShape, handle: StoreHandle) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.acquireUseRelease(
      Effect.sync(makeStore),
      (handle) => use(handle.store, handle),
      (handle) => Effect.sync(handle.close),
    )

const events = (stored: ReadonlyArray<{ readonly event: EpisodeEvent }>) => stored.map((s) => s.event)
const seqs = (stored: ReadonlyArray<{ readonly seq: number }>) => stored.map((s) => s.seq)

const score = (episodeId: string, reward: number, evaluator = "tau2"): ScoreRecord => ({
  episodeId,
  evaluator,
  evaluatorVersion: "1",
  reward,
  breakdown: { reward, reward_basis: ["DB", "COMMUNICATE"], info: { db_match: reward === 1, nested: [1.5, null] } },
  recordedAt: "2025-01-02T03:04:05.000Z",
})

/** Recomputes a stream's chain from its rows' content: what an untouched stream's hashes must be. */
const expectedHashes = (rows: ReadonlyArray<RawStoredRow>): Array<string> => {
  let prev = CHAIN_START
  return rows.map((row) => (prev = chainHash(row.episodeId, prev, row.seq, row.tag, row.v, row.body)))
}

const integrityOf = (store: EventStoreShape, episodeId: string) =>
  checkStreamIntegrity(episodeId).pipe(Effect.provideService(EventStore, store))

/** The pid of a process that has exited (so a lease it held is stale at once). */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", ""])
  if (child.pid === undefined || child.status !== 0) throw new Error("could not run a short-lived child process")
  return child.pid
}

const holder = (id: string, overrides: Partial<LeaseHolder> = {}): LeaseHolder => ({
  id,
  pid: process.pid,
  host: hostname(),
  acquiredAt: "2025-01-01T00:00:00.000Z",
  ...overrides,
})

export const storeConformance = (name: string, makeStore: () => StoreHandle): void => {
  const using = withStore(makeStore)

  describe(`${name}: event store conformance`, () => {
    it.effect("round-trips one event of every type, with seq 0.. and one recordedAt per append", () =>
      using((store) =>
        Effect.gen(function* () {
          const episode = fullEpisode("ep-1")
          const before = Date.now()
          const version = yield* store.append("ep-1", 0, episode)
          assert.strictEqual(version, episode.length)
          const stored = yield* store.read("ep-1")
          assert.deepStrictEqual(events(stored), episode)
          assert.deepStrictEqual(seqs(stored), [0, 1, 2, 3, 4, 5, 6])
          assert.isTrue(stored.every((s) => s.episodeId === "ep-1"))
          assert.strictEqual(new Set(stored.map((s) => s.recordedAt)).size, 1)
          const recordedAt = Date.parse(stored[0].recordedAt)
          assert.strictEqual(new Date(recordedAt).toISOString(), stored[0].recordedAt)
          assert.isTrue(recordedAt >= before - 1000 && recordedAt <= Date.now() + 1000)
        }),
      ),
    )

    it.effect("keeps seq gapless across appends and returns the new version each time", () =>
      using((store) =>
        Effect.gen(function* () {
          assert.strictEqual(yield* store.append("ep", 0, [started("ep")]), 1)
          assert.strictEqual(yield* store.append("ep", 1, [agentMessage(), userMessage("hi"), agentMessage(null)]), 4)
          assert.strictEqual(yield* store.append("ep", 4, []), 4)
          assert.strictEqual(yield* store.append("ep", 4, [toolExecuted(), ended()]), 6)
          const stored = yield* store.read("ep")
          assert.deepStrictEqual(seqs(stored), [0, 1, 2, 3, 4, 5])
          assert.deepStrictEqual(
            stored.map((s) => s.event._tag),
            ["EpisodeStarted", "MessageSent", "MessageSent", "MessageSent", "ToolExecuted", "EpisodeEnded"],
          )
          assert.deepStrictEqual(yield* store.read("other"), [])
        }),
      ),
    )

    it.effect("rejects a stale or future expected version with a typed VersionConflict and loses nothing", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep"), agentMessage()])
          for (const expected of [0, 1, 3]) {
            const error = yield* Effect.flip(store.append("ep", expected, [userMessage(`stale ${expected}`)]))
            assert.instanceOf(error, VersionConflict)
            assert.strictEqual(error._tag, "VersionConflict")
            if (error._tag === "VersionConflict") {
              assert.deepStrictEqual([error.episodeId, error.expected, error.actual], ["ep", expected, 2])
            }
          }
          const fresh = yield* Effect.flip(store.append("new", 1, [started("new")]))
          assert.strictEqual(fresh._tag, "VersionConflict")
          // An empty append still checks the version.
          assert.strictEqual((yield* Effect.flip(store.append("ep", 5, [])))._tag, "VersionConflict")
          assert.deepStrictEqual(events(yield* store.read("ep")), [started("ep"), agentMessage()])
          assert.strictEqual((yield* store.getEpisode("ep"))?.version, 2)
          assert.deepStrictEqual(yield* store.read("new"), [])
          assert.isUndefined(yield* store.getEpisode("new"))
        }),
      ),
    )

    it.effect("lets exactly one of two writers with the same expected version win", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep")])
          const results = yield* Effect.all(
            [store.append("ep", 1, [userMessage("writer A")]), store.append("ep", 1, [userMessage("writer B")])],
            { concurrency: "unbounded", mode: "result" },
          )
          const winners = results.filter((r) => r._tag === "Success")
          const losers = results.filter((r) => r._tag === "Failure")
          assert.strictEqual(winners.length, 1)
          assert.strictEqual(losers.length, 1)
          assert.strictEqual(losers[0]._tag === "Failure" && losers[0].failure._tag, "VersionConflict")
          const stored = yield* store.read("ep")
          assert.strictEqual(stored.length, 2)
          const winner = results[0]._tag === "Success" ? "writer A" : "writer B"
          assert.deepStrictEqual(stored[1].event, userMessage(winner))
        }),
      ),
    )

    it.effect("serialises many concurrent writers that retry on conflict: every event lands exactly once", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep")])
          const writer = (id: number) =>
            Effect.forEach(
              [0, 1, 2, 3, 4],
              (i) => {
                const attempt: Effect.Effect<number, StoreError> = Effect.flatMap(store.read("ep"), (current) =>
                  store.append("ep", current.length, [userMessage(`w${id}-${i}`)]),
                ).pipe(
                  Effect.catchTag("VersionConflict", () => Effect.yieldNow.pipe(Effect.flatMap(() => attempt))),
                )
                return attempt
              },
              { discard: true },
            )
          yield* Effect.all([0, 1, 2, 3].map(writer), { concurrency: "unbounded" })
          const stored = yield* store.read("ep")
          assert.deepStrictEqual(seqs(stored), Array.from({ length: 21 }, (_, i) => i))
          const texts = stored.slice(1).map((s) => (s.event._tag === "MessageSent" ? s.event.text : null))
          const expected = [0, 1, 2, 3].flatMap((w) => [0, 1, 2, 3, 4].map((i) => `w${w}-${i}`))
          assert.deepStrictEqual([...texts].sort(), [...expected].sort())
          // Each writer's own events keep their order.
          for (let w = 0; w < 4; w++) {
            const own = texts.filter((t) => t?.startsWith(`w${w}-`))
            assert.deepStrictEqual(own, [0, 1, 2, 3, 4].map((i) => `w${w}-${i}`))
          }
          assert.strictEqual((yield* store.getEpisode("ep"))?.version, 21)
        }),
      ),
    )

    it.effect("reads ranges with an inclusive start and exclusive end", () =>
      using((store) =>
        Effect.gen(function* () {
          const episode = fullEpisode("ep")
          yield* store.append("ep", 0, episode)
          assert.deepStrictEqual(seqs(yield* store.read("ep", { fromSeq: 2 })), [2, 3, 4, 5, 6])
          assert.deepStrictEqual(seqs(yield* store.read("ep", { toSeq: 3 })), [0, 1, 2])
          assert.deepStrictEqual(seqs(yield* store.read("ep", { fromSeq: 1, toSeq: 4 })), [1, 2, 3])
          assert.deepStrictEqual(events(yield* store.read("ep", { fromSeq: 5, toSeq: 6 })), [episode[5]])
          assert.deepStrictEqual(yield* store.read("ep", { fromSeq: 3, toSeq: 3 }), [])
          assert.deepStrictEqual(yield* store.read("ep", { fromSeq: 7 }), [])
          assert.deepStrictEqual(yield* store.read("ep", { fromSeq: 4, toSeq: 2 }), [])
          assert.deepStrictEqual(seqs(yield* store.read("ep", { fromSeq: 0, toSeq: 100 })), [0, 1, 2, 3, 4, 5, 6])
        }),
      ),
    )

    it.effect("maintains the episodes read model: status, reason, version, parent, filters, start order", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("a", 0, [started("a", { runId: "r1", taskId: "t1", trial: 0 })])
          let a = yield* store.getEpisode("a")
          assert.deepStrictEqual(a, {
            episodeId: "a",
            runId: "r1",
            domain: "airline",
            taskId: "t1",
            trial: 0,
            status: "running",
            terminationReason: null,
            version: 1,
            parentEpisodeId: null,
            parentSeq: null,
            reward: null,
          })
          yield* store.append("a", 1, [agentMessage(), userMessage("hello")])
          a = yield* store.getEpisode("a")
          assert.strictEqual(a?.version, 3)
          assert.strictEqual(a?.status, "running")
          yield* store.append("a", 3, [ended("max_steps")])
          a = yield* store.getEpisode("a")
          assert.deepStrictEqual([a?.status, a?.terminationReason, a?.version], ["ended", "max_steps", 4])

          // A branch started and ended in one append; its parent is recorded.
          yield* store.append("b", 0, [
            started("b", { runId: "r2", taskId: "t1", trial: 1, parent: { episodeId: "a", seq: 2 } }),
            ended("too_many_errors"),
          ])
          const b = yield* store.getEpisode("b")
          assert.deepStrictEqual(
            [b?.runId, b?.trial, b?.status, b?.terminationReason, b?.version, b?.parentEpisodeId, b?.parentSeq],
            ["r2", 1, "ended", "too_many_errors", 2, "a", 2],
          )
          yield* store.append("c", 0, [started("c", { runId: "r1", taskId: "t2" })])

          const ids = (rows: ReadonlyArray<{ readonly episodeId: string }>) => rows.map((r) => r.episodeId)
          assert.deepStrictEqual(ids(yield* store.listEpisodes()), ["a", "b", "c"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({})), ["a", "b", "c"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({ runId: "r1" })), ["a", "c"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({ status: "ended" })), ["a", "b"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({ status: "running" })), ["c"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({ runId: "r1", status: "ended" })), ["a"])
          assert.deepStrictEqual(ids(yield* store.listEpisodes({ runId: "nope" })), [])
          const c = yield* store.getEpisode("c")
          assert.deepStrictEqual(yield* store.listEpisodes({ runId: "r1", status: "running" }), c ? [c] : [])
          assert.isUndefined(yield* store.getEpisode("missing"))
        }),
      ),
    )

    it.effect("keeps every score, oldest first, and puts the latest reward on the episode row", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep"), ended()])
          yield* store.append("other", 0, [started("other")])
          yield* store.appendScore(score("ep", 1))
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 1)
          yield* store.appendScore(score("ep", 0.25, "tau2-rescored"))
          const listed = yield* store.listScores("ep")
          assert.deepStrictEqual(listed, [score("ep", 1), score("ep", 0.25, "tau2-rescored")])
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 0.25)
          assert.isNull((yield* store.getEpisode("other"))?.reward)
          assert.deepStrictEqual(yield* store.listScores("other"), [])
          // Scoring does not touch the stream's version.
          assert.strictEqual((yield* store.getEpisode("ep"))?.version, 2)

          const unknown = yield* Effect.flip(store.appendScore(score("missing", 1)))
          assert.instanceOf(unknown, StoreError)
          assert.match(unknown.message, /missing/)
          const notFinite = yield* Effect.flip(store.appendScore(score("ep", Number.NaN)))
          assert.instanceOf(notFinite, StoreError)
          const notJson = yield* Effect.flip(store.appendScore({ ...score("ep", 0), breakdown: { big: 1n } }))
          assert.instanceOf(notJson, StoreError)
          assert.strictEqual((yield* store.listScores("ep")).length, 2)
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 0.25)
        }),
      ),
    )

    it.effect("stores runs: put, get, list in first-put order, put again replaces in place", () =>
      using((store) =>
        Effect.gen(function* () {
          const run1 = {
            runId: "r1",
            createdAt: "2025-01-01T00:00:00.000Z",
            config: { domain: "airline", trials: 4, seed: 300, temperature: 0.5, participants: { agent: "llm" } },
            experiment: null,
          }
          const run2 = { runId: "r2", createdAt: "2024-12-31T00:00:00.000Z", config: {}, experiment: "ablation" }
          yield* store.putRun(run1)
          yield* store.putRun(run2)
          assert.deepStrictEqual(yield* store.getRun("r1"), run1)
          assert.deepStrictEqual(yield* store.getRun("r2"), run2)
          assert.isUndefined(yield* store.getRun("r3"))
          assert.deepStrictEqual(yield* store.listRuns(), [run1, run2])
          const updated = { ...run1, config: { ...run1.config, trials: 5 }, experiment: "exp" }
          yield* store.putRun(updated)
          assert.deepStrictEqual(yield* store.listRuns(), [updated, run2])
          const notJson = yield* Effect.flip(store.putRun({ ...run2, config: { f: 1n } }))
          assert.instanceOf(notJson, StoreError)
          assert.deepStrictEqual(yield* store.getRun("r2"), run2)
        }),
      ),
    )

    it.effect("upcasts a stored v1 EpisodeStarted to v2 on read", () =>
      using((store, handle) =>
        Effect.gen(function* () {
          handle.writeRawEvent({
            episodeId: "old",
            seq: 0,
            recordedAt: "2024-06-01T00:00:00.000Z",
            tag: "EpisodeStarted",
            v: 1,
            body: episodeStartedV1Json("old"),
          })
          const [first] = yield* store.read("old")
          assert.strictEqual(first.recordedAt, "2024-06-01T00:00:00.000Z")
          assert.deepStrictEqual(first.event, {
            _tag: "EpisodeStarted",
            v: 2,
            runId: "run-old",
            episodeId: "old",
            domain: "retail",
            taskId: "3",
            trial: 2,
            hashes: { task: "a", policy: "b", data: "c" },
            dataDir: null,
            policyVariant: "default",
            mode: "default",
            agent: "llm:gpt-4o",
            user: "llm:gpt-4o",
            seed: 42,
            limits: { maxSteps: 200, maxErrors: 10 },
            engineVersion: "0.0.1",
            parent: null,
          })
          // The old stream continues at the next seq.
          assert.strictEqual(yield* store.append("old", 1, [ended()]), 2)
        }),
      ),
    )

    it.effect("fails a read of an unreadable row with a StoreError naming episode and seq", () =>
      using((store, handle) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep"), agentMessage()])
          const raw = { episodeId: "ep", recordedAt: "2025-01-01T00:00:00.000Z", tag: "MessageSent", v: 1 }
          handle.writeRawEvent({ ...raw, seq: 2, body: '{"_tag":"MessageSent","v":1,"role":"agent"' })
          const error = yield* Effect.flip(store.read("ep"))
          assert.instanceOf(error, StoreError)
          assert.deepStrictEqual([error.episodeId, error.seq], ["ep", 2])
          assert.match(error.message, /ep#2/)
          // The rows before it are still readable.
          assert.strictEqual((yield* store.read("ep", { toSeq: 2 })).length, 2)
          handle.writeRawEvent({ ...raw, seq: 3, tag: "Teleported", body: '{"_tag":"Teleported","v":1}' })
          const unknownTag = yield* Effect.flip(store.read("ep", { fromSeq: 3 }))
          assert.deepStrictEqual([unknownTag.episodeId, unknownTag.seq], ["ep", 3])
        }),
      ),
    )

    it.effect("finds the first successful model call with a request hash, in any episode, skipping failed attempts", () =>
      using((store, handle) =>
        Effect.gen(function* () {
          const hash = "a".repeat(64)
          const call = (overrides: Partial<ModelCalled>): ModelCalled => ({ ...modelCalled(), requestHash: hash, ...overrides })
          assert.isUndefined(yield* store.findModelResponse(hash))
          // A failed attempt is never an answer.
          yield* store.append("ep-a", 0, [started("ep-a"), call({ error: "rate_limited (HTTP 429)", response: { error: "x" }, attempt: 1 })])
          assert.isUndefined(yield* store.findModelResponse(hash))
          // Unreadable raw rows and other hashes are passed over.
          handle.writeRawEvent({ episodeId: "ep-a", seq: 2, recordedAt: "2025-01-01T00:00:00.000Z", tag: "ModelCalled", v: 1, body: `{"requestHash":"${hash}"` })
          yield* store.append("ep-b", 0, [started("ep-b"), call({ requestHash: "b".repeat(64), cost: 9 })])
          const first = call({ attempt: 2, cost: 0.5 })
          yield* store.append("ep-b", 2, [first, agentMessage()])
          yield* store.append("ep-c", 0, [started("ep-c"), call({ attempt: 1, cost: 0.25 })])
          assert.deepStrictEqual(yield* store.findModelResponse(hash), first)
          assert.strictEqual((yield* store.findModelResponse("b".repeat(64)))?.cost, 9)
          assert.isUndefined(yield* store.findModelResponse("c".repeat(64)))
        }),
      ),
    )

    it.effect("rejects appends that break the stream's shape or hold invalid events, writing nothing", () =>
      using((store) =>
        Effect.gen(function* () {
          const rejected = (effect: Effect.Effect<number, VersionConflict | StoreError>) =>
            Effect.map(Effect.flip(effect), (error) => {
              assert.instanceOf(error, StoreError)
              return error.message
            })
          assert.match(yield* rejected(store.append("ep", 0, [agentMessage()])), /start with EpisodeStarted/)
          assert.match(yield* rejected(store.append("ep", 0, [started("someone-else")])), /someone-else/)
          assert.match(yield* rejected(store.append("ep", -1, [started("ep")])), /non-negative/)
          yield* store.append("ep", 0, [started("ep")])
          assert.match(yield* rejected(store.append("ep", 1, [agentMessage(), started("ep")])), /seq 2/)
          const invalid = { ...agentMessage(), role: "robot" } as unknown as EpisodeEvent
          assert.match(yield* rejected(store.append("ep", 1, [agentMessage(), invalid])), /event 1 of the append/)
          // Nothing follows an EpisodeEnded: not in the same batch, nor in a later one.
          assert.match(yield* rejected(store.append("ep", 1, [ended(), agentMessage()])), /ep has ended: MessageSent at seq 2/)
          assert.match(yield* rejected(store.append("ep", 1, [ended(), ended()])), /has ended/)
          assert.deepStrictEqual(events(yield* store.read("ep")), [started("ep")])
          assert.strictEqual((yield* store.getEpisode("ep"))?.version, 1)
          yield* store.append("ep", 1, [ended()])
          assert.match(yield* rejected(store.append("ep", 2, [userMessage("too late")])), /has ended/)
          assert.deepStrictEqual(events(yield* store.read("ep")), [started("ep"), ended()])
          assert.strictEqual((yield* store.getEpisode("ep"))?.status, "ended")
        }),
      ),
    )

    it.effect("chains every row: each stored hash covers its episode, seq, tag, version, body and the previous hash", () =>
      using((store) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep"), agentMessage()])
          yield* store.append("ep", 2, [])
          yield* store.append("ep", 2, [userMessage("hi"), toolExecuted(), modelCalled(), ended()])
          yield* store.append("other", 0, [started("other"), agentMessage()])
          const rows = yield* store.readRaw("ep")
          assert.deepStrictEqual(rows.map((r) => r.seq), [0, 1, 2, 3, 4, 5])
          assert.isTrue(rows.every((r) => r.episodeId === "ep" && typeof r.hash === "string" && /^[0-9a-f]{64}$/.test(r.hash)))
          assert.deepStrictEqual(rows.map((r) => r.hash), expectedHashes(rows))
          // The rows are the stored ones: reading them decoded gives the same events.
          assert.deepStrictEqual(rows.map((r) => JSON.parse(r.body)._tag), rows.map((r) => r.tag))
          // Same content in another episode hashes differently (the episode is part of the chain).
          const other = yield* store.readRaw("other")
          assert.notStrictEqual(other[1].hash, rows[1].hash)
          assert.deepStrictEqual(yield* store.readRaw("missing"), [])
          // Appended through the store, nothing was hashed at an upgrade.
          assert.isUndefined(yield* store.chainSeal("ep"))
          assert.deepStrictEqual((yield* integrityOf(store, "ep")).findings, [])
        }),
      ),
    )

    it.effect("listStreamIds names every stream with events, in first-write order, read model or not", () =>
      using((store, handle) =>
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* store.listStreamIds(), [])
          yield* store.append("b", 0, [started("b")])
          yield* store.append("a", 0, [started("a")])
          yield* store.append("b", 1, [agentMessage()])
          // A row written raw (no read-model row) is still a stream.
          handle.writeRawEvent({ episodeId: "orphan", seq: 0, recordedAt: "2026-01-01T00:00:00.000Z", tag: "MessageSent", v: 1, body: "{}" })
          assert.deepStrictEqual(yield* store.listStreamIds(), ["b", "a", "orphan"])
          assert.deepStrictEqual((yield* store.listEpisodes()).map((e) => e.episodeId), ["b", "a"])
        }),
      ),
    )

    it.effect("readRaw returns raw rows as written, unreadable ones included, with their hash or null", () =>
      using((store, handle) =>
        Effect.gen(function* () {
          yield* store.append("ep", 0, [started("ep")])
          const raw = { episodeId: "ep", recordedAt: "2025-01-01T00:00:00.000Z", tag: "MessageSent", v: 1 }
          handle.writeRawEvent({ ...raw, seq: 1, body: "not json" })
          handle.writeRawEvent({ ...raw, seq: 2, body: "{}", hash: "f".repeat(64) })
          const rows = yield* store.readRaw("ep")
          assert.deepStrictEqual(rows.slice(1), [
            { ...raw, seq: 1, body: "not json", hash: null },
            { ...raw, seq: 2, body: "{}", hash: "f".repeat(64) },
          ])
          // The checker reports them instead of failing.
          const report = yield* integrityOf(store, "ep")
          assert.deepStrictEqual(
            report.findings.filter((f) => f.kind !== "read-model").map((f) => [f.seq, f.kind, f.looksLike]),
            [
              [1, "unreadable", undefined],
              [2, "unreadable", undefined],
              [1, "chain", "unsealed"],
              [2, "chain", "edited"],
            ],
          )
          // A stream continues after an unsealed row, chaining from the start value.
          yield* store.append("ep", 3, [ended()])
          const last = (yield* store.readRaw("ep"))[3]
          assert.strictEqual(last.hash, chainHash("ep", "f".repeat(64), 3, last.tag, last.v, last.body))
        }),
      ),
    )

    it.effect("appends scores with the events: events, read model and scores together", () =>
      using((store) =>
        Effect.gen(function* () {
          const version = yield* store.append("ep", 0, fullEpisode("ep"), { scores: [score("ep", 1), score("ep", 0.5, "second")] })
          assert.strictEqual(version, 7)
          assert.deepStrictEqual(yield* store.listScores("ep"), [score("ep", 1), score("ep", 0.5, "second")])
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 0.5)
          assert.strictEqual((yield* store.getEpisode("ep"))?.version, 7)
          // An empty batch stores its scores too, after the version check.
          assert.strictEqual(yield* store.append("ep", 7, [], { scores: [score("ep", 0.25)] }), 7)
          assert.strictEqual((yield* store.getEpisode("ep"))?.reward, 0.25)
          assert.deepStrictEqual((yield* integrityOf(store, "ep")).findings, [])
          // Later batches of an existing stream.
          yield* store.append("b", 0, [started("b")])
          yield* store.append("b", 1, [ended()], { scores: [score("b", 0)] })
          assert.deepStrictEqual([(yield* store.getEpisode("b"))?.status, (yield* store.getEpisode("b"))?.reward], ["ended", 0])
        }),
      ),
    )

    it.effect("an append whose scores cannot be stored stores nothing at all", () =>
      using((store) =>
        Effect.gen(function* () {
          const rejected = (scores: ReadonlyArray<ScoreRecord>, episodeId = "ep", version = 0) =>
            Effect.flip(store.append(episodeId, version, version === 0 ? fullEpisode(episodeId) : [ended()], { scores }))
          const nan = yield* rejected([score("ep", 1), score("ep", Number.NaN)])
          assert.instanceOf(nan, StoreError)
          assert.match(nan.message, /finite/)
          assert.match((yield* rejected([score("ep", 1), score("another", 1)])).message, /another/)
          assert.instanceOf(yield* rejected([{ ...score("ep", 1), breakdown: { big: 1n } }]), StoreError)
          assert.deepStrictEqual(yield* store.readRaw("ep"), [])
          assert.isUndefined(yield* store.getEpisode("ep"))
          assert.deepStrictEqual(yield* store.listScores("ep"), [])
          // On an existing stream: neither the events, the version nor a score change.
          yield* store.append("ep", 0, [started("ep")])
          assert.instanceOf(yield* rejected([score("ep", Number.POSITIVE_INFINITY)], "ep", 1), StoreError)
          const conflict = yield* Effect.flip(store.append("ep", 0, [ended()], { scores: [score("ep", 1)] }))
          assert.strictEqual(conflict._tag, "VersionConflict")
          assert.strictEqual((yield* store.readRaw("ep")).length, 1)
          assert.deepStrictEqual([(yield* store.getEpisode("ep"))?.version, (yield* store.getEpisode("ep"))?.reward], [1, null])
          assert.deepStrictEqual(yield* store.listScores("ep"), [])
          // Scores of a stream with no episode row (written raw) are refused.
          const noRow = yield* Effect.flip(store.append("ghost", 0, [], { scores: [score("ghost", 1)] }))
          assert.match(noRow.message, /no such episode/)
        }),
      ),
    )

    it.effect("createRun inserts a run once and never overwrites it; of racing creators one wins", () =>
      using((store) =>
        Effect.gen(function* () {
          const run = { runId: "r1", createdAt: "2025-01-01T00:00:00.000Z", config: { domain: "airline", trials: 2 }, experiment: null }
          assert.deepStrictEqual(yield* store.createRun(run), { created: true, run })
          const other = { ...run, createdAt: "2026-01-01T00:00:00.000Z", config: { domain: "retail" }, experiment: "x" }
          assert.deepStrictEqual(yield* store.createRun(other), { created: false, run })
          assert.deepStrictEqual(yield* store.getRun("r1"), run)
          const racers = [0, 1, 2, 3].map((i) => ({ ...run, runId: "r2", config: { racer: i } }))
          const results = yield* Effect.all(racers.map((r) => store.createRun(r)), { concurrency: "unbounded" })
          assert.strictEqual(results.filter((r) => r.created).length, 1)
          const winner = results.find((r) => r.created)?.run
          assert.isTrue(results.every((r) => JSON.stringify(r.run) === JSON.stringify(winner)))
          assert.deepStrictEqual(yield* store.getRun("r2"), winner)
          assert.instanceOf(yield* Effect.flip(store.createRun({ ...run, runId: "r3", config: { f: 1n } })), StoreError)
          assert.isUndefined(yield* store.getRun("r3"))
        }),
      ),
    )

    it.effect("leases: one holder at a time; a live holder is refused, a dead one on this host is taken over", () =>
      using((store) =>
        Effect.gen(function* () {
          const day = 24 * 60 * 60 * 1000
          assert.deepStrictEqual(yield* store.acquireLease("run:r1", holder("a"), day), { acquired: true })
          // Another holder while "a" (this live process) heartbeats: refused, told who holds it.
          assert.deepStrictEqual(yield* store.acquireLease("run:r1", holder("b", { acquiredAt: "later" }), day), {
            acquired: false,
            holder: holder("a"),
          })
          // Re-acquiring one's own lease succeeds and keeps the first acquisition time.
          assert.deepStrictEqual(yield* store.acquireLease("run:r1", holder("a", { acquiredAt: "again" }), day), { acquired: true })
          assert.isTrue(yield* store.renewLease("run:r1", "a"))
          assert.isFalse(yield* store.renewLease("run:r1", "b"))
          assert.isFalse(yield* store.renewLease("run:other", "a"))
          // Other names are independent.
          assert.deepStrictEqual(yield* store.acquireLease("run:r2", holder("b"), day), { acquired: true })
          // Releasing someone else's lease does nothing; one's own frees it.
          yield* store.releaseLease("run:r1", "b")
          assert.isFalse((yield* store.acquireLease("run:r1", holder("c"), day)).acquired)
          yield* store.releaseLease("run:r1", "a")
          assert.isFalse(yield* store.renewLease("run:r1", "a"))
          assert.deepStrictEqual(yield* store.acquireLease("run:r1", holder("c"), day), { acquired: true })

          // A holder on this host whose process is gone is taken over at once, however fresh its heartbeat.
          const dead = holder("dead", { pid: deadPid() })
          assert.deepStrictEqual(yield* store.acquireLease("run:r3", dead, day), { acquired: true })
          assert.deepStrictEqual(yield* store.acquireLease("run:r3", holder("next"), day), { acquired: true })
          assert.isFalse(yield* store.renewLease("run:r3", "dead"))
          // A holder on another host cannot be checked: its fresh heartbeat is trusted.
          const remote = holder("remote", { pid: deadPid(), host: `not-${hostname()}` })
          assert.deepStrictEqual(yield* store.acquireLease("run:r4", remote, day), { acquired: true })
          assert.deepStrictEqual(yield* store.acquireLease("run:r4", holder("local"), day), { acquired: false, holder: remote })
        }),
      ),
    )

    it.effect("pools model calls: conversations sharing a prefix read back exactly, each message node and tool set stored once", () =>
      using((store) =>
        Effect.gen(function* () {
          const greeting = { role: "user", content: "Hi, I want to cancel my reservation ZFA04Y." }
          const reply = { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "get_user_details", argumentsJson: "{}" }] }
          const result = { role: "tool", toolCallId: "call_1", toolName: "get_user_details", content: '{"balance": 2.0}' }
          const first = conversationCall([SYSTEM_PROMPT, greeting])
          const second = conversationCall([SYSTEM_PROMPT, greeting, reply, result], { attempt: 2 })
          const other = conversationCall([SYSTEM_PROMPT, { role: "user", content: "Hello ✈️ \ud83d" }])
          const a = [started("a"), first, agentMessage(null), second, ended()]
          // A short call is kept as it is: references would cost what they save.
          const b = [started("b"), other, modelCalled()]
          yield* store.append("a", 0, a.slice(0, 3))
          yield* store.append("a", 3, a.slice(3))
          yield* store.append("b", 0, b)
          assert.deepStrictEqual(events(yield* store.read("a")), a)
          assert.deepStrictEqual(events(yield* store.read("b")), b)
          assert.deepStrictEqual(events(yield* store.read("a", { fromSeq: 3, toSeq: 4 })), [second])

          // Stored: the rows refer to the pool; the system prompt is in none of them.
          const rowsB = yield* store.readRaw("b")
          assert.strictEqual(rowsB[2].body, encodeEvent(modelCalled()))
          const modelRows = [...(yield* store.readRaw("a")), ...rowsB.slice(0, 2)].filter((r) => r.tag === "ModelCalled")
          assert.strictEqual(modelRows.length, 3)
          const heads: Array<string> = []
          const toolSets: Array<string> = []
          for (const row of modelRows) {
            assert.notInclude(row.body, "Agents must confirm")
            const request = JSON.parse(row.body).request
            heads.push(request.messages.$ref)
            toolSets.push(request.tools.$ref)
          }
          assert.strictEqual(new Set(toolSets).size, 1)
          // Every node of every chain, fetched link by link.
          const nodes = new Map<string, string>()
          let wanted = [...new Set(heads)]
          while (wanted.length > 0) {
            const found = yield* store.readBlobs(wanted)
            assert.deepStrictEqual([...found.keys()].sort(), [...wanted].sort())
            wanted = []
            for (const [address, body] of found) {
              assert.strictEqual(address, blobAddress(body))
              nodes.set(address, body)
              const prev = JSON.parse(body).prev
              if (prev !== null && !nodes.has(prev)) wanted.push(prev)
            }
            wanted = [...new Set(wanted)].filter((address) => !nodes.has(address))
          }
          // system prompt, greeting, reply, tool result of "a"; the other greeting of "b": five nodes, the first shared.
          assert.strictEqual(nodes.size, 5)
          assert.strictEqual([...nodes.values()].filter((body) => body.includes("Agents must confirm")).length, 1)
          const tools = yield* store.readBlobs([toolSets[0], `sha256:${"0".repeat(64)}`])
          assert.deepStrictEqual([...tools.keys()], [toolSets[0]])
          assert.deepStrictEqual(JSON.parse(tools.get(toolSets[0]) ?? ""), first.request && (first.request as { tools: unknown }).tools)
          assert.deepStrictEqual((yield* integrityOf(store, "a")).findings, [])
          assert.deepStrictEqual((yield* integrityOf(store, "b")).findings, [])
        }),
      ),
    )

    it.effect("findModelResponse answers with the whole pooled call, conversation and tools rehydrated", () =>
      using((store) =>
        Effect.gen(function* () {
          const hash = "e".repeat(64)
          const call = conversationCall([SYSTEM_PROMPT, { role: "user", content: "Cancel it, please." }], { requestHash: hash })
          yield* store.append("ep", 0, [started("ep"), call])
          yield* store.append("later", 0, [started("later"), conversationCall([SYSTEM_PROMPT], { requestHash: hash, cost: 7 })])
          assert.deepStrictEqual(yield* store.findModelResponse(hash), call)
          assert.isUndefined(yield* store.findModelResponse("f".repeat(64)))
        }),
      ),
    )

    it.effect("a request that already holds reference-shaped values reads back as it was", () =>
      using((store) =>
        Effect.gen(function* () {
          const ref = { $ref: `sha256:${"a".repeat(64)}` }
          const calls = [
            conversationCall([ref, SYSTEM_PROMPT]),
            { ...conversationCall([]), request: { messages: ref, tools: [ref] } },
            { ...conversationCall([]), request: { messages: [SYSTEM_PROMPT], tools: ref } },
            { ...conversationCall([]), request: { messages: [], tools: [] } },
            { ...conversationCall([]), request: ["not", "an", "object"] },
          ]
          yield* store.append("ep", 0, [started("ep"), ...calls])
          assert.deepStrictEqual(events(yield* store.read("ep")).slice(1), calls)
          assert.deepStrictEqual((yield* integrityOf(store, "ep")).findings, [])
        }),
      ),
    )

    it.effect("property: a stream written only through append has no integrity findings", () =>
      using((store) =>
        Effect.promise(() => {
          let n = 0
          return fc.assert(
            fc.asyncProperty(
              fc.array(arbLaterEvent, { maxLength: 25 }),
              fc.array(fc.nat(), { maxLength: 6 }),
              fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
              async (later, cuts, rewards) => {
                const episodeId = `check-${n++}`
                let version = 0
                const batches = splitAt(wellFormed(started(episodeId, { parent: n % 2 ? { episodeId: "p", seq: 3 } : null }), later), cuts)
                for (const [i, batch] of batches.entries()) {
                  const scores = i === batches.length - 1 ? rewards.map((r) => score(episodeId, r)) : []
                  version = await Effect.runPromise(store.append(episodeId, version, batch, { scores }))
                }
                const report = await Effect.runPromise(integrityOf(store, episodeId))
                assert.deepStrictEqual(report.findings, [])
                assert.strictEqual(report.events, version)
              },
            ),
            { numRuns: 60 },
          )
        }),
      ),
    )

    it.effect("fails every operation with a StoreError once closed", () =>
      Effect.gen(function* () {
        const handle = makeStore()
        yield* handle.store.append("ep", 0, [started("ep")])
        handle.close()
        handle.close()
        const errors = yield* Effect.all([
          Effect.flip(handle.store.append("ep", 1, [ended()])),
          Effect.flip(handle.store.read("ep")),
          Effect.flip(handle.store.listEpisodes()),
          Effect.flip(handle.store.listRuns()),
          Effect.flip(handle.store.appendScore(score("ep", 1))),
          Effect.flip(handle.store.readRaw("ep")),
          Effect.flip(handle.store.createRun({ runId: "r", createdAt: "x", config: {}, experiment: null })),
          Effect.flip(handle.store.acquireLease("l", holder("a"), 1000)),
        ])
        for (const error of errors) assert.instanceOf(error, StoreError)
      }),
    )

    it.effect("property: any events split into any batches read back exactly, in order and by range", () =>
      using((store) =>
        Effect.promise(() => {
          let n = 0
          return fc.assert(
            fc.asyncProperty(
              fc.array(arbLaterEvent, { maxLength: 25 }),
              fc.array(fc.nat(), { maxLength: 6 }),
              fc.nat(),
              fc.nat(),
              async (later, cuts, a, b) => {
                const episodeId = `prop-${n++}`
                const all = wellFormed(started(episodeId), later)
                let version = 0
                for (const batch of splitAt(all, cuts)) {
                  const next = await Effect.runPromise(store.append(episodeId, version, batch))
                  assert.strictEqual(next, version + batch.length)
                  version = next
                }
                const stored = await Effect.runPromise(store.read(episodeId))
                assert.deepStrictEqual(events(stored), all)
                assert.deepStrictEqual(seqs(stored), all.map((_, i) => i))
                const [from, to] = [a % (all.length + 1), b % (all.length + 1)].sort((x, y) => x - y)
                const range = await Effect.runPromise(store.read(episodeId, { fromSeq: from, toSeq: to }))
                assert.deepStrictEqual(events(range), all.slice(from, to))
                const row = await Effect.runPromise(store.getEpisode(episodeId))
                const lastEnd = all.find((e) => e._tag === "EpisodeEnded")
                assert.strictEqual(row?.version, all.length)
                assert.strictEqual(row?.status, lastEnd ? "ended" : "running")
                assert.strictEqual(row?.terminationReason, lastEnd?._tag === "EpisodeEnded" ? lastEnd.reason : null)
              },
            ),
            { numRuns: 60 },
          )
        }),
      ),
    )

    it.effect("property: a batch appended at a stale version never changes the stream", () =>
      using((store) =>
        Effect.promise(() => {
          let n = 0
          return fc.assert(
            fc.asyncProperty(
              fc.array(arbLaterEvent, { minLength: 1, maxLength: 10 }),
              fc.array(arbLaterEvent, { minLength: 1, maxLength: 5 }),
              fc.nat(),
              async (first, intruder, stale) => {
                const episodeId = `stale-${n++}`
                const all = wellFormed(started(episodeId), first)
                await Effect.runPromise(store.append(episodeId, 0, all))
                const expected = stale % all.length // always behind the stream
                const exit = await Effect.runPromiseExit(store.append(episodeId, expected, intruder))
                assert.isTrue(Exit.isFailure(exit))
                assert.deepStrictEqual(events(await Effect.runPromise(store.read(episodeId))), all)
              },
            ),
            { numRuns: 40 },
          )
        }),
      ),
    )
  })
}
