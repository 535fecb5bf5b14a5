/**
 * The embedded event store: one SQLite file (WAL) per store, shared safely by several processes.
 * Appends run in one `BEGIN IMMEDIATE` transaction: check the stream's version, insert the pool
 * blobs the events refer to (ADR 0004) and the events, update the read models. Queries are prepared once (listing episodes, with its optional
 * filters, is built per call).
 */
import { existsSync, mkdirSync } from "node:fs"
import { dirname } from "node:path"
import Database from "better-sqlite3"
import { and, eq, sql, type SQL } from "drizzle-orm"
import { drizzle } from "drizzle-orm/better-sqlite3"
import { Clock, Effect, Layer } from "effect"
import { nowIso } from "../clock.ts"
import type { EpisodeEvent, ModelCalled, TerminationReason } from "../events.ts"
import { chainFrom, chainRows } from "./chain.ts"
import { walCheckpointer } from "./checkpointer.ts"
import { groupCommit } from "./group-commit.ts"
import {
  EventStore,
  isRewardEvaluator,
  StoreError,
  VersionConflict,
  type AppendOptions,
  type EpisodeFilter,
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
import { decodeModelCalls, decodeScore, type EncodedScore, encodeAppendScores, encodeScore, SCORE_CHAIN_START, scoreHash } from "./score-rows.ts"
import { chainSeals, episodes, events, MIGRATIONS, MODEL_REQUEST_HASH, runs, type scores, SCHEMA_VERSION } from "./sqlite-schema.ts"
import {
  attempt as attemptWith,
  attemptAppend as attemptAppendWith,
  cachedLookup,
  decodeRow,
  parseStoredJson,
  toStoreError,
  type BlobLookup,
  type RawEventRow,
  type StoreHandle,
} from "./store-handle.ts"
import { checkStreamShape, encodeBatch, encodeJson, episodeRowChange, InvalidWrite, type EncodedEvent } from "./write-rules.ts"

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's write lock before failing. */
  readonly busyTimeoutMs?: number
  /**
   * Fail with "no event store at <path>" instead of creating the file (and its directory) when it
   * does not exist: for commands that only read.
   */
  readonly mustExist?: boolean
}

const DEFAULT_BUSY_TIMEOUT_MS = 10_000
const END_OF_STREAM = Number.MAX_SAFE_INTEGER
const ROWS_PER_INSERT = 100

const IN_MEMORY_PATH = ":memory:"

/** The content an append writes: its bodies and the pool blobs they bring. */
const rowBytes = (encoded: ReadonlyArray<EncodedEvent>): number => {
  let n = 0
  for (const e of encoded) {
    n += e.body.length
    for (const blob of e.blobs) n += blob.body.length
  }
  return n
}

/** Brings the file to the current schema; serialised across processes by the write lock. */
const migrate = (client: Database.Database): void => {
  const userVersion = (): number => client.pragma("user_version", { simple: true }) as number
  const check = (version: number): void => {
    if (version > SCHEMA_VERSION) {
      throw new StoreError({
        message: `event store ${client.name} has schema version ${version}, newer than this engine's ${SCHEMA_VERSION}`,
      })
    }
  }
  check(userVersion())
  if (userVersion() === SCHEMA_VERSION) return
  client
    .transaction(() => {
      const from = userVersion()
      check(from)
      for (const step of MIGRATIONS.slice(from)) {
        for (const statement of step) {
          if (typeof statement === "string") client.exec(statement)
          else statement(client)
        }
      }
      client.pragma(`user_version = ${SCHEMA_VERSION}`)
    })
    .immediate()
}

const openClient = (path: string, busyTimeoutMs: number, mustExist: boolean): Database.Database => {
  // SQLite would take "" for a private temporary database: a run "stored" there keeps nothing.
  if (path === "") throw new StoreError({ message: "event store path is empty (use :memory: for a throwaway store)" })
  const inMemory = path === IN_MEMORY_PATH
  if (!inMemory && mustExist && !existsSync(path)) throw new StoreError({ message: `no event store at ${path}` })
  if (!inMemory && !mustExist) mkdirSync(dirname(path), { recursive: true })
  let client: Database.Database
  try {
    // `fileMustExist` also covers the file vanishing between the check and the open.
    client = new Database(path, { timeout: busyTimeoutMs, fileMustExist: mustExist && !inMemory })
  } catch (e) {
    if (mustExist && !existsSync(path)) throw new StoreError({ message: `no event store at ${path}` })
    throw e
  }
  try {
    client.pragma("journal_mode = WAL")
    client.pragma("synchronous = NORMAL")
    migrate(client)
    return client
  } catch (e) {
    client.close()
    throw e
  }
}

type EpisodeSelect = typeof episodes.$inferSelect

const toEpisodeRow = (row: EpisodeSelect): EpisodeRow => ({
  episodeId: row.episodeId,
  runId: row.runId,
  domain: row.domain,
  taskId: row.taskId,
  trial: row.trial,
  status: row.status,
  terminationReason: row.terminationReason as TerminationReason | null,
  version: row.version,
  parentEpisodeId: row.parentEpisodeId,
  parentSeq: row.parentSeq,
  reward: row.reward,
})

const toRunRecord = (row: typeof runs.$inferSelect): RunRecord => ({
  runId: row.runId,
  createdAt: row.createdAt,
  config: parseStoredJson(`config of run ${row.runId}`, row.config) as Record<string, unknown>,
  experiment: row.experiment,
})

/**
 * Opens (creating if needed, unless `mustExist`) the store at `path`; `:memory:` gives a private
 * in-memory database. Throws a `StoreError` when the path is empty, the file cannot be opened or
 * has a newer schema.
 */
export const openSqliteStore = (path: string, options: SqliteStoreOptions = {}): StoreHandle => {
  let client: Database.Database
  try {
    client = openClient(path, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, options.mustExist ?? false)
  } catch (e) {
    throw toStoreError(e, `event store ${path}`)
  }
  const db = drizzle({ client })
  const checkpointer = path === IN_MEMORY_PATH ? undefined : walCheckpointer(client, path)
  // Failures of this store name its file.
  const where = `event store ${path}`
  const attempt = <A>(operation: () => A) => attemptWith(operation, where)
  const attemptAppend = <A>(operation: () => A) => attemptAppendWith(operation, where)
  const p = (name: string) => sql.placeholder(name)
  // `update().set()` takes SQL, not bare placeholders.
  const ps = (name: string) => sql`${sql.placeholder(name)}`

  // A parameter a WHERE compares with `=` is written `+?` (the same value, the same plan) where a
  // bare `?` would be re-prepared on every call: SQLite's planner peeks at a bare parameter's value
  // for its estimates and marks the statement to be compiled again when the value changes, which
  // better-sqlite3's clearing of bindings after each call sets off every time (measured: the head
  // query ~9 us a call instead of ~1). It does not look under a unary `+`.
  // The stream's head: its version (last seq + 1), whether it has ended, and the hash the next row chains from.
  const selectHead = client.prepare<[string], { seq: number; tag: string; hash: string | null }>(
    "SELECT seq, tag, hash FROM events WHERE episode_id = +? ORDER BY seq DESC LIMIT 1",
  )
  // The hot path: multi-row inserts cut the per-statement cost of big batches, and the
  // statements run on the client directly (drizzle writes the SQL; its per-parameter placeholder
  // lookup would cost more than the insert itself).
  const insertEventRows = (rows: number) =>
    client.prepare<Array<string | number | null>>(
      db
        .insert(events)
        .values(
          Array.from({ length: rows }, () => ({
            episodeId: p("_"),
            seq: p("_"),
            recordedAt: p("_"),
            tag: p("_"),
            v: p("_"),
            body: p("_"),
            hash: p("_"),
          })),
        )
        .toSQL().sql,
    )
  const insertEventChunk = insertEventRows(ROWS_PER_INSERT)
  const insertEvent = insertEventRows(1)
  // The pool: a blob already stored (by any episode) is left as it is.
  const insertBlob = client.prepare<[string, string]>("INSERT OR IGNORE INTO blobs (hash, body) VALUES (?, ?)")
  const selectBlob = client.prepare<[string], { body: string }>("SELECT body FROM blobs WHERE hash = ?")
  const blobLookup = (): BlobLookup => cachedLookup((address) => selectBlob.get(address)?.body)
  const insertEncoded = (episodeId: string, recordedAt: string, encoded: ReadonlyArray<EncodedEvent>, hashes: ReadonlyArray<string>): void => {
    // Calls of one batch share most nodes: each address is inserted once.
    const written = new Set<string>()
    for (const e of encoded) {
      for (const blob of e.blobs) {
        if (written.has(blob.address)) continue
        written.add(blob.address)
        insertBlob.run(blob.address, blob.body)
      }
    }
    const params: Array<string | number | null> = []
    let i = 0
    for (; i + ROWS_PER_INSERT <= encoded.length; i += ROWS_PER_INSERT) {
      params.length = 0
      for (let j = i; j < i + ROWS_PER_INSERT; j++) {
        const e = encoded[j]
        params.push(episodeId, e.seq, recordedAt, e.tag, e.v, e.body, hashes[j])
      }
      insertEventChunk.run(...params)
    }
    for (; i < encoded.length; i++) {
      const e = encoded[i]
      insertEvent.run(episodeId, e.seq, recordedAt, e.tag, e.v, e.body, hashes[i])
    }
  }
  // On the client directly, as rows of three: drizzle's mapping of each row would cost about
  // what decoding it does.
  const readEvents = client
    .prepare<[string, number, number], [number, string, string]>(
      "SELECT seq, recorded_at, body FROM events WHERE episode_id = +? AND seq >= ? AND seq < ? ORDER BY seq",
    )
    .raw()
  const insertEpisode = db
    .insert(episodes)
    .values({
      episodeId: p("episodeId"),
      runId: p("runId"),
      domain: p("domain"),
      taskId: p("taskId"),
      trial: p("trial"),
      status: p("status"),
      terminationReason: p("terminationReason"),
      version: p("version"),
      parentEpisodeId: p("parentEpisodeId"),
      parentSeq: p("parentSeq"),
      reward: null,
    })
    .prepare()
  const setEpisodeVersion = db
    .update(episodes)
    .set({ version: ps("version") })
    .where(eq(episodes.episodeId, p("episodeId")))
    .prepare()
  const endEpisode = db
    .update(episodes)
    .set({ version: ps("version"), status: "ended", terminationReason: ps("reason") })
    .where(eq(episodes.episodeId, p("episodeId")))
    .prepare()
  const selectEpisode = db
    .select()
    .from(episodes)
    .where(eq(episodes.episodeId, p("episodeId")))
    .prepare()
  const upsertRun = db
    .insert(runs)
    .values({ runId: p("runId"), createdAt: p("createdAt"), config: p("config"), experiment: p("experiment") })
    .onConflictDoUpdate({
      target: runs.runId,
      set: { createdAt: sql`excluded.created_at`, config: sql`excluded.config`, experiment: sql`excluded.experiment` },
    })
    .prepare()
  const insertRunIfAbsent = db
    .insert(runs)
    .values({ runId: p("runId"), createdAt: p("createdAt"), config: p("config"), experiment: p("experiment") })
    .onConflictDoNothing({ target: runs.runId })
    .prepare()
  const selectRun = db
    .select()
    .from(runs)
    .where(eq(runs.runId, p("runId")))
    .prepare()
  const selectRawEvents = client.prepare<
    [string],
    { episodeId: string; seq: number; recordedAt: string; tag: string; v: number; body: string; hash: string | null }
  >(
    `SELECT episode_id AS episodeId, seq, recorded_at AS recordedAt, tag, v, body, hash
     FROM events WHERE episode_id = +? ORDER BY seq`,
  )
  // The rowid of a stream's first row orders streams by when they were first written.
  const selectStreamIds = client.prepare<[], { episode_id: string }>(`SELECT episode_id FROM events GROUP BY episode_id ORDER BY min(rowid)`)
  const selectSeal = db
    .select()
    .from(chainSeals)
    .where(eq(chainSeals.episodeId, p("episodeId")))
    .prepare()
  const selectLease = client.prepare<[string], { holderId: string; pid: number; host: string; acquiredAt: string; heartbeatAtMs: number }>(
    `SELECT holder_id AS holderId, pid, host, acquired_at AS acquiredAt, heartbeat_at_ms AS heartbeatAtMs
     FROM leases WHERE name = ?`,
  )
  const upsertLease = client.prepare<[string, string, number, string, string, number]>(
    `INSERT INTO leases (name, holder_id, pid, host, acquired_at, heartbeat_at_ms) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET holder_id = excluded.holder_id, pid = excluded.pid, host = excluded.host,
       acquired_at = excluded.acquired_at, heartbeat_at_ms = excluded.heartbeat_at_ms`,
  )
  const touchLease = client.prepare<[number, string, string]>("UPDATE leases SET heartbeat_at_ms = ? WHERE name = ? AND holder_id = ?")
  const deleteLease = client.prepare<[string, string]>("DELETE FROM leases WHERE name = ? AND holder_id = ?")
  // rowid order = the order runs were first put / episodes started (the in-memory store's order too).
  const selectRuns = db.select().from(runs).orderBy(sql`rowid`).prepare()
  const insertScore = client.prepare<[string, string, string, number, string, string, string | null, string]>(
    `INSERT INTO scores (episode_id, evaluator, evaluator_version, reward, breakdown, recorded_at, model_calls, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  // The score chain's head: the hash of the episode's latest score.
  const selectScoreHead = client.prepare<[string], { hash: string | null }>("SELECT hash FROM scores WHERE episode_id = +? ORDER BY id DESC LIMIT 1")
  const insertScoreCall = client.prepare<[string, number | bigint, number]>(
    "INSERT OR IGNORE INTO score_model_calls (request_hash, score_id, idx) VALUES (?, ?, ?)",
  )
  // The first score (by id, = write order) that recorded a successful call with the hash.
  const selectScoreCall = client.prepare<[string], { episode_id: string; id: number; model_calls: string | null; idx: number }>(
    `SELECT s.episode_id, s.id, s.model_calls, c.idx FROM score_model_calls c JOIN scores s ON s.id = c.score_id
     WHERE c.request_hash = +? ORDER BY c.score_id, c.idx LIMIT 1`,
  )
  const setReward = db
    .update(episodes)
    .set({ reward: ps("reward") })
    .where(eq(episodes.episodeId, p("episodeId")))
    .prepare()
  const selectScores = client.prepare<[string], typeof scores.$inferSelect>(
    `SELECT id, episode_id AS episodeId, evaluator, evaluator_version AS evaluatorVersion, reward, breakdown, recorded_at AS recordedAt,
       model_calls AS modelCalls, hash
     FROM scores WHERE episode_id = +? ORDER BY id`,
  )
  const rawScore = (row: typeof scores.$inferSelect): RawScoreRow => ({
    evaluator: row.evaluator,
    evaluatorVersion: row.evaluatorVersion,
    reward: row.reward,
    breakdown: row.breakdown,
    modelCalls: row.modelCalls,
    recordedAt: row.recordedAt,
    hash: row.hash,
  })

  // Uses the partial expression index of migration 2; equal keys come in rowid (= write) order.
  const selectModelResponse = client.prepare<[string], { episode_id: string; seq: number; recorded_at: string; body: string }>(
    `SELECT episode_id, seq, recorded_at, body FROM events
     WHERE tag = 'ModelCalled' AND ${MODEL_REQUEST_HASH} = +? AND json_extract(body, '$.error') IS NULL
     ORDER BY rowid LIMIT 1`,
  )

  const insertEncodedScore = (score: EncodedScore): void => {
    const prev = selectScoreHead.get(score.episodeId)?.hash ?? SCORE_CHAIN_START
    const hash = scoreHash(score.episodeId, prev, score)
    const { lastInsertRowid } = insertScore.run(
      score.episodeId,
      score.evaluator,
      score.evaluatorVersion,
      score.reward,
      score.breakdown,
      score.recordedAt,
      score.modelCalls,
      hash,
    )
    for (const { requestHash, index } of score.answered) insertScoreCall.run(requestHash, lastInsertRowid, index)
    if (isRewardEvaluator(score.evaluator)) setReward.run({ episodeId: score.episodeId, reward: score.reward })
  }

  /** Stores scores of an episode that exists; inside the caller's transaction. */
  const insertScores = (episodeId: string, encodedScores: ReadonlyArray<EncodedScore>): void => {
    if (encodedScores.length === 0) return
    if (!selectEpisode.get({ episodeId })) throw new InvalidWrite(`cannot score episode ${episodeId}: no such episode`)
    for (const score of encodedScores) insertEncodedScore(score)
  }

  /** An append, encoded before it waits for its group (an invalid event rejects it at once). */
  interface PendingAppend {
    readonly episodeId: string
    readonly expectedVersion: number
    readonly batch: ReadonlyArray<EpisodeEvent>
    readonly recordedAt: string
    readonly encoded: ReadonlyArray<EncodedEvent>
    readonly encodedScores: ReadonlyArray<EncodedScore>
  }

  /** The writes of one append, inside the caller's transaction; returns the stream's new version. */
  const writeAppend = ({ episodeId, expectedVersion, batch, recordedAt, encoded, encodedScores }: PendingAppend): number => {
    const head = selectHead.get(episodeId)
    const actual = head === undefined ? 0 : head.seq + 1
    if (actual !== expectedVersion) throw new VersionConflict({ episodeId, expected: expectedVersion, actual })
    if (batch.length === 0) {
      insertScores(episodeId, encodedScores)
      return actual
    }
    checkStreamShape(episodeId, expectedVersion, batch, head?.tag)
    insertEncoded(episodeId, recordedAt, encoded, chainRows(episodeId, chainFrom(head?.hash), encoded))
    const version = expectedVersion + batch.length
    const change = episodeRowChange(episodeId, version, batch)
    if (change.created) {
      const row = change.created
      insertEpisode.run({
        episodeId,
        runId: row.runId,
        domain: row.domain,
        taskId: row.taskId,
        trial: row.trial,
        status: row.status,
        terminationReason: row.terminationReason,
        version,
        parentEpisodeId: row.parentEpisodeId,
        parentSeq: row.parentSeq,
      })
    } else if (change.ended !== undefined) {
      endEpisode.run({ episodeId, version, reason: change.ended })
    } else {
      setEpisodeVersion.run({ episodeId, version })
    }
    insertScores(episodeId, encodedScores)
    return version
  }

  // One wrapper: at the top it is an immediate transaction, inside one a savepoint.
  const inTransaction = client.transaction((body: () => unknown) => body())
  const appends = groupCommit<PendingAppend, number, VersionConflict | StoreError>({
    write: writeAppend,
    transaction: <R>(body: () => R) => inTransaction.immediate(body) as R,
    savepoint: <R>(body: () => R) => inTransaction(body) as R,
    inTransaction: () => client.inTransaction,
    error: (e) => (e instanceof VersionConflict ? e : toStoreError(e, where)),
    committed: (items) => {
      let bytes = 0
      for (const item of items) bytes += rowBytes(item.encoded)
      checkpointer?.committed(bytes)
    },
  })

  const append = (
    episodeId: string,
    expectedVersion: number,
    batch: ReadonlyArray<EpisodeEvent>,
    recordedAt: string,
    options: AppendOptions = {},
  ): Effect.Effect<number, VersionConflict | StoreError> =>
    Effect.flatMap(
      attemptAppend(
        (): PendingAppend => ({
          episodeId,
          expectedVersion,
          batch,
          recordedAt,
          encoded: encodeBatch(episodeId, expectedVersion, batch),
          encodedScores: encodeAppendScores(episodeId, options.scores),
        }),
      ),
      appends.submit,
    )

  const listEpisodesNow = (filter: EpisodeFilter = {}): ReadonlyArray<EpisodeRow> => {
    const conditions: Array<SQL> = []
    if (filter.runId !== undefined) conditions.push(eq(episodes.runId, filter.runId))
    if (filter.status !== undefined) conditions.push(eq(episodes.status, filter.status))
    return db
      .select()
      .from(episodes)
      .where(and(...conditions))
      .orderBy(sql`rowid`)
      .all()
      .map(toEpisodeRow)
  }

  const appendScoreNow = (score: ScoreRecord): void => {
    const encodedScore = encodeScore(score)
    db.transaction(() => insertScores(score.episodeId, [encodedScore]), { behavior: "immediate" })
  }

  const createRunNow = (run: RunRecord): { readonly created: boolean; readonly run: RunRecord } => {
    const config = encodeJson(`config of run ${run.runId}`, run.config)
    return db.transaction(
      () => {
        const inserted = insertRunIfAbsent.run({ runId: run.runId, createdAt: run.createdAt, config, experiment: run.experiment })
        const stored = selectRun.get({ runId: run.runId })
        if (!stored) throw new StoreError({ message: `event store: run ${run.runId} vanished while being created` })
        return { created: inserted.changes > 0, run: toRunRecord(stored) }
      },
      { behavior: "immediate" },
    )
  }

  const acquireLeaseNow = (name: string, holder: LeaseHolder, staleAfterMs: number, now: number): LeaseResult =>
    db.transaction(
      (): LeaseResult => {
        const current = selectLease.get(name)
        if (current && current.holderId !== holder.id) {
          const currentHolder: LeaseHolder = {
            id: current.holderId,
            pid: current.pid,
            host: current.host,
            acquiredAt: current.acquiredAt,
          }
          if (!leaseIsStale(currentHolder, current.heartbeatAtMs, now, staleAfterMs)) {
            return { acquired: false, holder: currentHolder }
          }
        }
        const acquiredAt = current && current.holderId === holder.id ? current.acquiredAt : holder.acquiredAt
        upsertLease.run(name, holder.id, holder.pid, holder.host, acquiredAt, now)
        return { acquired: true }
      },
      { behavior: "immediate" },
    )

  const store: EventStoreShape = {
    // Times recorded as data (an event's recordedAt, a lease's heartbeat) come from Effect's Clock.
    append: (episodeId, expectedVersion, batch, options) =>
      Effect.flatMap(nowIso, (recordedAt) => append(episodeId, expectedVersion, batch, recordedAt, options)),
    read: (episodeId, range = {}) =>
      attempt(() => {
        const lookup = blobLookup()
        return readEvents
          .all(episodeId, range.fromSeq ?? 0, range.toSeq ?? END_OF_STREAM)
          .map(([seq, recordedAt, body]) => decodeRow(episodeId, seq, recordedAt, body, lookup))
      }),
    readRaw: (episodeId) => attempt((): ReadonlyArray<RawStoredRow> => selectRawEvents.all(episodeId)),
    listStreamIds: () => attempt(() => selectStreamIds.all().map((row) => row.episode_id)),
    readBlobs: (addresses) =>
      attempt(() => {
        const found = new Map<string, string>()
        for (const address of addresses) {
          const row = found.has(address) ? undefined : selectBlob.get(address)
          if (row) found.set(address, row.body)
        }
        return found
      }),
    chainSeal: (episodeId) =>
      attempt(() => {
        const row = selectSeal.get({ episodeId })
        return row && { throughSeq: row.sealedThroughSeq, sealedAt: row.sealedAt }
      }),
    createRun: (run) => attempt(() => createRunNow(run)),
    acquireLease: (name, holder, staleAfterMs) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => attempt(() => acquireLeaseNow(name, holder, staleAfterMs, now))),
    renewLease: (name, holderId) => Effect.flatMap(Clock.currentTimeMillis, (now) => attempt(() => touchLease.run(now, name, holderId).changes > 0)),
    releaseLease: (name, holderId) =>
      attempt(() => {
        deleteLease.run(name, holderId)
      }),
    putRun: (run) =>
      attempt(() => {
        upsertRun.run({
          runId: run.runId,
          createdAt: run.createdAt,
          config: encodeJson(`config of run ${run.runId}`, run.config),
          experiment: run.experiment,
        })
      }),
    getRun: (runId) =>
      attempt(() => {
        const row = selectRun.get({ runId })
        return row && toRunRecord(row)
      }),
    listRuns: () => attempt(() => selectRuns.all().map(toRunRecord)),
    getEpisode: (episodeId) =>
      attempt(() => {
        const row = selectEpisode.get({ episodeId })
        return row && toEpisodeRow(row)
      }),
    listEpisodes: (filter) => attempt(() => listEpisodesNow(filter)),
    appendScore: (score) => attempt(() => appendScoreNow(score)),
    listScores: (episodeId) =>
      attempt(() =>
        selectScores.all(episodeId).map((row): ScoreRecord => decodeScore(`score ${row.id} of episode ${row.episodeId}`, row.episodeId, row, parseStoredJson)),
      ),
    readScoresRaw: (episodeId) => attempt(() => selectScores.all(episodeId).map(rawScore)),
    findModelResponse: (requestHash) =>
      attempt(() => {
        const row = selectModelResponse.get(requestHash)
        if (row) {
          const event = decodeRow(row.episode_id, row.seq, row.recorded_at, row.body, blobLookup()).event
          return event._tag === "ModelCalled" && event.error === null ? (event as ModelCalled) : undefined
        }
        const scored = selectScoreCall.get(requestHash)
        if (!scored) return undefined
        const call = decodeModelCalls(`score ${scored.id} of episode ${scored.episode_id}`, scored.episode_id, scored.model_calls)?.[scored.idx]
        return call && call.error === null && call.requestHash === requestHash ? call : undefined
      }),
  }

  return {
    store,
    writeRawEvent: (row: RawEventRow & { readonly hash?: string | null }) => {
      insertEvent.run(row.episodeId, row.seq, row.recordedAt, row.tag, row.v, row.body, row.hash ?? null)
    },
    close: () => {
      checkpointer?.close()
      if (client.open) client.close()
    },
  }
}

/** The SQLite store at `path` as a layer; the database is closed when the layer is released. */
export const layerSqlite = (path: string, options?: SqliteStoreOptions): Layer.Layer<EventStore, StoreError> =>
  Layer.effect(
    EventStore,
    Effect.acquireRelease(
      attemptWith(() => openSqliteStore(path, options)),
      (handle) => Effect.sync(handle.close),
    ).pipe(Effect.map((handle) => handle.store)),
  )
