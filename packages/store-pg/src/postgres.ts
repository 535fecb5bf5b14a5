/**
 * The event store on PostgreSQL (ADR 0008), through Effect's SQL client (`@effect/sql-pg`, its own
 * wire-protocol driver). It behaves as the SQLite store does and passes the same conformance
 * suite: the write rules, chain, pool, score encoding and decoding are the engine's
 * (`StoreBackend`), only the SQL is this file's.
 *
 * Concurrency: where SQLite takes the whole file's write lock (`BEGIN IMMEDIATE`), an append or a
 * score takes a transaction-scoped advisory lock on its episode, so concurrent writers of one
 * episode queue, and the second one sees the first's rows and gets `VersionConflict`; writers of
 * different episodes run in parallel. The primary key (episode_id, seq) backs this up: a row
 * written past the lock (a raw write) still cannot overwrite or fork a stream.
 */
import { PgClient } from "@effect/sql-pg"
import {
  EventStore,
  type EventStoreShape,
  type EpisodeEvent,
  type EpisodeFilter,
  type EpisodeRow,
  isRewardEvaluator,
  type LeaseHolder,
  type LeaseResult,
  type ModelCalled,
  nowIso,
  type RawEventRow,
  type RawScoreRow,
  type RawStoredRow,
  type RunRecord,
  type ScoreRecord,
  StoreBackend,
  StoreError,
  type TerminationReason,
  VersionConflict,
  type AppendOptions,
  type AsyncStoreHandle,
} from "@tau-sim/engine"
import { Clock, Effect, Exit, Layer, Redacted, Scope } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import type { SqlClient } from "effect/sql/SqlClient"
import { SqlError } from "effect/sql/SqlError"
import { LOCK, MIGRATIONS, NODE_PREV, SCHEMA_VERSION } from "./schema.ts"
import { describeUrl, isPostgresUrl } from "./url.ts"

export interface PostgresStoreOptions {
  /**
   * Fail with "no event store at <url>" instead of creating the tables when the database has
   * none: for commands that only read.
   */
  readonly mustExist?: boolean
  /** Most connections the store's pool opens (default 10). */
  readonly maxConnections?: number
}

const END_OF_STREAM = Number.MAX_SAFE_INTEGER
/** Postgres takes at most 65,535 parameters per statement: multi-row inserts go in chunks. */
const EVENT_ROWS_PER_INSERT = 1000
const BLOB_ROWS_PER_INSERT = 5000

type Row = Record<string, unknown>

const num = (v: unknown): number => (typeof v === "bigint" ? Number(v) : (v as number))

/** `$1, $2, ...` groups of `width` for `rows` rows, after `offset` parameters. */
const valuesList = (rows: number, width: number, offset = 0): string =>
  Array.from({ length: rows }, (_, r) => `(${Array.from({ length: width }, (_, c) => `$${offset + r * width + c + 1}`).join(", ")})`).join(", ")

const toEpisodeRow = (row: Row): EpisodeRow => ({
  episodeId: row.episode_id as string,
  runId: row.run_id as string,
  domain: row.domain as string,
  taskId: row.task_id as string,
  trial: num(row.trial),
  status: row.status as EpisodeRow["status"],
  terminationReason: row.termination_reason as TerminationReason | null,
  version: num(row.version),
  parentEpisodeId: row.parent_episode_id as string | null,
  parentSeq: row.parent_seq === null ? null : num(row.parent_seq),
  reward: row.reward === null ? null : num(row.reward),
})

const toRunRecord = (row: Row): RunRecord => ({
  runId: row.run_id as string,
  createdAt: row.created_at as string,
  config: StoreBackend.parseStoredJson(`config of run ${row.run_id}`, row.config as string) as Record<string, unknown>,
  experiment: row.experiment as string | null,
})

const EPISODE_COLUMNS = "episode_id, run_id, domain, task_id, trial, status, termination_reason, version, parent_episode_id, parent_seq, reward"
const SCORE_COLUMNS = `id, episode_id, evaluator, evaluator_version AS "evaluatorVersion", reward, breakdown, recorded_at AS "recordedAt", model_calls AS "modelCalls", hash`

/** The addresses a stored body refers to directly (a pooled model call's chain head and tool set). */
const refsOf = (body: string): ReadonlyArray<string> => {
  if (!body.includes('"$pool"')) return []
  let fields: unknown
  try {
    fields = JSON.parse(body)
  } catch {
    return []
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return []
  const refs = StoreBackend.poolRefs(fields as Record<string, unknown>)
  return [refs.messages, refs.tools].filter((a): a is string => a !== undefined)
}

/**
 * A request hash as the cache's text columns hold it: PostgreSQL text cannot hold NUL (SQLite's
 * can), so `%` and NUL are escaped, injectively; a real hash (hex) is itself.
 */
const cacheKey = (requestHash: string): string => requestHash.replaceAll("%", "%25").replaceAll("\u0000", "%00")

/**
 * What the model-call cache indexes for a row written raw (SQLite's expression index computes the
 * same from the body): the request hash of a readable, successful `ModelCalled`, else null.
 */
const answeredRequestHashOf = (tag: string, body: string): string | null => {
  if (tag !== "ModelCalled") return null
  try {
    const fields = JSON.parse(body)
    return typeof fields === "object" && fields !== null && fields.error == null && typeof fields.requestHash === "string" ? cacheKey(fields.requestHash) : null
  } catch {
    return null
  }
}

/** The same for an event being appended (its body is its encoding). */
const answeredRequestHash = (event: EpisodeEvent): string | null => (event._tag === "ModelCalled" && event.error === null ? cacheKey(event.requestHash) : null)

/**
 * The store over a connected SQL client: brings the schema to the current version (or, with
 * `mustExist`, refuses a database without one), then answers the port. `name` is the store in
 * messages, never with its credentials (`describeUrl`).
 */
export const makePostgresStore = (
  sql: SqlClient,
  name: string,
  options: PostgresStoreOptions = {},
): Effect.Effect<
  {
    readonly store: EventStoreShape
    readonly writeRawEvent: (row: RawEventRow & { readonly hash?: string | null }) => Effect.Effect<void, StoreError>
    readonly close: Effect.Effect<void>
  },
  StoreError
> =>
  Effect.gen(function* () {
    const where = `event store ${name}`
    let closed = false
    const fail = (cause: unknown): StoreError =>
      cause instanceof SqlError ? new StoreError({ message: `${where}: ${sqlMessage(cause)}` }) : StoreBackend.toStoreError(cause, where)
    const q = <A extends object = Row>(text: string, params: ReadonlyArray<unknown> = []): Effect.Effect<ReadonlyArray<A>, StoreError> =>
      sql.unsafe<A>(text, params).pipe(Effect.mapError(fail))
    /** Runs synchronous shared logic (encoding, shape checks, decoding) with its throws as `StoreError`s. */
    const pure = <A>(f: () => A): Effect.Effect<A, StoreError> => Effect.try({ try: f, catch: fail })
    /** Every operation: a closed store fails before touching the pool. */
    const op = <A, E>(body: () => Effect.Effect<A, E>): Effect.Effect<A, E | StoreError> =>
      Effect.suspend((): Effect.Effect<A, E | StoreError> => (closed ? Effect.fail(new StoreError({ message: `${where}: the store is closed` })) : body()))
    const transaction = <A, E>(body: Effect.Effect<A, E>): Effect.Effect<A, E | StoreError> =>
      sql.withTransaction(body).pipe(Effect.mapError((e) => (e instanceof SqlError ? fail(e) : e)))
    const lock = (kind: number, key: string) => q(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [kind, key])

    // The schema: created or upgraded by one process at a time.
    yield* transaction(
      Effect.gen(function* () {
        const [present] = yield* q<{ exists: boolean }>(`SELECT to_regclass('tau_schema') IS NOT NULL AS exists`)
        if (!present.exists && options.mustExist) return yield* new StoreError({ message: `no event store at ${name}` })
        yield* q(`SELECT pg_advisory_xact_lock($1, 0)`, [LOCK.migrate])
        yield* q(`CREATE TABLE IF NOT EXISTS tau_schema (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), version integer NOT NULL)`)
        const [row] = yield* q<{ version: number }>(`SELECT version FROM tau_schema`)
        const from = row?.version ?? 0
        if (from > SCHEMA_VERSION) {
          return yield* new StoreError({ message: `${where} has schema version ${from}, newer than this engine's ${SCHEMA_VERSION}` })
        }
        for (const step of MIGRATIONS.slice(from)) for (const statement of step) yield* q(statement)
        if (from !== SCHEMA_VERSION) {
          yield* q(`INSERT INTO tau_schema (version) VALUES ($1) ON CONFLICT (only_row) DO UPDATE SET version = excluded.version`, [SCHEMA_VERSION])
        }
      }),
    )

    // The pool (ADR 0004): blobs a body refers to, and the message nodes before them, in one query.
    const fetchBlobs = (heads: ReadonlyArray<string>): Effect.Effect<Map<string, string>, StoreError> =>
      heads.length === 0
        ? Effect.succeed(new Map())
        : Effect.map(
            q<{ hash: string; body: string }>(
              `WITH RECURSIVE chain(hash, body) AS (
                 SELECT hash, body FROM blobs WHERE hash = ANY($1::text[])
                 UNION
                 SELECT b.hash, b.body FROM blobs b JOIN chain c ON b.hash = ${NODE_PREV}
               ) SELECT hash, body FROM chain`,
              [[...new Set(heads)]],
            ),
            (rows) => new Map(rows.map((r) => [r.hash, r.body])),
          )
    /**
     * Decodes rows of one read, their pooled blobs fetched first. A blob the fetch missed (a node
     * whose text is not the store's own layout, so the query did not follow it) is fetched and the
     * decoding retried; only a blob the table lacks is an unreadable row, as in SQLite.
     */
    const decodeRows = (rows: ReadonlyArray<{ episode_id: string; seq: number; recorded_at: string; body: string }>) =>
      Effect.gen(function* () {
        const blobs = yield* fetchBlobs(rows.flatMap((r) => refsOf(r.body)))
        const asked = new Set(blobs.keys())
        for (;;) {
          const missed = new Set<string>()
          const lookup = (address: string) => {
            const body = blobs.get(address)
            if (body === undefined && !asked.has(address)) missed.add(address)
            return body
          }
          let failure: unknown
          try {
            return rows.map((r) => StoreBackend.decodeRow(r.episode_id, num(r.seq), r.recorded_at, r.body, lookup))
          } catch (e) {
            failure = e
          }
          if (missed.size === 0) return yield* Effect.fail(fail(failure))
          for (const address of missed) asked.add(address)
          for (const [address, body] of yield* fetchBlobs([...missed])) {
            blobs.set(address, body)
            asked.add(address)
          }
        }
      })

    const insertBlobs = (encoded: ReadonlyArray<StoreBackend.EncodedEvent>) => {
      const byAddress = new Map<string, string>()
      for (const e of encoded) for (const blob of e.blobs) byAddress.set(blob.address, blob.body)
      // Sorted: concurrent appends sharing blobs take their row locks in one order (no deadlock).
      const blobs = [...byAddress].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return Effect.forEach(
        chunks(blobs, BLOB_ROWS_PER_INSERT),
        (chunk) => q(`INSERT INTO blobs (hash, body) VALUES ${valuesList(chunk.length, 2)} ON CONFLICT (hash) DO NOTHING`, chunk.flat()),
        { discard: true },
      )
    }

    const insertEvents = (
      episodeId: string,
      recordedAt: string,
      batch: ReadonlyArray<EpisodeEvent>,
      encoded: ReadonlyArray<StoreBackend.EncodedEvent>,
      hashes: ReadonlyArray<string>,
    ) =>
      Effect.forEach(
        chunks(
          encoded.map((e, i) => [episodeId, e.seq, recordedAt, e.tag, e.v, e.body, hashes[i], answeredRequestHash(batch[i])]),
          EVENT_ROWS_PER_INSERT,
        ),
        (chunk) =>
          q(`INSERT INTO events (episode_id, seq, recorded_at, tag, v, body, hash, answered_request_hash) VALUES ${valuesList(chunk.length, 8)}`, chunk.flat()),
        { discard: true },
      )

    /** Stores scores of an episode that exists; inside the caller's transaction, holding the episode's lock. */
    const insertScores = (episodeId: string, scores: ReadonlyArray<StoreBackend.EncodedScore>) =>
      Effect.gen(function* () {
        if (scores.length === 0) return
        const exists = yield* q(`SELECT 1 FROM episodes WHERE episode_id = $1`, [episodeId])
        if (exists.length === 0) return yield* Effect.fail(fail(new StoreBackend.InvalidWrite(`cannot score episode ${episodeId}: no such episode`)))
        for (const score of scores) {
          const [head] = yield* q<{ hash: string | null }>(`SELECT hash FROM scores WHERE episode_id = $1 ORDER BY id DESC LIMIT 1`, [episodeId])
          const hash = StoreBackend.scoreHash(episodeId, head?.hash ?? StoreBackend.SCORE_CHAIN_START, score)
          const [inserted] = yield* q<{ id: bigint }>(
            `INSERT INTO scores (episode_id, evaluator, evaluator_version, reward, breakdown, recorded_at, model_calls, hash)
             VALUES ($1, $2, $3, $4::double precision, $5, $6, $7, $8) RETURNING id`,
            [episodeId, score.evaluator, score.evaluatorVersion, score.reward, score.breakdown, score.recordedAt, score.modelCalls, hash],
          )
          for (const { requestHash, index } of score.answered) {
            yield* q(`INSERT INTO score_model_calls (request_hash, score_id, idx) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
              cacheKey(requestHash),
              inserted.id,
              index,
            ])
          }
          if (isRewardEvaluator(score.evaluator)) {
            yield* q(`UPDATE episodes SET reward = $1::double precision WHERE episode_id = $2`, [score.reward, episodeId])
          }
        }
      })

    const append = (episodeId: string, expectedVersion: number, batch: ReadonlyArray<EpisodeEvent>, recordedAt: string, options: AppendOptions = {}) =>
      Effect.gen(function* () {
        const encoded = yield* pure(() => StoreBackend.encodeBatch(episodeId, expectedVersion, batch))
        const encodedScores = yield* pure(() => StoreBackend.encodeAppendScores(episodeId, options.scores))
        return yield* transaction(
          Effect.gen(function* () {
            yield* lock(LOCK.episode, episodeId)
            const [head] = yield* q<{ seq: number; tag: string; hash: string | null }>(
              `SELECT seq, tag, hash FROM events WHERE episode_id = $1 ORDER BY seq DESC LIMIT 1`,
              [episodeId],
            )
            const actual = head === undefined ? 0 : num(head.seq) + 1
            if (actual !== expectedVersion) return yield* new VersionConflict({ episodeId, expected: expectedVersion, actual })
            if (batch.length === 0) {
              yield* insertScores(episodeId, encodedScores)
              return actual
            }
            yield* pure(() => StoreBackend.checkStreamShape(episodeId, expectedVersion, batch, head?.tag))
            const hashes = StoreBackend.chainRows(episodeId, StoreBackend.chainFrom(head?.hash), encoded)
            yield* insertBlobs(encoded)
            yield* insertEvents(episodeId, recordedAt, batch, encoded, hashes)
            const version = expectedVersion + batch.length
            const change = StoreBackend.episodeRowChange(episodeId, version, batch)
            if (change.created) {
              const r = change.created
              yield* q(`INSERT INTO episodes (${EPISODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)`, [
                episodeId,
                r.runId,
                r.domain,
                r.taskId,
                r.trial,
                r.status,
                r.terminationReason,
                version,
                r.parentEpisodeId,
                r.parentSeq,
              ])
            } else if (change.ended !== undefined) {
              yield* q(`UPDATE episodes SET version = $1, status = 'ended', termination_reason = $2 WHERE episode_id = $3`, [version, change.ended, episodeId])
            } else {
              yield* q(`UPDATE episodes SET version = $1 WHERE episode_id = $2`, [version, episodeId])
            }
            yield* insertScores(episodeId, encodedScores)
            return version
          }),
        )
      })

    const acquireLease = (name: string, holder: LeaseHolder, staleAfterMs: number, now: number) =>
      transaction(
        Effect.gen(function* () {
          // A lease not yet in the table has no row to lock: the name's advisory lock serialises takers.
          yield* lock(LOCK.lease, name)
          const [current] = yield* q<{ holderId: string; pid: number; host: string; acquiredAt: string; heartbeatAtMs: bigint }>(
            `SELECT holder_id AS "holderId", pid, host, acquired_at AS "acquiredAt", heartbeat_at_ms AS "heartbeatAtMs" FROM leases WHERE name = $1`,
            [name],
          )
          if (current && current.holderId !== holder.id) {
            const currentHolder: LeaseHolder = { id: current.holderId, pid: num(current.pid), host: current.host, acquiredAt: current.acquiredAt }
            if (!StoreBackend.leaseIsStale(currentHolder, num(current.heartbeatAtMs), now, staleAfterMs)) {
              return { acquired: false, holder: currentHolder } satisfies LeaseResult
            }
          }
          const acquiredAt = current && current.holderId === holder.id ? current.acquiredAt : holder.acquiredAt
          yield* q(
            `INSERT INTO leases (name, holder_id, pid, host, acquired_at, heartbeat_at_ms) VALUES ($1, $2, $3, $4, $5, $6::bigint)
             ON CONFLICT (name) DO UPDATE SET holder_id = excluded.holder_id, pid = excluded.pid, host = excluded.host,
               acquired_at = excluded.acquired_at, heartbeat_at_ms = excluded.heartbeat_at_ms`,
            [name, holder.id, holder.pid, holder.host, acquiredAt, now],
          )
          return { acquired: true } satisfies LeaseResult
        }),
      )

    const listEpisodes = (filter: EpisodeFilter = {}) => {
      const conditions: Array<string> = []
      const params: Array<unknown> = []
      if (filter.runId !== undefined) {
        params.push(filter.runId)
        conditions.push(`run_id = $${params.length}`)
      }
      if (filter.status !== undefined) {
        params.push(filter.status)
        conditions.push(`status = $${params.length}`)
      }
      const whereClause = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`
      return Effect.map(q(`SELECT ${EPISODE_COLUMNS} FROM episodes ${whereClause} ORDER BY id`, params), (rows) => rows.map(toEpisodeRow))
    }

    const scoreRows = (episodeId: string) =>
      q<{ id: bigint; episode_id: string } & RawScoreRow>(`SELECT ${SCORE_COLUMNS} FROM scores WHERE episode_id = $1 ORDER BY id`, [episodeId])

    const findModelResponse = (requestHash: string) =>
      Effect.gen(function* () {
        const [row] = yield* q<{ episode_id: string; seq: number; recorded_at: string; body: string }>(
          `SELECT episode_id, seq, recorded_at, body FROM events WHERE answered_request_hash = $1 ORDER BY id LIMIT 1`,
          [cacheKey(requestHash)],
        )
        if (row) {
          const [decoded] = yield* decodeRows([row])
          const event = decoded.event
          return event._tag === "ModelCalled" && event.error === null ? (event as ModelCalled) : undefined
        }
        const [scored] = yield* q<{ episode_id: string; id: bigint; model_calls: string | null; idx: number }>(
          `SELECT s.episode_id, s.id, s.model_calls, c.idx FROM score_model_calls c JOIN scores s ON s.id = c.score_id
           WHERE c.request_hash = $1 ORDER BY c.score_id, c.idx LIMIT 1`,
          [cacheKey(requestHash)],
        )
        if (!scored) return undefined
        const calls = yield* pure(() =>
          StoreBackend.decodeModelCalls(`score ${scored.id} of episode ${scored.episode_id}`, scored.episode_id, scored.model_calls),
        )
        const call = calls?.[num(scored.idx)]
        return call && call.error === null && call.requestHash === requestHash ? call : undefined
      })

    const store: EventStoreShape = {
      append: (episodeId, expectedVersion, batch, appendOptions) =>
        op(() => Effect.flatMap(nowIso, (recordedAt) => append(episodeId, expectedVersion, batch, recordedAt, appendOptions))),
      read: (episodeId, range = {}) =>
        op(() =>
          Effect.flatMap(
            q<{ episode_id: string; seq: number; recorded_at: string; body: string }>(
              `SELECT episode_id, seq, recorded_at, body FROM events WHERE episode_id = $1 AND seq >= $2::bigint AND seq < $3::bigint ORDER BY seq`,
              [episodeId, range.fromSeq ?? 0, range.toSeq ?? END_OF_STREAM],
            ),
            decodeRows,
          ),
        ),
      readRaw: (episodeId) =>
        op(() =>
          Effect.map(
            q<RawStoredRow>(
              `SELECT episode_id AS "episodeId", seq, recorded_at AS "recordedAt", tag, v, body, hash FROM events WHERE episode_id = $1 ORDER BY seq`,
              [episodeId],
            ),
            (rows) => rows.map((r) => ({ ...r, seq: num(r.seq), v: num(r.v) })),
          ),
        ),
      listStreamIds: () =>
        op(() =>
          Effect.map(q<{ episode_id: string }>(`SELECT episode_id FROM events GROUP BY episode_id ORDER BY min(id)`), (rows) => rows.map((r) => r.episode_id)),
        ),
      readBlobs: (addresses) =>
        op(() =>
          Effect.map(
            q<{ hash: string; body: string }>(`SELECT hash, body FROM blobs WHERE hash = ANY($1::text[])`, [[...new Set(addresses)]]),
            (rows): ReadonlyMap<string, string> => new Map(rows.map((r) => [r.hash, r.body])),
          ),
        ),
      chainSeal: (episodeId) =>
        op(() =>
          Effect.map(
            q<{ through: number; sealed_at: string }>(`SELECT sealed_through_seq AS through, sealed_at FROM chain_seals WHERE episode_id = $1`, [episodeId]),
            ([row]) => (row ? { throughSeq: num(row.through), sealedAt: row.sealed_at } : undefined),
          ),
        ),
      putRun: (run) =>
        op(() =>
          Effect.flatMap(
            pure(() => StoreBackend.encodeJson(`config of run ${run.runId}`, run.config)),
            (config) =>
              q(
                `INSERT INTO runs (run_id, created_at, config, experiment) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (run_id) DO UPDATE SET created_at = excluded.created_at, config = excluded.config, experiment = excluded.experiment`,
                [run.runId, run.createdAt, config, run.experiment],
              ),
          ).pipe(Effect.asVoid),
        ),
      createRun: (run) =>
        op(() =>
          Effect.gen(function* () {
            const config = yield* pure(() => StoreBackend.encodeJson(`config of run ${run.runId}`, run.config))
            // Of racing creators, the second's insert waits for the first's commit, then does nothing.
            const inserted = yield* q(
              `INSERT INTO runs (run_id, created_at, config, experiment) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id) DO NOTHING RETURNING run_id`,
              [run.runId, run.createdAt, config, run.experiment],
            )
            const [stored] = yield* q(`SELECT run_id, created_at, config, experiment FROM runs WHERE run_id = $1`, [run.runId])
            if (!stored) return yield* new StoreError({ message: `${where}: run ${run.runId} vanished while being created` })
            return { created: inserted.length > 0, run: yield* pure(() => toRunRecord(stored)) }
          }),
        ),
      getRun: (runId) =>
        op(() =>
          Effect.flatMap(q(`SELECT run_id, created_at, config, experiment FROM runs WHERE run_id = $1`, [runId]), ([row]) =>
            pure(() => row && toRunRecord(row)),
          ),
        ),
      listRuns: () =>
        op(() => Effect.flatMap(q(`SELECT run_id, created_at, config, experiment FROM runs ORDER BY id`), (rows) => pure(() => rows.map(toRunRecord)))),
      getEpisode: (episodeId) =>
        op(() => Effect.map(q(`SELECT ${EPISODE_COLUMNS} FROM episodes WHERE episode_id = $1`, [episodeId]), ([row]) => row && toEpisodeRow(row))),
      listEpisodes: (filter) => op(() => listEpisodes(filter)),
      appendScore: (score) =>
        op(() =>
          Effect.flatMap(
            pure(() => StoreBackend.encodeScore(score)),
            (encoded) => transaction(Effect.andThen(lock(LOCK.episode, score.episodeId), insertScores(score.episodeId, [encoded]))),
          ),
        ),
      listScores: (episodeId) =>
        op(() =>
          Effect.flatMap(scoreRows(episodeId), (rows) =>
            pure(() =>
              rows.map(
                (row): ScoreRecord =>
                  StoreBackend.decodeScore(
                    `score ${row.id} of episode ${row.episode_id}`,
                    row.episode_id,
                    { ...row, reward: num(row.reward) },
                    StoreBackend.parseStoredJson,
                  ),
              ),
            ),
          ),
        ),
      readScoresRaw: (episodeId) =>
        op(() =>
          Effect.map(scoreRows(episodeId), (rows) =>
            rows.map(
              (row): RawScoreRow => ({
                evaluator: row.evaluator,
                evaluatorVersion: row.evaluatorVersion,
                reward: num(row.reward),
                breakdown: row.breakdown,
                modelCalls: row.modelCalls,
                recordedAt: row.recordedAt,
                hash: row.hash,
              }),
            ),
          ),
        ),
      findModelResponse: (requestHash) => op(() => findModelResponse(requestHash)),
      acquireLease: (name, holder, staleAfterMs) => op(() => Effect.flatMap(Clock.currentTimeMillis, (now) => acquireLease(name, holder, staleAfterMs, now))),
      renewLease: (name, holderId) =>
        op(() =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.map(
              q(`UPDATE leases SET heartbeat_at_ms = $1::bigint WHERE name = $2 AND holder_id = $3 RETURNING name`, [now, name, holderId]),
              (rows) => rows.length > 0,
            ),
          ),
        ),
      releaseLease: (name, holderId) => op(() => Effect.asVoid(q(`DELETE FROM leases WHERE name = $1 AND holder_id = $2`, [name, holderId]))),
    }

    return {
      store,
      writeRawEvent: (row) =>
        op(() =>
          Effect.asVoid(
            q(`INSERT INTO events (episode_id, seq, recorded_at, tag, v, body, hash, answered_request_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
              row.episodeId,
              row.seq,
              row.recordedAt,
              row.tag,
              row.v,
              row.body,
              row.hash ?? null,
              answeredRequestHashOf(row.tag, row.body),
            ]),
          ),
        ),
      close: Effect.sync(() => {
        closed = true
      }),
    }
  })

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** The driver's message, with the reason's own text (a unique violation names its constraint). */
const sqlMessage = (error: SqlError): string => {
  const reason = error.reason as { readonly message?: string; readonly cause?: unknown }
  const cause = reason.cause as { readonly message?: string } | undefined
  return cause?.message ?? reason.message ?? error.message
}

/** The connected client, scoped: the pool closes with the scope. Connection failures are `StoreError`s naming the store. */
const connect = (url: string, options: PostgresStoreOptions) =>
  PgClient.make({ url: Redacted.make(url), maxConnections: options.maxConnections ?? 10, applicationName: "tau-sim" }).pipe(
    Effect.provide(Reactivity.layer),
    Effect.mapError((e) => new StoreError({ message: `event store ${describeUrl(url)}: ${sqlMessage(e)}` })),
  )

const checkUrl = (url: string): Effect.Effect<void, StoreError> =>
  isPostgresUrl(url) ? Effect.void : Effect.fail(new StoreError({ message: `not a PostgreSQL URL (postgres://user@host:port/database): ${describeUrl(url)}` }))

/** The Postgres store at `url` as a layer; its connections are closed when the layer is released. */
export const layerPostgres = (url: string, options: PostgresStoreOptions = {}): Layer.Layer<EventStore, StoreError> =>
  Layer.effect(
    EventStore,
    Effect.gen(function* () {
      yield* checkUrl(url)
      const client = yield* connect(url, options)
      const opened = yield* makePostgresStore(client, describeUrl(url), options)
      yield* Effect.addFinalizer(() => opened.close)
      return opened.store
    }),
  )

/** Opens the store at `url` for callers outside Effect (tests, scripts); `close` ends its connections. */
export const openPostgresStore = async (url: string, options: PostgresStoreOptions = {}): Promise<AsyncStoreHandle> => {
  const scope = Scope.makeUnsafe()
  const exit = await Effect.runPromiseExit(
    Effect.gen(function* () {
      yield* checkUrl(url)
      const client = yield* connect(url, options)
      return yield* makePostgresStore(client, describeUrl(url), options)
    }).pipe(Scope.provide(scope)),
  )
  if (Exit.isFailure(exit)) {
    await Effect.runPromise(Scope.close(scope, exit))
    throw Exit.isFailure(exit) && exit.cause ? firstError(exit) : new Error("could not open the store")
  }
  const opened = exit.value
  let closing: Promise<void> | undefined
  return {
    store: opened.store,
    writeRawEvent: (row) => Effect.runPromise(opened.writeRawEvent(row)),
    close: () => {
      closing ??= Effect.runPromise(Effect.andThen(opened.close, Scope.close(scope, Exit.void)))
      return closing
    },
  }
}

const firstError = (exit: Exit.Failure<unknown, unknown>): unknown => {
  for (const reason of exit.cause.reasons) {
    if (reason._tag === "Fail") return reason.error
    if (reason._tag === "Die") return reason.defect
  }
  return new Error("interrupted while opening the store")
}
