/**
 * The integrity check of one episode stream against what the store promises: gapless seqs from 0,
 * one EpisodeStarted first, nothing after EpisodeEnded, an intact hash chain, readable bodies,
 * pool blobs that are present and match their addresses (ADR 0004), and a read model that agrees
 * with the log. `checkIntegrity` is pure (rows in, findings out);
 * `checkStreamIntegrity` reads the stream from the store and runs it.
 *
 * A broken chain link is explained where the stored hashes allow it: which row was edited,
 * deleted, inserted or moved. The chain has no secret: it exposes damage and naive tampering, not
 * someone who recomputes every later hash (and the read model) as well.
 */
import { Effect } from "effect"
import { decodeEvent, type EpisodeEvent, type EpisodeStarted } from "../events.ts"
import { CHAIN_START, chainFrom, chainHash } from "./chain.ts"
import {
  type ChainSeal,
  type EpisodeRow,
  EventStore,
  isRewardEvaluator,
  type RawScoreRow,
  type RawStoredRow,
  type ScoreRecord,
  type StoreError,
} from "./event-store.ts"
import { blobAddress, parseNode, poolRefs } from "./message-pool.ts"
import { SCORE_CHAIN_START, scoreHash } from "./score-rows.ts"

export type IntegrityKind =
  | "missing-stream"
  | "seq-gap"
  | "no-start"
  | "start-not-first"
  | "after-end"
  | "chain"
  | "unreadable"
  | "blob"
  | "read-model"
  /** A stored score (its reward, breakdown or judge calls) no longer matches its chain hash. */
  | "score"

/** What a broken chain link looks like (kind "chain" only). */
export type ChainDiagnosis =
  /** The row's content changed after it was written (the next row still chains from its hash). */
  | "edited"
  /** A row before this one is gone. */
  | "deleted"
  /** The row was not there when the chain was written (a copy, a forged hash, or a raw insert). */
  | "inserted"
  /** The row holds an event that was recorded at another seq of this stream. */
  | "reordered"
  /** Rows carry seqs shifted from the ones they were recorded at (after a deletion or insertion). */
  | "renumbered"
  /** The row has no hash: it was written outside the store's append. */
  | "unsealed"
  /** The row does not match its hash, and nothing around it says why. */
  | "unexplained"

export interface IntegrityFinding {
  readonly episodeId: string
  /** The row the finding is about (the first of a run of rows), or null for the stream as a whole. */
  readonly seq: number | null
  readonly kind: IntegrityKind
  readonly detail: string
  /** For kind "chain": what the damage looks like. */
  readonly looksLike?: ChainDiagnosis
  /** For kind "blob": the address of the missing or damaged pool blob. */
  readonly blob?: string
}

export interface IntegrityReport {
  readonly episodeId: string
  /** Rows in the log. */
  readonly events: number
  readonly findings: ReadonlyArray<IntegrityFinding>
  /** Set when hashes up to `seal.throughSeq` were computed at upgrade: earlier tampering is undetectable. */
  readonly seal: ChainSeal | undefined
}

/** Everything the check looks at, as read from the store. */
export interface StreamRecord {
  /** The stream's rows as stored, in seq order. */
  readonly rows: ReadonlyArray<RawStoredRow>
  readonly episode: EpisodeRow | undefined
  /** The episode's scores, oldest first; or why they cannot be read. */
  readonly scores: ReadonlyArray<ScoreRecord> | { readonly unreadable: string }
  /** The same scores as stored (texts and chain hashes); absent: not checked. */
  readonly rawScores?: ReadonlyArray<RawScoreRow>
  readonly seal: ChainSeal | undefined
  /**
   * The pool blobs the rows refer to (message nodes, followed through their chains, and tool
   * sets), by address, as stored; a blob the store does not have is absent.
   */
  readonly blobs: ReadonlyMap<string, string>
}

/** How far from a broken row the chain check looks for where its event was recorded. */
const SEARCH_WINDOW = 8

type Diagnosis = { readonly looksLike: ChainDiagnosis; readonly detail: string; readonly shift?: number }

const seqRange = (from: number, to: number): string => (from === to ? `seq ${from}` : `seqs ${from}..${to}`)

/** Chain findings: every row's hash is recomputed from its content and its predecessor's stored hash. */
const checkChain = (episodeId: string, rows: ReadonlyArray<RawStoredRow>): Array<IntegrityFinding> => {
  const n = rows.length
  const prevOf = (i: number): string => (i === 0 ? CHAIN_START : chainFrom(rows[i - 1].hash))
  const hashOf = (content: RawStoredRow, prev: string, seq: number): string => chainHash(episodeId, prev, seq, content.tag, content.v, content.body)
  /** Row `i`'s stored hash is that of its own content at `seq` after `prev`. */
  const fits = (i: number, prev: string, seq: number): boolean => rows[i].hash !== null && rows[i].hash === hashOf(rows[i], prev, seq)
  const ok = rows.map((row, i) => fits(i, prevOf(i), row.seq))
  const window = (i: number): Array<number> => {
    const around: Array<number> = []
    for (let j = Math.max(0, i - SEARCH_WINDOW); j <= Math.min(n - 1, i + SEARCH_WINDOW); j++) if (j !== i) around.push(j)
    return around
  }
  const hashIndex = new Map<string, number>()
  rows.forEach((row, i) => {
    if (row.hash !== null && !hashIndex.has(row.hash)) hashIndex.set(row.hash, i)
  })

  const diagnoses: Array<Diagnosis | undefined> = Array.from({ length: n })
  for (let i = 0; i < n; i++) {
    if (ok[i]) continue
    const row = rows[i]
    const seq = row.seq
    if (row.hash === null) {
      diagnoses[i] = { looksLike: "unsealed", detail: "" }
      continue
    }
    const twin = hashIndex.get(row.hash)
    if (twin !== undefined && twin !== i) {
      diagnoses[i] = {
        looksLike: "inserted",
        detail: `carries the hash of the event at seq ${rows[twin].seq}: a copy inserted into the stream`,
      }
      continue
    }
    const shift = [1, -1].find((d) => fits(i, prevOf(i), seq + d))
    if (shift !== undefined) {
      diagnoses[i] = { looksLike: "renumbered", detail: "", shift }
      continue
    }
    if (i >= 1 && diagnoses[i - 1]?.looksLike !== "reordered" && fits(i, prevOf(i - 1), seq - 1)) {
      // This row chains from the one two before it, at the seq just before its own: the row in
      // between was slipped in and everything after it renumbered.
      diagnoses[i - 1] = {
        looksLike: "inserted",
        detail: `was not in the stream when it was written: the next event (recorded at seq ${seq - 1}) chains from ${i >= 2 ? `seq ${rows[i - 2].seq}` : "the start"}`,
      }
      diagnoses[i] = { looksLike: "renumbered", detail: "", shift: -1 }
      continue
    }
    // Reordered: another broken row holds the content this row's hash was made for, or this row's
    // content and hash fit another broken row's place.
    const elsewhere = window(i).find(
      (j) => !ok[j] && (row.hash === hashOf(rows[j], prevOf(i), seq) || row.hash === hashOf({ ...row, body: rows[j].body }, prevOf(i), seq)),
    )
    if (elsewhere !== undefined) {
      diagnoses[i] = {
        looksLike: "reordered",
        detail: `its hash is that of the event now at seq ${rows[elsewhere].seq}: events were reordered`,
      }
      continue
    }
    const slot = findSlot(i, window(i), ok, rows, prevOf, hashOf)
    if (slot !== undefined) {
      diagnoses[i] = { looksLike: "reordered", detail: `was recorded at seq ${slot}: events were reordered` }
      continue
    }
    // The row after a reordered pair chains from a row that is no longer just before it.
    const predecessor = window(i).find((m) => m !== i - 1 && fits(i, chainFrom(rows[m].hash), seq))
    if (predecessor !== undefined) {
      diagnoses[i] = {
        looksLike: "reordered",
        detail: `chains from the event now at seq ${rows[predecessor].seq}, not from the one before it: events before it were reordered`,
      }
      continue
    }
    const next = i + 1 < n ? i + 1 : undefined
    if (next !== undefined && fits(next, chainFrom(row.hash), rows[next].seq + 1)) {
      diagnoses[i] = {
        looksLike: "deleted",
        detail: `does not chain from ${i === 0 ? "the start" : `seq ${rows[i - 1].seq}`}: an event before it was deleted and the later ones renumbered`,
      }
      continue
    }
    if (next !== undefined && fits(next, prevOf(i), rows[next].seq - 1)) {
      diagnoses[i] = {
        looksLike: "inserted",
        detail: `was not in the stream when it was written: the next event chains from ${i === 0 ? "the start" : `seq ${rows[i - 1].seq}`}`,
      }
      continue
    }
    const expectedSeq = i === 0 ? 0 : rows[i - 1].seq + 1
    if (seq !== expectedSeq) {
      diagnoses[i] = {
        looksLike: "deleted",
        detail: `does not chain from the event before it: ${seqRange(expectedSeq, seq - 1)} ${seq - 1 === expectedSeq ? "was" : "were"} deleted`,
      }
      continue
    }
    if (next === undefined || ok[next]) {
      diagnoses[i] = {
        looksLike: "edited",
        detail:
          next === undefined
            ? "its content no longer matches its hash: edited after it was written, or not written by this stream's append"
            : `its content no longer matches its hash, though the next event chains from it: edited after it was written${i === 0 ? "" : " (or the event before it was edited and given a new hash)"}`,
      }
      continue
    }
    diagnoses[i] = { looksLike: "unexplained", detail: "does not match its hash, and the events around it do not chain either" }
  }

  // Runs of renumbered or unsealed rows become one finding each.
  const findings: Array<IntegrityFinding> = []
  for (let i = 0; i < n; i++) {
    const d = diagnoses[i]
    if (!d) continue
    if (d.looksLike === "renumbered" || d.looksLike === "unsealed") {
      let end = i
      while (end + 1 < n && diagnoses[end + 1]?.looksLike === d.looksLike && diagnoses[end + 1]?.shift === d.shift) end++
      const range = seqRange(rows[i].seq, rows[end].seq)
      const detail =
        d.looksLike === "unsealed"
          ? `${range}: ${end === i ? "has" : "have"} no hash: written outside the store's append (inserted raw)`
          : `${range} ${end === i ? "was" : "were"} recorded at ${d.shift === 1 ? "one seq higher: an event before them was deleted" : "one seq lower: an event before them was inserted"}`
      findings.push({ episodeId, seq: rows[i].seq, kind: "chain", looksLike: d.looksLike, detail })
      i = end
      continue
    }
    findings.push({ episodeId, seq: rows[i].seq, kind: "chain", looksLike: d.looksLike, detail: `seq ${rows[i].seq}: ${d.detail}` })
  }
  return findings
}

/** The seq of another broken row whose place row `i` (content and hash together) was recorded at. */
const findSlot = (
  i: number,
  around: ReadonlyArray<number>,
  ok: ReadonlyArray<boolean>,
  rows: ReadonlyArray<RawStoredRow>,
  prevOf: (i: number) => string,
  hashOf: (content: RawStoredRow, prev: string, seq: number) => string,
): number | undefined => {
  const predecessors = [CHAIN_START, ...around.map((m) => chainFrom(rows[m].hash)), prevOf(i)]
  for (const j of around) {
    if (ok[j]) continue
    for (const prev of predecessors) if (hashOf(rows[i], prev, rows[j].seq) === rows[i].hash) return rows[j].seq
  }
  return undefined
}

/** The parsed body of a pooled row, or undefined for any other row (unreadable ones included). */
const pooledRefs = (row: RawStoredRow): ReturnType<typeof poolRefs> | undefined => {
  if (row.tag !== "ModelCalled") return undefined
  let fields: unknown
  try {
    fields = JSON.parse(row.body)
  } catch {
    return undefined
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return undefined
  const refs = poolRefs(fields as Record<string, unknown>)
  return refs.messages === undefined && refs.tools === undefined ? undefined : refs
}

type BlobProblem = "missing" | "edited" | "malformed"

/**
 * Blob findings: every blob a pooled row refers to, directly or down its message chain, must be
 * in the pool, hold what its address says, and be what its place needs (a message node, a tool
 * set). Each damaged blob is one finding, at the first row that refers to it.
 */
const checkBlobs = (episodeId: string, rows: ReadonlyArray<RawStoredRow>, blobs: ReadonlyMap<string, string>): Array<IntegrityFinding> => {
  const damaged = new Map<string, { problem: BlobProblem; what: "message node" | "tool set"; seqs: Array<number> }>()
  const verdicts = new Map<string, BlobProblem | null>()
  const check = (address: string, what: "message node" | "tool set", seq: number, wellFormed: (body: string) => boolean): boolean => {
    let problem = verdicts.get(address)
    if (problem === undefined) {
      const body = blobs.get(address)
      problem = body === undefined ? "missing" : blobAddress(body) !== address ? "edited" : wellFormed(body) ? null : "malformed"
      verdicts.set(address, problem)
    }
    if (problem === null) return true
    const entry = damaged.get(address) ?? { problem, what, seqs: [] }
    if (entry.seqs.at(-1) !== seq) entry.seqs.push(seq)
    damaged.set(address, entry)
    return false
  }
  const isToolSet = (body: string): boolean => {
    try {
      return Array.isArray(JSON.parse(body))
    } catch {
      return false
    }
  }
  for (const row of rows) {
    const refs = pooledRefs(row)
    if (!refs) continue
    if (refs.tools !== undefined) check(refs.tools, "tool set", row.seq, isToolSet)
    const seen = new Set<string>()
    for (let at: string | null = refs.messages ?? null; at !== null && !seen.has(at); ) {
      seen.add(at)
      check(at, "message node", row.seq, (body) => parseNode(body) !== undefined)
      // An edited node that still reads as one is followed: what it points at is checked too.
      const body = blobs.get(at)
      at = body === undefined ? null : (parseNode(body)?.prev ?? null)
    }
  }
  const describe: Record<BlobProblem, (what: string) => string> = {
    missing: () => "is missing from the blob table",
    edited: () => "does not match its address: its content was changed after it was written",
    malformed: (what) => `is not a ${what}`,
  }
  return [...damaged.entries()]
    .sort(([, a], [, b]) => a.seqs[0] - b.seqs[0])
    .map(([blob, { problem, what, seqs }]) => ({
      episodeId,
      seq: seqs[0],
      kind: "blob" as const,
      blob,
      detail: `seq ${seqs[0]}: the ${what} ${blob} its request refers to ${describe[problem](what)}${
        seqs.length > 1
          ? ` (${seqs.length - 1} later model call${seqs.length === 2 ? "" : "s"} of the stream refer to it too, the last at seq ${seqs[seqs.length - 1]})`
          : ""
      }`,
    }))
}

/** Checks the read model's episode row against the log. */
const checkReadModel = (
  episodeId: string,
  rows: ReadonlyArray<RawStoredRow>,
  decoded: ReadonlyArray<EpisodeEvent | undefined>,
  episode: EpisodeRow | undefined,
  scores: StreamRecord["scores"],
): Array<IntegrityFinding> => {
  const finding = (detail: string): IntegrityFinding => ({ episodeId, seq: null, kind: "read-model", detail })
  if (!episode) return [finding("the episodes read model has no row for it")]
  const findings: Array<IntegrityFinding> = []
  const differs = (field: string, stored: unknown, fromLog: unknown, source: string): void => {
    if (stored !== fromLog) {
      findings.push(finding(`read model ${field} is ${JSON.stringify(stored)}, ${source} says ${JSON.stringify(fromLog)}`))
    }
  }
  differs("version", episode.version, rows.length, "the number of events in the log")
  const ends = decoded.filter((e): e is Extract<EpisodeEvent, { _tag: "EpisodeEnded" }> => e?._tag === "EpisodeEnded")
  const lastEnd = ends[ends.length - 1]
  differs("status", episode.status, lastEnd ? "ended" : "running", lastEnd ? "the log's EpisodeEnded" : "the log (no EpisodeEnded)")
  differs("terminationReason", episode.terminationReason, lastEnd?.reason ?? null, "the log")
  const first = rows[0]?.seq === 0 ? decoded[0] : undefined
  if (first?._tag === "EpisodeStarted") {
    const start: EpisodeStarted = first
    differs("runId", episode.runId, start.runId, "EpisodeStarted")
    differs("domain", episode.domain, start.domain, "EpisodeStarted")
    differs("taskId", episode.taskId, start.taskId, "EpisodeStarted")
    differs("trial", episode.trial, start.trial, "EpisodeStarted")
    differs("parentEpisodeId", episode.parentEpisodeId, start.parent?.episodeId ?? null, "EpisodeStarted")
    differs("parentSeq", episode.parentSeq, start.parent?.seq ?? null, "EpisodeStarted")
  }
  if ("unreadable" in scores) findings.push(finding(`the episode's scores cannot be read: ${scores.unreadable}`))
  else {
    // Only the τ² family's scores are the episode's reward; behavioural sets are stored beside it.
    const latest = scores.filter((s) => isRewardEvaluator(s.evaluator)).at(-1)
    differs("reward", episode.reward, latest?.reward ?? null, "the latest score")
  }
  return findings
}

/**
 * Score findings: every stored score's hash is recomputed from its stored texts and the hash of
 * the episode's score before it, so an edited reward, breakdown or judge call (its cost, its
 * verdict), and a deleted or reordered score, are seen. One finding per score that does not fit.
 */
const checkScores = (episodeId: string, rows: ReadonlyArray<RawScoreRow>): Array<IntegrityFinding> => {
  const findings: Array<IntegrityFinding> = []
  for (const [i, row] of rows.entries()) {
    const what = `score ${i + 1} of ${rows.length} (${row.evaluator}@${row.evaluatorVersion}, recorded ${row.recordedAt})`
    const finding = (detail: string): void => {
      findings.push({ episodeId, seq: null, kind: "score", detail: `${what} ${detail}` })
    }
    if (row.hash === null) {
      finding("has no hash: written outside the store")
      continue
    }
    const prev = i === 0 ? SCORE_CHAIN_START : (rows[i - 1].hash ?? SCORE_CHAIN_START)
    if (row.hash === scoreHash(episodeId, prev, row)) continue
    // The score's own content still fits its hash, after another predecessor: the scores before it changed.
    const ownContentFits = [SCORE_CHAIN_START, ...rows.map((r) => r.hash ?? SCORE_CHAIN_START)].some((p) => row.hash === scoreHash(episodeId, p, row))
    finding(
      ownContentFits
        ? "does not chain from the score before it: the scores were reordered"
        : "no longer matches its hash: its reward, breakdown or model calls were edited after it was written, or a score before it was deleted",
    )
  }
  return findings
}

/** Checks one stream as read from the store. Pure: never throws for damaged input. */
export const checkIntegrity = (episodeId: string, record: StreamRecord): IntegrityReport => {
  const { rows, episode, scores, seal } = record
  const report = (findings: ReadonlyArray<IntegrityFinding>): IntegrityReport => ({
    episodeId,
    events: rows.length,
    findings,
    seal,
  })
  if (rows.length === 0) {
    return report([
      {
        episodeId,
        seq: null,
        kind: "missing-stream",
        detail: episode
          ? `the log has no events, though the episodes read model lists it at version ${episode.version}`
          : "the log has no events for this episode",
      },
    ])
  }
  const findings: Array<IntegrityFinding> = []
  const push = (seq: number | null, kind: IntegrityKind, detail: string): void => {
    findings.push({ episodeId, seq, kind, detail })
  }

  let expected = 0
  for (const row of rows) {
    if (row.seq !== expected) {
      push(
        expected,
        "seq-gap",
        row.seq > expected
          ? `${seqRange(expected, row.seq - 1)} ${row.seq - 1 === expected ? "is" : "are"} missing (the log goes from ${expected === 0 ? "its start" : `seq ${expected - 1}`} to seq ${row.seq})`
          : `seq ${row.seq} is out of order (expected seq ${expected})`,
      )
    }
    expected = row.seq + 1
  }

  const decoded = rows.map((row): EpisodeEvent | undefined => {
    try {
      return decodeEvent(episodeId, row.seq, row.body)
    } catch (e) {
      push(row.seq, "unreadable", e instanceof Error ? e.message : String(e))
      return undefined
    }
  })

  const seq0 = rows[0].seq === 0 ? 0 : undefined
  let starts = 0
  decoded.forEach((event, i) => {
    if (event?._tag !== "EpisodeStarted") return
    starts++
    if (rows[i].seq !== 0) push(rows[i].seq, "start-not-first", `EpisodeStarted at seq ${rows[i].seq}; it must be the first event only`)
    else if (event.episodeId !== episodeId) push(0, "no-start", `the EpisodeStarted at seq 0 names another episode (${event.episodeId})`)
  })
  if (seq0 !== undefined && decoded[0] !== undefined && decoded[0]._tag !== "EpisodeStarted") {
    push(0, "no-start", `seq 0 is ${decoded[0]._tag}, not EpisodeStarted`)
  } else if (seq0 === undefined && starts === 0) {
    push(null, "no-start", "the log has no EpisodeStarted")
  }

  const end = decoded.findIndex((event) => event?._tag === "EpisodeEnded")
  if (end >= 0) {
    for (let i = end + 1; i < rows.length; i++) {
      push(rows[i].seq, "after-end", `${decoded[i]?._tag ?? "an event"} at seq ${rows[i].seq} comes after EpisodeEnded at seq ${rows[end].seq}`)
    }
  }

  findings.push(...checkChain(episodeId, rows))
  findings.push(...checkBlobs(episodeId, rows, record.blobs))
  findings.push(...checkReadModel(episodeId, rows, decoded, episode, scores))
  if (record.rawScores) findings.push(...checkScores(episodeId, record.rawScores))
  return report(findings)
}

/** The pool blobs the rows refer to: their references, then each message chain link by link. */
const referencedBlobs = (rows: ReadonlyArray<RawStoredRow>): Effect.Effect<ReadonlyMap<string, string>, StoreError, EventStore> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const found = new Map<string, string>()
    const asked = new Set<string>()
    const nodes = new Set<string>()
    let wanted: Array<string> = []
    const want = (address: string | undefined | null, node: boolean): void => {
      if (address == null || asked.has(address)) return
      asked.add(address)
      if (node) nodes.add(address)
      wanted.push(address)
    }
    for (const row of rows) {
      const refs = pooledRefs(row)
      want(refs?.messages, true)
      want(refs?.tools, false)
    }
    while (wanted.length > 0) {
      const batch = wanted
      wanted = []
      for (const [address, body] of yield* store.readBlobs(batch)) {
        found.set(address, body)
        if (nodes.has(address)) want(parseNode(body)?.prev, true)
      }
    }
    return found
  })

/** Everything the check looks at, read from the store. */
export const readStreamRecord = (episodeId: string): Effect.Effect<StreamRecord, StoreError, EventStore> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const rows = yield* store.readRaw(episodeId)
    const episode = yield* store.getEpisode(episodeId)
    const seal = yield* store.chainSeal(episodeId)
    // A score that cannot be read is damage to report, not a reason to stop checking.
    const scores = yield* store.listScores(episodeId).pipe(Effect.catch((e: StoreError) => Effect.succeed({ unreadable: e.message })))
    const rawScores = yield* store.readScoresRaw(episodeId)
    const blobs = yield* referencedBlobs(rows)
    return { rows, episode, scores, rawScores, seal, blobs }
  })

/**
 * Reads the stream, its read model, scores, seal and pool blobs, and checks them. Damage is
 * reported as findings; only a store that cannot be read at all fails.
 */
export const checkStreamIntegrity = (episodeId: string): Effect.Effect<IntegrityReport, StoreError, EventStore> =>
  Effect.map(readStreamRecord(episodeId), (record) => checkIntegrity(episodeId, record))
