/**
 * The in-memory event store, for tests and throwaway runs. Same semantics as the SQLite store:
 * events are kept as encoded JSON (model calls pooled) and decoded (upcast) on read, data values are copied through
 * JSON, writes are all or nothing, lists come back in the order things were first written.
 */
import { Clock, Effect, Layer } from "effect"
import { nowIso } from "../clock.ts"
import type { EpisodeEvent, ModelCalled } from "../events.ts"
import { chainFrom, chainRows } from "./chain.ts"
import {
  EventStore,
  isRewardEvaluator,
  StoreError,
  VersionConflict,
  type AppendOptions,
  type EpisodeRow,
  type EventStoreShape,
  type LeaseHolder,
  type LeaseResult,
  type RawScoreRow,
  type RawStoredRow,
  type RunRecord,
  type ScoreRecord,
} from "./event-store.ts"
import { leaseIsStale } from "./lease-rules.ts"
import { attempt, attemptAppend, decodeRow, parseStoredJson, type BlobLookup, type StoreHandle } from "./store-handle.ts"
import { decodeScore, type EncodedScore, encodeAppendScores, encodeScore, SCORE_CHAIN_START, scoreHash } from "./score-rows.ts"
import { checkStreamShape, encodeBatch, encodeJson, episodeRowChange, InvalidWrite } from "./write-rules.ts"

interface StoredRun {
  readonly runId: string
  readonly createdAt: string
  readonly config: string
  readonly experiment: string | null
}

interface StoredLease {
  readonly holder: LeaseHolder
  readonly heartbeatAtMs: number
}

export const makeMemoryStore = (): StoreHandle => {
  // Streams are kept sorted by seq (raw writes may land anywhere).
  const streams = new Map<string, Array<RawStoredRow>>()
  const runs = new Map<string, StoredRun>()
  const episodes = new Map<string, EpisodeRow>()
  // Scores as stored: their encoded texts, chain hash and place in the write order (SQLite's ids).
  const scores = new Map<string, Array<EncodedScore & { readonly hash: string; readonly order: number }>>()
  let scoresWritten = 0
  const leases = new Map<string, StoredLease>()
  // The message pool (ADR 0004), as in SQLite: rows hold references, blobs are kept once.
  const blobs = new Map<string, string>()
  const blobLookup: BlobLookup = (address) => blobs.get(address)
  let open = true

  const ensureOpen = (): void => {
    if (!open) throw new StoreError({ message: "event store: the in-memory store is closed" })
  }

  const head = (episodeId: string): RawStoredRow | undefined => {
    const stream = streams.get(episodeId)
    return stream && stream.length > 0 ? stream[stream.length - 1] : undefined
  }

  const insertRow = (row: RawStoredRow): void => {
    const stream = streams.get(row.episodeId) ?? []
    if (stream.some((existing) => existing.seq === row.seq)) {
      throw new StoreError({ message: `event store: episode ${row.episodeId} already has an event at seq ${row.seq}` })
    }
    stream.push({ ...row })
    stream.sort((a, b) => a.seq - b.seq)
    streams.set(row.episodeId, stream)
  }

  /** Stores scores of an episode whose row is `episode`; every check is done before. */
  const storeScores = (episode: EpisodeRow, encodedScores: ReadonlyArray<EncodedScore>): void => {
    if (encodedScores.length === 0) return
    const list = scores.get(episode.episodeId) ?? []
    for (const score of encodedScores)
      list.push({ ...score, hash: scoreHash(episode.episodeId, list.at(-1)?.hash ?? SCORE_CHAIN_START, score), order: scoresWritten++ })
    scores.set(episode.episodeId, list)
    const rewarding = encodedScores.filter((s) => isRewardEvaluator(s.evaluator))
    if (rewarding.length > 0) episodes.set(episode.episodeId, { ...episode, reward: rewarding[rewarding.length - 1].reward })
  }

  const noSuchEpisode = (episodeId: string): InvalidWrite => new InvalidWrite(`cannot score episode ${episodeId}: no such episode`)

  const appendNow = (
    episodeId: string,
    expectedVersion: number,
    batch: ReadonlyArray<EpisodeEvent>,
    recordedAt: string,
    options: AppendOptions = {},
  ): number => {
    ensureOpen()
    const encoded = encodeBatch(episodeId, expectedVersion, batch)
    const encodedScores = encodeAppendScores(episodeId, options.scores)
    const last = head(episodeId)
    const actual = last === undefined ? 0 : last.seq + 1
    if (actual !== expectedVersion) throw new VersionConflict({ episodeId, expected: expectedVersion, actual })
    if (batch.length > 0) checkStreamShape(episodeId, expectedVersion, batch, last?.tag)
    const version = expectedVersion + batch.length
    const change = episodeRowChange(episodeId, version, batch)
    const existing = episodes.get(episodeId)
    if (encodedScores.length > 0 && !change.created && !existing) throw noSuchEpisode(episodeId)
    if (batch.length === 0) {
      if (existing) storeScores(existing, encodedScores)
      return actual
    }
    // Every check is done: from here on nothing throws, so the append is all or nothing.
    const hashes = chainRows(episodeId, chainFrom(last?.hash), encoded)
    const stream = streams.get(episodeId) ?? []
    for (const e of encoded) for (const blob of e.blobs) if (!blobs.has(blob.address)) blobs.set(blob.address, blob.body)
    for (const [i, e] of encoded.entries()) stream.push({ episodeId, seq: e.seq, recordedAt, tag: e.tag, v: e.v, body: e.body, hash: hashes[i] })
    streams.set(episodeId, stream)
    let row: EpisodeRow | undefined
    if (change.created) row = change.created
    else if (existing && change.ended !== undefined) {
      row = { ...existing, version, status: "ended", terminationReason: change.ended }
    } else if (existing) row = { ...existing, version }
    if (row) {
      episodes.set(episodeId, row)
      storeScores(row, encodedScores)
    }
    return version
  }

  const acquireLeaseNow = (name: string, holder: LeaseHolder, staleAfterMs: number, now: number): LeaseResult => {
    ensureOpen()
    const current = leases.get(name)
    if (current && current.holder.id !== holder.id && !leaseIsStale(current.holder, current.heartbeatAtMs, now, staleAfterMs)) {
      return { acquired: false, holder: current.holder }
    }
    const kept = current && current.holder.id === holder.id ? current.holder : { ...holder }
    leases.set(name, { holder: kept, heartbeatAtMs: now })
    return { acquired: true }
  }

  const toRunRecord = (run: StoredRun): RunRecord => ({
    runId: run.runId,
    createdAt: run.createdAt,
    config: parseStoredJson(`config of run ${run.runId}`, run.config) as Record<string, unknown>,
    experiment: run.experiment,
  })

  const store: EventStoreShape = {
    // Times recorded as data (an event's recordedAt, a lease's heartbeat) come from Effect's Clock.
    append: (episodeId, expectedVersion, batch, options) =>
      Effect.flatMap(nowIso, (recordedAt) => attemptAppend(() => appendNow(episodeId, expectedVersion, batch, recordedAt, options))),
    readRaw: (episodeId) =>
      attempt(() => {
        ensureOpen()
        return (streams.get(episodeId) ?? []).map((row) => ({ ...row }))
      }),
    listStreamIds: () =>
      attempt(() => {
        ensureOpen()
        // Map keys keep insertion order: the order streams were first written.
        return [...streams.keys()].filter((id) => (streams.get(id)?.length ?? 0) > 0)
      }),
    readBlobs: (addresses) =>
      attempt(() => {
        ensureOpen()
        const found = new Map<string, string>()
        for (const address of addresses) {
          const body = blobs.get(address)
          if (body !== undefined) found.set(address, body)
        }
        return found
      }),
    chainSeal: () =>
      attempt(() => {
        // Nothing in memory predates the chain.
        ensureOpen()
        return undefined
      }),
    createRun: (run) =>
      attempt(() => {
        ensureOpen()
        const existing = runs.get(run.runId)
        if (existing) return { created: false, run: toRunRecord(existing) }
        const config = encodeJson(`config of run ${run.runId}`, run.config)
        const stored: StoredRun = { runId: run.runId, createdAt: run.createdAt, config, experiment: run.experiment }
        runs.set(run.runId, stored)
        return { created: true, run: toRunRecord(stored) }
      }),
    acquireLease: (name, holder, staleAfterMs) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => attempt(() => acquireLeaseNow(name, holder, staleAfterMs, now))),
    renewLease: (name, holderId) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt(() => {
          ensureOpen()
          const current = leases.get(name)
          if (!current || current.holder.id !== holderId) return false
          leases.set(name, { holder: current.holder, heartbeatAtMs: now })
          return true
        }),
      ),
    releaseLease: (name, holderId) =>
      attempt(() => {
        ensureOpen()
        if (leases.get(name)?.holder.id === holderId) leases.delete(name)
      }),
    read: (episodeId, range = {}) =>
      attempt(() => {
        ensureOpen()
        const from = range.fromSeq ?? 0
        const to = range.toSeq ?? Number.MAX_SAFE_INTEGER
        return (streams.get(episodeId) ?? [])
          .filter((row) => row.seq >= from && row.seq < to)
          .map((row) => decodeRow(episodeId, row.seq, row.recordedAt, row.body, blobLookup))
      }),
    putRun: (run) =>
      attempt(() => {
        ensureOpen()
        const config = encodeJson(`config of run ${run.runId}`, run.config)
        runs.set(run.runId, { runId: run.runId, createdAt: run.createdAt, config, experiment: run.experiment })
      }),
    getRun: (runId) =>
      attempt(() => {
        ensureOpen()
        const run = runs.get(runId)
        return run && toRunRecord(run)
      }),
    listRuns: () =>
      attempt(() => {
        ensureOpen()
        return [...runs.values()].map(toRunRecord)
      }),
    getEpisode: (episodeId) =>
      attempt(() => {
        ensureOpen()
        return episodes.get(episodeId)
      }),
    listEpisodes: (filter = {}) =>
      attempt(() => {
        ensureOpen()
        return [...episodes.values()].filter(
          (row) => (filter.runId === undefined || row.runId === filter.runId) && (filter.status === undefined || row.status === filter.status),
        )
      }),
    appendScore: (score) =>
      attempt(() => {
        ensureOpen()
        const encodedScore = encodeScore(score)
        const episode = episodes.get(score.episodeId)
        if (!episode) throw noSuchEpisode(score.episodeId)
        storeScores(episode, [encodedScore])
      }),
    listScores: (episodeId) =>
      attempt(() => {
        ensureOpen()
        return (scores.get(episodeId) ?? []).map(
          (score, i): ScoreRecord => decodeScore(`score ${i} of episode ${episodeId}`, episodeId, score, parseStoredJson),
        )
      }),
    readScoresRaw: (episodeId) =>
      attempt(() => {
        ensureOpen()
        return (scores.get(episodeId) ?? []).map(
          (score): RawScoreRow => ({
            evaluator: score.evaluator,
            evaluatorVersion: score.evaluatorVersion,
            reward: score.reward,
            breakdown: score.breakdown,
            modelCalls: score.modelCalls,
            recordedAt: score.recordedAt,
            hash: score.hash,
          }),
        )
      }),
    findModelResponse: (requestHash) =>
      attempt(() => {
        ensureOpen()
        // A quick look at the body's text first, where the hash is written as it is (JSON escapes other text).
        const needle = /^[\x20-\x7e]*$/.test(requestHash) && !/["\\]/.test(requestHash) ? requestHash : ""
        // Streams in the order they were first written, then by seq: the same "first" as SQLite's rowid order.
        for (const stream of streams.values()) {
          for (const row of stream) {
            if (row.tag !== "ModelCalled" || !row.body.includes(needle)) continue
            let body: { requestHash?: unknown; error?: unknown }
            try {
              body = JSON.parse(row.body)
            } catch {
              continue
            }
            if (body.requestHash !== requestHash || body.error !== null) continue
            const event = decodeRow(row.episodeId, row.seq, row.recordedAt, row.body, blobLookup).event
            if (event._tag === "ModelCalled") return event as ModelCalled
          }
        }
        // Then the calls recorded with scores, in the order the scores were written.
        const written = [...scores.entries()].flatMap(([episodeId, list]) => list.map((score, i) => ({ episodeId, score, i })))
        for (const { episodeId, score, i } of written.sort((a, b) => a.score.order - b.score.order)) {
          const at = score.answered.find((a) => a.requestHash === requestHash)
          if (at === undefined) continue
          return decodeScore(`score ${i} of episode ${episodeId}`, episodeId, score, parseStoredJson).modelCalls?.[at.index]
        }
        return undefined
      }),
  }

  return {
    store,
    writeRawEvent: (row) => {
      ensureOpen()
      insertRow({ ...row, hash: row.hash ?? null })
    },
    close: () => {
      open = false
    },
  }
}

/** A fresh, empty in-memory store as a layer. */
export const layerMemory: Layer.Layer<EventStore> = Layer.effect(
  EventStore,
  Effect.sync(() => makeMemoryStore().store),
)
