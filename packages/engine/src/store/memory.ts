/**
 * The in-memory event store, for tests and throwaway runs. Same semantics as the SQLite store:
 * events are kept as encoded JSON and decoded (upcast) on read, data values are copied through
 * JSON, writes are all or nothing, lists come back in the order things were first written.
 */
import { Effect, Layer } from "effect"
import type { EpisodeEvent, ModelCalled } from "../events.ts"
import {
  EventStore,
  StoreError,
  VersionConflict,
  type EpisodeRow,
  type EventStoreShape,
  type RunRecord,
  type ScoreRecord,
} from "./event-store.ts"
import { attempt, attemptAppend, decodeRow, parseStoredJson, type RawEventRow, type StoreHandle } from "./store-handle.ts"
import { checkScore, checkStreamShape, encodeBatch, encodeJson, episodeRowChange, InvalidWrite } from "./write-rules.ts"

interface StoredRun {
  readonly runId: string
  readonly createdAt: string
  readonly config: string
  readonly experiment: string | null
}

interface StoredScore extends Omit<ScoreRecord, "breakdown"> {
  readonly breakdown: string
}

export const makeMemoryStore = (): StoreHandle => {
  // Streams are kept sorted by seq (raw writes may land anywhere).
  const streams = new Map<string, Array<RawEventRow>>()
  const runs = new Map<string, StoredRun>()
  const episodes = new Map<string, EpisodeRow>()
  const scores = new Map<string, Array<StoredScore>>()
  let open = true

  const ensureOpen = (): void => {
    if (!open) throw new StoreError({ message: "event store: the in-memory store is closed" })
  }

  const nextSeq = (episodeId: string): number => {
    const stream = streams.get(episodeId)
    return stream && stream.length > 0 ? stream[stream.length - 1].seq + 1 : 0
  }

  const insertRow = (row: RawEventRow): void => {
    const stream = streams.get(row.episodeId) ?? []
    if (stream.some((existing) => existing.seq === row.seq)) {
      throw new StoreError({ message: `event store: episode ${row.episodeId} already has an event at seq ${row.seq}` })
    }
    stream.push({ ...row })
    stream.sort((a, b) => a.seq - b.seq)
    streams.set(row.episodeId, stream)
  }

  const appendNow = (episodeId: string, expectedVersion: number, batch: ReadonlyArray<EpisodeEvent>): number => {
    ensureOpen()
    const encoded = encodeBatch(episodeId, expectedVersion, batch)
    const recordedAt = new Date().toISOString()
    const actual = nextSeq(episodeId)
    if (actual !== expectedVersion) throw new VersionConflict({ episodeId, expected: expectedVersion, actual })
    if (batch.length === 0) return actual
    checkStreamShape(episodeId, expectedVersion, batch)
    // Every check is done: from here on nothing throws, so the append is all or nothing.
    const stream = streams.get(episodeId) ?? []
    for (const e of encoded) stream.push({ episodeId, seq: e.seq, recordedAt, tag: e.tag, v: e.v, body: e.body })
    streams.set(episodeId, stream)
    const version = expectedVersion + batch.length
    const change = episodeRowChange(episodeId, version, batch)
    const existing = episodes.get(episodeId)
    if (change.created) episodes.set(episodeId, change.created)
    else if (existing && change.ended !== undefined) {
      episodes.set(episodeId, { ...existing, version, status: "ended", terminationReason: change.ended })
    } else if (existing) episodes.set(episodeId, { ...existing, version })
    return version
  }

  const toRunRecord = (run: StoredRun): RunRecord => ({
    runId: run.runId,
    createdAt: run.createdAt,
    config: parseStoredJson(`config of run ${run.runId}`, run.config) as Record<string, unknown>,
    experiment: run.experiment,
  })

  const store: EventStoreShape = {
    append: (episodeId, expectedVersion, batch) => attemptAppend(() => appendNow(episodeId, expectedVersion, batch)),
    read: (episodeId, range = {}) =>
      attempt(() => {
        ensureOpen()
        const from = range.fromSeq ?? 0
        const to = range.toSeq ?? Number.MAX_SAFE_INTEGER
        return (streams.get(episodeId) ?? [])
          .filter((row) => row.seq >= from && row.seq < to)
          .map((row) => decodeRow(episodeId, row.seq, row.recordedAt, row.body))
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
          (row) =>
            (filter.runId === undefined || row.runId === filter.runId) &&
            (filter.status === undefined || row.status === filter.status),
        )
      }),
    appendScore: (score) =>
      attempt(() => {
        ensureOpen()
        checkScore(score)
        const breakdown = encodeJson(`breakdown of the score of episode ${score.episodeId}`, score.breakdown)
        const episode = episodes.get(score.episodeId)
        if (!episode) throw new InvalidWrite(`cannot score episode ${score.episodeId}: no such episode`)
        const list = scores.get(score.episodeId) ?? []
        list.push({
          episodeId: score.episodeId,
          evaluator: score.evaluator,
          evaluatorVersion: score.evaluatorVersion,
          reward: score.reward,
          breakdown,
          recordedAt: score.recordedAt,
        })
        scores.set(score.episodeId, list)
        episodes.set(score.episodeId, { ...episode, reward: score.reward })
      }),
    listScores: (episodeId) =>
      attempt(() => {
        ensureOpen()
        return (scores.get(episodeId) ?? []).map(
          (score, i): ScoreRecord => ({
            ...score,
            breakdown: parseStoredJson(`breakdown of score ${i} of episode ${episodeId}`, score.breakdown),
          }),
        )
      }),
    findModelResponse: (requestHash) =>
      attempt(() => {
        ensureOpen()
        // Streams in the order they were first written, then by seq: the same "first" as SQLite's rowid order.
        for (const stream of streams.values()) {
          for (const row of stream) {
            if (row.tag !== "ModelCalled" || !row.body.includes(requestHash)) continue
            let body: { requestHash?: unknown; error?: unknown }
            try {
              body = JSON.parse(row.body)
            } catch {
              continue
            }
            if (body.requestHash !== requestHash || body.error !== null) continue
            const event = decodeRow(row.episodeId, row.seq, row.recordedAt, row.body).event
            if (event._tag === "ModelCalled") return event as ModelCalled
          }
        }
        return undefined
      }),
  }

  return {
    store,
    writeRawEvent: (row) => {
      ensureOpen()
      insertRow(row)
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
