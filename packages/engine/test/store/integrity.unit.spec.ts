/**
 * The pure integrity check over random streams: one random tampering of a stream written through
 * the store is always found, at the seq it was made, and named for what it was.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import type { EpisodeEvent } from "../../src/events.ts"
import { EventStore, type RawStoredRow } from "../../src/store/event-store.ts"
import { checkIntegrity, readStreamRecord, type ChainDiagnosis, type IntegrityKind } from "../../src/store/integrity.ts"
import { makeMemoryStore } from "../../src/store/memory.ts"
import { arbLaterEvent, ended, started } from "@tau-sim/engine/testing"

const arbMiddle = fc.array(
  arbLaterEvent.filter((e) => e._tag !== "EpisodeEnded"),
  { minLength: 3, maxLength: 30 },
)

/** A stream written through the store, as the checker reads it. */
const written = (middle: ReadonlyArray<EpisodeEvent>) => {
  const handle = makeMemoryStore()
  const events = [started("ep"), ...middle, ended()]
  Effect.runSync(handle.store.append("ep", 0, events))
  const record = Effect.runSync(readStreamRecord("ep").pipe(Effect.provideService(EventStore, handle.store)))
  handle.close()
  return record
}

type Expected = ReadonlyArray<readonly [number, IntegrityKind, ChainDiagnosis | null]>

/** A tampering of the rows and the findings it must produce (among others). */
type Tampering = (rows: ReadonlyArray<RawStoredRow>, k: number) => { rows: Array<RawStoredRow>; expected: Expected } | undefined

const renumbered = (rows: ReadonlyArray<RawStoredRow>, from: number, delta: number): Array<RawStoredRow> =>
  rows.map((r) => (r.seq >= from ? { ...r, seq: r.seq + delta } : r))

const tamperings: Record<string, Tampering> = {
  delete: (rows, k) => ({
    rows: rows.filter((r) => r.seq !== k),
    expected: [
      [k, "seq-gap", null],
      [k + 1, "chain", "deleted"],
    ],
  }),
  "delete and renumber": (rows, k) => ({
    rows: renumbered(
      rows.filter((r) => r.seq !== k),
      k + 1,
      -1,
    ),
    expected: [[k, "chain", "deleted"]],
  }),
  edit: (rows, k) => {
    const body = JSON.stringify({ _tag: "MessageSent", v: 1, role: "user", text: `edited ${rows[k].body}`, toolCalls: [] })
    return {
      rows: rows.map((r) => (r.seq === k ? { ...r, tag: "MessageSent", v: 1, body } : r)),
      expected: [[k, "chain", "edited"]],
    }
  },
  swap: (rows, k) => {
    const [a, b] = [rows[k], rows[k + 1]]
    if (a.body === b.body && a.tag === b.tag) return undefined // swapping equal events changes nothing
    return {
      rows: rows.map((r) => (r.seq === k ? { ...r, tag: b.tag, v: b.v, body: b.body } : r.seq === k + 1 ? { ...r, tag: a.tag, v: a.v, body: a.body } : r)),
      expected: [
        [k, "chain", "reordered"],
        [k + 1, "chain", "reordered"],
      ],
    }
  },
  "insert a copy": (rows, k) => ({
    rows: [...renumbered(rows, k + 1, 1), { ...rows[k], seq: k + 1 }].sort((x, y) => x.seq - y.seq),
    expected: [[k + 1, "chain", "inserted"]],
  }),
}

describe("checkIntegrity", () => {
  for (const [name, tamper] of Object.entries(tamperings)) {
    it(`property: ${name} of any event inside a random stream is found at its seq`, () => {
      fc.assert(
        fc.property(arbMiddle, fc.nat(), (middle, pick) => {
          const record = written(middle)
          const last = record.rows.length - 1
          // Inside the stream: neither EpisodeStarted nor EpisodeEnded (their cases are in the SQLite tests).
          const k = 1 + (pick % (last - 2))
          const tampered = tamper(record.rows, k)
          fc.pre(tampered !== undefined)
          if (!tampered) return
          const report = checkIntegrity("ep", { ...record, rows: tampered.rows })
          const found = report.findings.map((f) => [f.seq, f.kind, f.looksLike ?? null] as const)
          for (const expected of tampered.expected) assert.deepInclude(found, expected)
          assert.isTrue(report.findings.every((f) => f.episodeId === "ep"))
        }),
        { numRuns: 150 },
      )
    })
  }

  it("property: the untouched stream has no findings", () => {
    fc.assert(
      fc.property(arbMiddle, (middle) => {
        assert.deepStrictEqual(checkIntegrity("ep", written(middle)).findings, [])
      }),
      { numRuns: 100 },
    )
  })

  it("reports a stream with no events, with or without a read model row", () => {
    const record = written([])
    const empty = checkIntegrity("ep", { ...record, rows: [] })
    assert.deepStrictEqual(
      empty.findings.map((f) => [f.seq, f.kind]),
      [[null, "missing-stream"]],
    )
    assert.match(empty.findings[0].detail, /lists it at version/)
    assert.match(checkIntegrity("ep", { ...record, rows: [], episode: undefined }).findings[0].detail, /no events for this episode/)
  })
})
