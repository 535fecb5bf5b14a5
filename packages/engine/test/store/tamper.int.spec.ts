/**
 * Tampering with a real SQLite store through a second connection (raw SQL, as someone editing the
 * file would), then checking the stream: every kind of damage is found and named by episode, seq
 * and kind, and the untouched episode next to it stays clean.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { afterAll } from "vitest"
import type { EpisodeEvent } from "../../src/events.ts"
import { chainHash } from "../../src/store/chain.ts"
import { EventStore, StoreError, type ScoreRecord } from "../../src/store/event-store.ts"
import { checkStreamIntegrity, type IntegrityReport } from "../../src/store/integrity.ts"
import { blobAddress } from "../../src/store/message-pool.ts"
import { openSqliteStore } from "../../src/store/sqlite.ts"
import { agentMessage, conversationCall, ended, modelCalled, started, SYSTEM_PROMPT, toolExecuted, userMessage } from "./sample-events.ts"

const root = mkdtempSync(join(tmpdir(), "tau-sim-tamper-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let files = 0

/** seq 0..8: a short conversation with a tool call, a model call and an end. */
const conversation = (episodeId: string): Array<EpisodeEvent> => [
  started(episodeId),
  agentMessage("How can I help?"),
  userMessage("I want to cancel my reservation"),
  agentMessage(null),
  toolExecuted('{"reservation_id": "ZFA04Y", "status": "active"}'),
  agentMessage("Your reservation ZFA04Y is cancelled."),
  userMessage("thanks"),
  modelCalled(),
  ended("user_stop"),
]
const LAST = 8

const score = (episodeId: string, reward: number): ScoreRecord => ({
  episodeId,
  evaluator: "tau2",
  evaluatorVersion: "1",
  reward,
  breakdown: { reward },
  recordedAt: "2025-01-02T03:04:05.000Z",
})

interface Row {
  readonly episode_id: string
  readonly seq: number
  readonly recorded_at: string
  readonly tag: string
  readonly v: number
  readonly body: string
  readonly hash: string | null
}

/** Raw SQL helpers over a second connection to the store's file. */
const sqlTools = (db: Database.Database, path: string) => {
  const row = (seq: number, episodeId = "ep"): Row =>
    db.prepare<[string, number], Row>("SELECT * FROM events WHERE episode_id = ? AND seq = ?").get(episodeId, seq) as Row
  const insert = (r: Row): void => {
    db.prepare("INSERT INTO events (episode_id, seq, recorded_at, tag, v, body, hash) VALUES (@episode_id, @seq, @recorded_at, @tag, @v, @body, @hash)").run(r)
  }
  return {
    path,
    row,
    insert,
    exec: (statement: string): void => {
      db.exec(statement)
    },
    remove: (seq: number): void => {
      db.prepare("DELETE FROM events WHERE episode_id = 'ep' AND seq = ?").run(seq)
    },
    /** Shifts the seqs from `from` on by `delta` (through negative seqs, so the primary key never collides). */
    renumber: (from: number, delta: number): void => {
      db.prepare("UPDATE events SET seq = -(seq + ?) - 1 WHERE episode_id = 'ep' AND seq >= ?").run(delta, from)
      db.prepare("UPDATE events SET seq = -seq - 1 WHERE episode_id = 'ep' AND seq < 0").run()
    },
    editBody: (seq: number, edit: (body: Record<string, unknown>) => void): void => {
      const body = JSON.parse(row(seq).body) as Record<string, unknown>
      edit(body)
      db.prepare("UPDATE events SET body = ? WHERE episode_id = 'ep' AND seq = ?").run(JSON.stringify(body), seq)
    },
    set: (column: "body" | "tag" | "hash", seq: number, value: string | null): void => {
      db.prepare(`UPDATE events SET ${column} = ? WHERE episode_id = 'ep' AND seq = ?`).run(value, seq)
    },
    setEpisode: (column: string, value: string | number | null, episodeId = "ep"): void => {
      db.prepare(`UPDATE episodes SET ${column} = ? WHERE episode_id = ?`).run(value, episodeId)
    },
    /** What someone who knows the scheme would write: a row whose hash chains from `prevHash`. */
    forged: (seq: number, prevHash: string, body: EpisodeEvent): Row => {
      const json = JSON.stringify(body)
      return {
        episode_id: "ep",
        seq,
        recorded_at: "2025-01-01T00:00:00.000Z",
        tag: body._tag,
        v: body.v,
        body: json,
        hash: chainHash("ep", prevHash, seq, body._tag, body.v, json),
      }
    },
  }
}

type SqlTools = ReturnType<typeof sqlTools>

/** [seq, kind, looksLike] of each finding, in report order. */
const named = (report: IntegrityReport) => report.findings.map((f) => [f.seq, f.kind, f.looksLike ?? null] as const)

/**
 * Writes "ep" (scored 0.5) and "other" through the store, applies `tamper` through a second
 * connection, and checks both streams through the store again.
 */
const tampered = (tamper: (sql: SqlTools) => void) =>
  Effect.gen(function* () {
    const path = join(root, `tamper-${files++}.db`)
    const handle = openSqliteStore(path)
    yield* handle.store.append("ep", 0, conversation("ep"), { scores: [score("ep", 0.5)] })
    yield* handle.store.append("other", 0, [started("other"), agentMessage("Hello")])
    const db = new Database(path)
    try {
      tamper(sqlTools(db, path))
    } finally {
      db.close()
    }
    const check = (episodeId: string) => checkStreamIntegrity(episodeId).pipe(Effect.provideService(EventStore, handle.store))
    const reports = { ep: yield* check("ep"), other: yield* check("other") }
    handle.close()
    for (const report of [reports.ep, reports.other]) {
      for (const f of report.findings) {
        assert.strictEqual(f.episodeId, report.episodeId)
        assert.isTrue(f.detail.length > 0)
      }
    }
    return reports
  })

/** A tampering of "ep" only: the other episode stays clean. */
const tamperedEp = (tamper: (sql: SqlTools) => void) =>
  Effect.map(tampered(tamper), (reports) => {
    assert.deepStrictEqual(reports.other.findings, [])
    return reports.ep
  })

describe("integrity check of a tampered SQLite store", () => {
  it.effect("an untouched store has no findings", () =>
    Effect.gen(function* () {
      const reports = yield* tampered(() => {})
      assert.deepStrictEqual([reports.ep.findings, reports.other.findings], [[], []])
      assert.deepStrictEqual([reports.ep.events, reports.ep.seal], [9, undefined])
    }),
  )

  describe("deleting", () => {
    it.effect("a row in the middle: the gap, the broken link after it, and the read model's version", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.remove(4))
        assert.deepStrictEqual(named(report), [
          [4, "seq-gap", null],
          [5, "chain", "deleted"],
          [null, "read-model", null],
        ])
        assert.match(report.findings[0].detail, /seq 4 is missing/)
        assert.match(report.findings[1].detail, /seq 4 was deleted/)
        assert.match(report.findings[2].detail, /version is 9.*says 8/)
      }),
    )

    it.effect("a row, renumbering the later ones to close the gap", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => {
          sql.remove(4)
          sql.renumber(5, -1)
        })
        assert.deepStrictEqual(named(report), [
          [4, "chain", "deleted"],
          [5, "chain", "renumbered"],
          [null, "read-model", null],
        ])
        assert.match(report.findings[1].detail, /seqs 5\.\.7 were recorded at one seq higher/)
      }),
    )

    it.effect("the first row (EpisodeStarted)", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.remove(0))
        assert.deepStrictEqual(named(report), [
          [0, "seq-gap", null],
          [null, "no-start", null],
          [1, "chain", "deleted"],
          [null, "read-model", null],
        ])
      }),
    )

    it.effect("the last row (EpisodeEnded): the read model still says ended, at the old version", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.remove(LAST))
        assert.deepStrictEqual(named(report), [
          [null, "read-model", null],
          [null, "read-model", null],
          [null, "read-model", null],
        ])
        assert.match(report.findings.map((f) => f.detail).join("\n"), /version is 9[^\n]*8\n.*status is "ended"[^\n]*"running"\n.*terminationReason/)
      }),
    )
  })

  describe("editing", () => {
    it.effect("a message's text", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.editBody(5, (b) => (b.text = "Your reservation was NOT cancelled.")))
        assert.deepStrictEqual(named(report), [[5, "chain", "edited"]])
        assert.match(report.findings[0].detail, /^seq 5: its content no longer matches its hash, though the next event chains from it/)
      }),
    )

    it.effect("a tool's output", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.editBody(4, (b) => (b.output = '{"reservation_id": "ZFA04Y", "status": "cancelled"}')))
        assert.deepStrictEqual(named(report), [[4, "chain", "edited"]])
      }),
    )

    it.effect("the EpisodeEnded's reason: the chain and the read model disagree with it", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.editBody(LAST, (b) => (b.reason = "agent_stop")))
        assert.deepStrictEqual(named(report), [
          [LAST, "chain", "edited"],
          [null, "read-model", null],
        ])
        assert.match(report.findings[1].detail, /terminationReason is "user_stop", the log says "agent_stop"/)
      }),
    )

    it.effect("the tag column only", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.set("tag", 7, "MessageSent"))
        assert.deepStrictEqual(named(report), [[7, "chain", "edited"]])
      }),
    )

    it.effect("a row re-hashed to hide an edit breaks the link to the next row instead", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => {
          sql.editBody(2, (b) => (b.text = "I want to book a flight"))
          const prev = sql.row(1).hash ?? ""
          const edited = sql.row(2)
          sql.set("hash", 2, chainHash("ep", prev, 2, edited.tag, edited.v, edited.body))
        })
        assert.deepStrictEqual(named(report), [[3, "chain", "edited"]])
        assert.match(report.findings[0].detail, /or the event before it was edited and given a new hash/)
      }),
    )

    it.effect("a body into something that is not JSON: unreadable, and reported rather than thrown", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.set("body", 3, "\u0000garbage"))
        assert.deepStrictEqual(named(report), [
          [3, "unreadable", null],
          [3, "chain", "edited"],
        ])
        assert.match(report.findings[0].detail, /ep#3 cannot be read/)
      }),
    )
  })

  describe("inserting", () => {
    it.effect("a raw row (no hash) in the middle, renumbering the later ones", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => {
          sql.renumber(5, 1)
          const text = agentMessage("Actually, I can offer you a refund.")
          sql.insert({ ...sql.forged(5, "", text), hash: null })
        })
        assert.deepStrictEqual(named(report), [
          [5, "chain", "inserted"],
          [6, "chain", "renumbered"],
          [null, "read-model", null],
        ])
        assert.match(report.findings[1].detail, /seqs 6\.\.9 were recorded at one seq lower/)
      }),
    )

    it.effect("a row with a forged hash chained from the row before it", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => {
          sql.renumber(5, 1)
          sql.insert(sql.forged(5, sql.row(4).hash ?? "", userMessage("please also refund me")))
        })
        assert.deepStrictEqual(named(report), [
          [5, "chain", "inserted"],
          [6, "chain", "renumbered"],
          [null, "read-model", null],
        ])
      }),
    )

    it.effect("a copy of a row, with its hash", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => {
          sql.renumber(5, 1)
          sql.insert({ ...sql.row(4), seq: 5 })
        })
        assert.deepStrictEqual(named(report), [
          [5, "chain", "inserted"],
          [6, "chain", "renumbered"],
          [null, "read-model", null],
        ])
        assert.match(report.findings[0].detail, /hash of the event at seq 4/)
      }),
    )

    it.effect("a second EpisodeStarted", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => {
          sql.renumber(1, 1)
          sql.insert(sql.forged(1, sql.row(0).hash ?? "", started("ep", { runId: "run-2" })))
        })
        assert.deepStrictEqual(named(report), [
          [1, "start-not-first", null],
          [1, "chain", "inserted"],
          [2, "chain", "renumbered"],
          [null, "read-model", null],
        ])
      }),
    )
  })

  describe("reordering", () => {
    it.effect("two rows' contents (hashes left in place)", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => {
          const [a, b] = [sql.row(1), sql.row(2)]
          for (const [seq, from] of [
            [1, b],
            [2, a],
          ] as const) {
            sql.set("body", seq, from.body)
            sql.set("tag", seq, from.tag)
          }
        })
        assert.deepStrictEqual(named(report), [
          [1, "chain", "reordered"],
          [2, "chain", "reordered"],
        ])
        assert.match(report.findings[0].detail, /event now at seq 2/)
      }),
    )

    it.effect("two whole rows (seqs exchanged, hashes travel with them)", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => {
          const [a, b] = [sql.row(5), sql.row(6)]
          sql.remove(5)
          sql.remove(6)
          sql.insert({ ...b, seq: 5 })
          sql.insert({ ...a, seq: 6 })
        })
        assert.deepStrictEqual(named(report), [
          [5, "chain", "reordered"],
          [6, "chain", "reordered"],
          [7, "chain", "reordered"],
        ])
        assert.match(report.findings[0].detail, /seq 5: was recorded at seq 6/)
        assert.match(report.findings[1].detail, /seq 6: was recorded at seq 5/)
        assert.match(report.findings[2].detail, /seq 7: chains from the event now at seq 5/)
      }),
    )

    it.effect("moving EpisodeEnded before the last message", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => {
          const [model, end] = [sql.row(7), sql.row(8)]
          sql.remove(7)
          sql.remove(8)
          sql.insert({ ...end, seq: 7 })
          sql.insert({ ...model, seq: 8 })
        })
        assert.deepStrictEqual(named(report), [
          [8, "after-end", null],
          [7, "chain", "reordered"],
          [8, "chain", "reordered"],
        ])
      }),
    )
  })

  describe("appending after EpisodeEnded", () => {
    it.effect("a raw row", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.insert({ ...sql.forged(9, "", agentMessage("one more thing")), hash: null }))
        assert.deepStrictEqual(named(report), [
          [9, "after-end", null],
          [9, "chain", "unsealed"],
          [null, "read-model", null],
        ])
      }),
    )

    it.effect("a row with a forged hash that chains", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.insert(sql.forged(9, sql.row(LAST).hash ?? "", agentMessage("one more thing"))))
        assert.deepStrictEqual(named(report), [
          [9, "after-end", null],
          [null, "read-model", null],
        ])
        assert.match(report.findings[0].detail, /MessageSent at seq 9 comes after EpisodeEnded at seq 8/)
      }),
    )
  })

  describe("the read model", () => {
    const readModelOnly = (column: string, value: string | number | null, detail: RegExp) =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.setEpisode(column, value))
        assert.deepStrictEqual(named(report), [[null, "read-model", null]])
        assert.match(report.findings[0].detail, detail)
      })

    it.effect("version", () => readModelOnly("version", 12, /version is 12, the number of events in the log says 9/))
    it.effect("status", () => readModelOnly("status", "running", /status is "running", the log's EpisodeEnded says "ended"/))
    it.effect("reward", () => readModelOnly("reward", 1, /reward is 1, the latest score says 0.5/))
    it.effect("run id", () => readModelOnly("run_id", "run-9", /runId is "run-9", EpisodeStarted says "run-1"/))
    it.effect("task id", () => readModelOnly("task_id", "task-8", /taskId/))

    it.effect("the episodes row deleted", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.exec("DELETE FROM episodes WHERE episode_id = 'ep'"))
        assert.deepStrictEqual(named(report), [[null, "read-model", null]])
        assert.match(report.findings[0].detail, /no row for it/)
      }),
    )

    it.effect("a score deleted: the reward no longer matches", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.exec("DELETE FROM scores WHERE episode_id = 'ep'"))
        assert.deepStrictEqual(named(report), [[null, "read-model", null]])
        assert.match(report.findings[0].detail, /reward is 0.5, the latest score says null/)
      }),
    )

    it.effect("a score's breakdown corrupted: reported, the check goes on", () =>
      Effect.gen(function* () {
        const report = yield* tamperedEp((sql) => sql.exec("UPDATE scores SET breakdown = '{' WHERE episode_id = 'ep'"))
        assert.deepStrictEqual(named(report), [
          [null, "read-model", null],
          [null, "score", null],
        ])
        assert.match(report.findings[0].detail, /scores cannot be read/)
        assert.match(report.findings[1].detail, /score 1 of 1 \(tau2@1, recorded .*\) no longer matches its hash/)
      }),
    )
  })

  describe("scores and the judge calls recorded with them", () => {
    const judgeCall = { ...modelCalled(), participant: "judge" as const, cost: 0.0042, requestHash: "j".repeat(64) }
    /** "ep" scored three times (a τ² score with a judge call, a support-desk one, a τ² one), then tampered. */
    const scoredThenTampered = (tamper: (sql: SqlTools) => void) =>
      tamperedEp((sql) => {
        const add = (evaluator: string, reward: number, modelCalls: string | null) =>
          // Written through a fresh store handle so that the hashes are the store's own.
          Effect.runSync(
            Effect.gen(function* () {
              const handle = openSqliteStore(sql.path)
              try {
                yield* handle.store.appendScore({ ...score("ep", reward), evaluator, ...(modelCalls ? { modelCalls: [judgeCall] } : {}) })
              } finally {
                handle.close()
              }
            }),
          )
        add("tau2", 0.5, "judged")
        add("support-desk", 0.75, null)
        add("tau2", 0.5, null)
        tamper(sql)
      })

    it.effect("untouched: no finding", () =>
      Effect.map(
        scoredThenTampered(() => {}),
        (report) => assert.deepStrictEqual(report.findings, []),
      ),
    )

    it.effect("a judge call's cost edited", () =>
      Effect.gen(function* () {
        const report = yield* scoredThenTampered((sql) =>
          sql.exec("UPDATE scores SET model_calls = replace(model_calls, '0.0042', '0.0001') WHERE episode_id = 'ep' AND model_calls IS NOT NULL"),
        )
        assert.deepStrictEqual(named(report), [[null, "score", null]])
        assert.match(
          report.findings[0].detail,
          /^score 2 of 4 \(tau2@1, .*\) no longer matches its hash: its reward, breakdown or model calls were edited after it was written/,
        )
      }),
    )

    it.effect("a behavioural score's reward edited (the read model cannot see it)", () =>
      Effect.gen(function* () {
        const report = yield* scoredThenTampered((sql) => sql.exec("UPDATE scores SET reward = 1 WHERE evaluator = 'support-desk'"))
        assert.deepStrictEqual(named(report), [[null, "score", null]])
        assert.match(report.findings[0].detail, /^score 3 of 4 \(support-desk@1/)
      }),
    )

    it.effect("a score in the middle deleted", () =>
      Effect.gen(function* () {
        const report = yield* scoredThenTampered((sql) => sql.exec("DELETE FROM scores WHERE evaluator = 'support-desk'"))
        assert.deepStrictEqual(named(report), [[null, "score", null]])
        assert.match(report.findings[0].detail, /^score 3 of 3 .* or a score before it was deleted/)
      }),
    )

    it.effect("a score written outside the store", () =>
      Effect.gen(function* () {
        const report = yield* scoredThenTampered((sql) =>
          sql.exec(
            "INSERT INTO scores (episode_id, evaluator, evaluator_version, reward, breakdown, recorded_at) VALUES ('ep', 'support-desk', '1', 1, '{}', '2025-01-01')",
          ),
        )
        assert.deepStrictEqual(named(report), [[null, "score", null]])
        assert.match(report.findings[0].detail, /^score 5 of 5 .* has no hash: written outside the store/)
      }),
    )
  })

  it.effect("moving a row to another episode: named in both", () =>
    Effect.gen(function* () {
      const reports = yield* tampered((sql) => {
        sql.insert({ ...sql.row(5), episode_id: "other", seq: 2 })
        sql.remove(5)
      })
      assert.deepStrictEqual(named(reports.ep), [
        [5, "seq-gap", null],
        [6, "chain", "deleted"],
        [null, "read-model", null],
      ])
      assert.deepStrictEqual(named(reports.other), [
        [2, "chain", "edited"],
        [null, "read-model", null],
      ])
      assert.match(reports.other.findings[0].detail, /not written by this stream's append/)
    }),
  )
})

/**
 * The message pool (ADR 0004): "ep" has two model calls (seq 1 and 3, the second extending the
 * first's conversation), "other" one (seq 1) that shares the system prompt and the tool set.
 */
describe("integrity check of a tampered message pool", () => {
  const greeting = { role: "user", content: "Hi, I want to cancel my reservation ZFA04Y." }
  const reply = { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "get_user_details", argumentsJson: "{}" }] }
  const result = { role: "tool", toolCallId: "call_1", toolName: "get_user_details", content: '{"balance": 2.0}' }
  const streams = {
    ep: [started("ep"), conversationCall([SYSTEM_PROMPT, greeting]), agentMessage(null), conversationCall([SYSTEM_PROMPT, greeting, reply, result]), ended()],
    other: [started("other"), conversationCall([SYSTEM_PROMPT, { role: "user", content: "Hello" }])],
  }
  /** The node text of `message` after `prev`, as the pool writes it. */
  const node = (prev: string | null, message: unknown): string => JSON.stringify({ prev, message })
  const system = blobAddress(node(null, SYSTEM_PROMPT))
  const afterGreeting = blobAddress(node(system, greeting))
  const afterReply = blobAddress(node(afterGreeting, reply))
  const lastOfEp = blobAddress(node(afterReply, result))
  const toolSet = blobAddress(JSON.stringify((streams.ep[1] as { request: { tools: unknown } }).request.tools))

  const pooled = (tamper: (db: Database.Database) => void) =>
    Effect.gen(function* () {
      const path = join(root, `pool-${files++}.db`)
      const handle = openSqliteStore(path)
      for (const [episodeId, events] of Object.entries(streams)) yield* handle.store.append(episodeId, 0, events)
      const db = new Database(path)
      try {
        // The addresses this test works with are the ones the store wrote.
        const stored = db
          .prepare("SELECT hash FROM blobs ORDER BY hash")
          .all()
          .map((r) => (r as { hash: string }).hash)
        assert.deepStrictEqual(
          stored,
          [system, afterGreeting, afterReply, lastOfEp, toolSet, blobAddress(node(system, { role: "user", content: "Hello" }))].sort(),
        )
        tamper(db)
      } finally {
        db.close()
      }
      const check = (episodeId: string) => checkStreamIntegrity(episodeId).pipe(Effect.provideService(EventStore, handle.store))
      const reports = { ep: yield* check("ep"), other: yield* check("other") }
      const reads = {
        ep: yield* Effect.result(handle.store.read("ep")),
        other: yield* Effect.result(handle.store.read("other")),
      }
      handle.close()
      return { ...reports, reads }
    })
  /** [seq, kind, looksLike or blob] of each finding. */
  const named = (report: IntegrityReport) => report.findings.map((f) => [f.seq, f.kind, f.looksLike ?? f.blob ?? null] as const)
  const setBlob = (db: Database.Database, address: string, body: string) => {
    assert.strictEqual(db.prepare("UPDATE blobs SET body = ? WHERE hash = ?").run(body, address).changes, 1)
  }
  const deleteBlob = (db: Database.Database, address: string) => {
    assert.strictEqual(db.prepare("DELETE FROM blobs WHERE hash = ?").run(address).changes, 1)
  }

  it.effect("an untouched pool has no findings, and both streams read back as appended", () =>
    Effect.gen(function* () {
      const r = yield* pooled(() => {})
      assert.deepStrictEqual([r.ep.findings, r.other.findings], [[], []])
      assert.deepStrictEqual(r.reads.ep._tag === "Success" && r.reads.ep.success.map((s) => s.event), streams.ep)
    }),
  )

  it.effect("a message node's content edited (its address kept): found at the call that refers to it", () =>
    Effect.gen(function* () {
      const r = yield* pooled((db) => setBlob(db, lastOfEp, node(afterReply, { ...result, content: '{"balance": 2000.0}' })))
      assert.deepStrictEqual(named(r.ep), [[3, "blob", lastOfEp]])
      assert.match(r.ep.findings[0].detail, new RegExp(`^seq 3: the message node ${lastOfEp} its request refers to does not match its address`))
      assert.deepStrictEqual(r.other.findings, [])
    }),
  )

  it.effect("a node edited to splice a message out of the conversation (its address kept)", () =>
    Effect.gen(function* () {
      const r = yield* pooled((db) => setBlob(db, lastOfEp, node(afterGreeting, result)))
      assert.deepStrictEqual(named(r.ep), [[3, "blob", lastOfEp]])
      assert.deepStrictEqual(r.other.findings, [])
    }),
  )

  it.effect("the shared system prompt edited: every call of both episodes that refers to it", () =>
    Effect.gen(function* () {
      const r = yield* pooled((db) => setBlob(db, system, node(null, { role: "system", content: "Agents may do anything." })))
      assert.deepStrictEqual(named(r.ep), [[1, "blob", system]])
      assert.match(r.ep.findings[0].detail, /\(1 later model call of the stream refer to it too, the last at seq 3\)/)
      assert.deepStrictEqual(named(r.other), [[1, "blob", system]])
    }),
  )

  it.effect("a message node deleted: found, and reading the stream fails naming episode, seq and blob", () =>
    Effect.gen(function* () {
      const r = yield* pooled((db) => deleteBlob(db, afterGreeting))
      assert.deepStrictEqual(named(r.ep), [[1, "blob", afterGreeting]])
      assert.match(r.ep.findings[0].detail, /is missing from the blob table/)
      assert.deepStrictEqual(r.other.findings, [])
      assert.strictEqual(r.reads.ep._tag, "Failure")
      if (r.reads.ep._tag === "Failure") {
        const error = r.reads.ep.failure
        assert.instanceOf(error, StoreError)
        assert.deepStrictEqual([error.episodeId, error.seq], ["ep", 1])
        assert.include(error.message, afterGreeting)
      }
      assert.strictEqual(r.reads.other._tag, "Success")
    }),
  )

  it.effect("the shared tool set deleted, then one edited: named in both episodes", () =>
    Effect.gen(function* () {
      const deleted = yield* pooled((db) => deleteBlob(db, toolSet))
      assert.deepStrictEqual([named(deleted.ep), named(deleted.other)], [[[1, "blob", toolSet]], [[1, "blob", toolSet]]])
      const edited = yield* pooled((db) => setBlob(db, toolSet, "[]"))
      assert.deepStrictEqual([named(edited.ep), named(edited.other)], [[[1, "blob", toolSet]], [[1, "blob", toolSet]]])
      assert.match(edited.ep.findings[0].detail, /the tool set .* does not match its address/)
    }),
  )

  it.effect("a node that is not a node any more (not JSON), its address kept", () =>
    Effect.gen(function* () {
      const r = yield* pooled((db) => setBlob(db, afterReply, "{"))
      assert.deepStrictEqual(named(r.ep), [[3, "blob", afterReply]])
    }),
  )

  it.effect("a row's reference moved to another stored conversation: the chain breaks at the row, the pool is intact", () =>
    Effect.gen(function* () {
      const r = yield* pooled((db) => {
        const row = db.prepare("SELECT body FROM events WHERE episode_id = 'ep' AND seq = 3").get() as { body: string }
        const body = JSON.parse(row.body)
        assert.strictEqual(body.request.messages.$ref, lastOfEp)
        body.request.messages.$ref = afterGreeting
        db.prepare("UPDATE events SET body = ? WHERE episode_id = 'ep' AND seq = 3").run(JSON.stringify(body))
      })
      assert.deepStrictEqual(named(r.ep), [[3, "chain", "edited"]])
    }),
  )

  it.effect("a forged node stored under its own address, the row pointed at it: the chain breaks at the row", () =>
    Effect.gen(function* () {
      const r = yield* pooled((db) => {
        const forged = node(afterReply, { ...result, content: '{"balance": 2000.0}' })
        db.prepare("INSERT INTO blobs (hash, body) VALUES (?, ?)").run(blobAddress(forged), forged)
        db.prepare("UPDATE events SET body = replace(body, ?, ?) WHERE episode_id = 'ep' AND seq = 3").run(lastOfEp, blobAddress(forged))
      })
      assert.deepStrictEqual(named(r.ep), [[3, "chain", "edited"]])
      assert.deepStrictEqual(r.other.findings, [])
    }),
  )
})
