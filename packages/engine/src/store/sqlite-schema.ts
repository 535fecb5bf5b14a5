/**
 * The SQLite layout of the event store: drizzle table definitions for queries, and the ordered
 * migrations that create them. `PRAGMA user_version` records how many migrations a file has had.
 */
import type Database from "better-sqlite3"
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core"
import { chainFrom, chainHash } from "./chain.ts"
import { SCORE_CHAIN_START, scoreHash } from "./score-rows.ts"

/** The log. The primary key makes a duplicate (episode, seq) fail instead of overwriting. */
export const events = sqliteTable(
  "events",
  {
    episodeId: text("episode_id").notNull(),
    seq: integer("seq").notNull(),
    recordedAt: text("recorded_at").notNull(),
    tag: text("tag").notNull(),
    v: integer("v").notNull(),
    body: text("body").notNull(),
    /** Chain hash (`chain.ts`); null for a row written raw without one. Added by migration 3. */
    hash: text("hash"),
  },
  (t) => [primaryKey({ columns: [t.episodeId, t.seq] })],
)

/** Streams whose hashes up to `sealedThroughSeq` were computed at the upgrade to migration 3. */
export const chainSeals = sqliteTable("chain_seals", {
  episodeId: text("episode_id").primaryKey(),
  sealedThroughSeq: integer("sealed_through_seq").notNull(),
  sealedAt: text("sealed_at").notNull(),
})

/**
 * The message pool (ADR 0004): message nodes and tool sets of model calls, each stored once under
 * its content address (`message-pool.ts`). Added by migration 4; written in the append's
 * transaction, never updated or deleted.
 */
export const blobs = sqliteTable("blobs", {
  hash: text("hash").primaryKey(),
  body: text("body").notNull(),
})

/** Named leases (e.g. "the process resuming run X"), taken over when stale. */
export const leases = sqliteTable("leases", {
  name: text("name").primaryKey(),
  holderId: text("holder_id").notNull(),
  pid: integer("pid").notNull(),
  host: text("host").notNull(),
  acquiredAt: text("acquired_at").notNull(),
  heartbeatAtMs: integer("heartbeat_at_ms").notNull(),
})

export const runs = sqliteTable("runs", {
  runId: text("run_id").primaryKey(),
  createdAt: text("created_at").notNull(),
  config: text("config").notNull(),
  experiment: text("experiment"),
})

/** Read model of episode streams, maintained in the append's transaction. */
export const episodes = sqliteTable(
  "episodes",
  {
    episodeId: text("episode_id").primaryKey(),
    runId: text("run_id").notNull(),
    domain: text("domain").notNull(),
    taskId: text("task_id").notNull(),
    trial: integer("trial").notNull(),
    status: text("status", { enum: ["running", "ended"] }).notNull(),
    terminationReason: text("termination_reason"),
    version: integer("version").notNull(),
    parentEpisodeId: text("parent_episode_id"),
    parentSeq: integer("parent_seq"),
    reward: real("reward"),
  },
  (t) => [index("episodes_run").on(t.runId), index("episodes_status").on(t.status)],
)

/** Append-only: rescoring adds a row; `id` orders scores of an episode. */
export const scores = sqliteTable(
  "scores",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    episodeId: text("episode_id").notNull(),
    evaluator: text("evaluator").notNull(),
    evaluatorVersion: text("evaluator_version").notNull(),
    reward: real("reward").notNull(),
    breakdown: text("breakdown").notNull(),
    recordedAt: text("recorded_at").notNull(),
    /** JSON array of the encoded `ModelCalled` fields of the calls behind the score (a judge's); added by migration 5. */
    modelCalls: text("model_calls"),
    /** Score chain hash (`score-rows.ts`); null for a row written outside the store. Added by migration 5. */
    hash: text("hash"),
  },
  (t) => [index("scores_episode").on(t.episodeId, t.id)],
)

/**
 * Where the successful model calls recorded with scores are, by request hash (migration 5): the
 * response cache and a re-asked judge find them here. Written with the score, never updated.
 */
export const scoreModelCalls = sqliteTable(
  "score_model_calls",
  {
    requestHash: text("request_hash").notNull(),
    scoreId: integer("score_id").notNull(),
    idx: integer("idx").notNull(),
  },
  (t) => [primaryKey({ columns: [t.requestHash, t.scoreId, t.idx] })],
)

/**
 * The request hash of a `ModelCalled` row, as indexed (queries must use this exact expression for
 * the index to apply). Rows written raw may not be JSON; they simply have no hash.
 */
export const MODEL_REQUEST_HASH = "CASE WHEN json_valid(body) THEN json_extract(body, '$.requestHash') END"
/** The partial index of migration 2: exactly the `ModelCalled` events (readers of model calls name it: `INDEXED BY`). */
export const MODEL_CALLS_INDEX = "events_model_request"

/**
 * One statement of a migration: SQL, or a function for what SQL alone cannot do. Both run in
 * the migration's immediate transaction and must be idempotent.
 */
export type MigrationStatement = string | ((client: Database.Database) => void)

const addColumnIfMissing = (table: string, column: string, type: string) => (client: Database.Database) => {
  const columns = client.pragma(`table_info(${table})`) as Array<{ name: string }>
  if (!columns.some((c) => c.name === column)) client.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`)
}

/**
 * Hashes the rows written before the chain existed, stream by stream in seq order, and records
 * each such stream as sealed through its last seq: those hashes vouch only for what the rows held
 * at the upgrade. Rows that already have a hash are kept (and chained from).
 */
const sealUnhashedStreams = (client: Database.Database): void => {
  // biome-ignore lint/plugin: a migration runs as the store opens, outside any Effect: no Clock to ask
  const sealedAt = new Date().toISOString()
  const streams = client.prepare<[], { episode_id: string }>("SELECT DISTINCT episode_id FROM events WHERE hash IS NULL").all()
  const rowsOf = client.prepare<[string], { seq: number; tag: string; v: number; body: string; hash: string | null }>(
    "SELECT seq, tag, v, body, hash FROM events WHERE episode_id = ? ORDER BY seq",
  )
  const setHash = client.prepare<[string, string, number]>("UPDATE events SET hash = ? WHERE episode_id = ? AND seq = ?")
  const seal = client.prepare<[string, number, string]>("INSERT OR IGNORE INTO chain_seals (episode_id, sealed_through_seq, sealed_at) VALUES (?, ?, ?)")
  for (const { episode_id: episodeId } of streams) {
    let prev: string | null = null
    let last = 0
    for (const row of rowsOf.all(episodeId)) {
      let hash = row.hash
      if (hash === null) {
        hash = chainHash(episodeId, chainFrom(prev), row.seq, row.tag, row.v, row.body)
        setHash.run(hash, episodeId, row.seq)
      }
      prev = hash
      last = row.seq
    }
    seal.run(episodeId, last, sealedAt)
  }
}

/**
 * Hashes the scores written before the score chain existed, episode by episode in id order.
 * Those hashes vouch only for what the rows held at the upgrade (as the event chain's seal does).
 */
const hashUnhashedScores = (client: Database.Database): void => {
  const episodesWith = client.prepare<[], { episode_id: string }>("SELECT DISTINCT episode_id FROM scores WHERE hash IS NULL").all()
  const rowsOf = client.prepare<
    [string],
    {
      id: number
      evaluator: string
      evaluator_version: string
      reward: number
      breakdown: string
      model_calls: string | null
      recorded_at: string
      hash: string | null
    }
  >("SELECT id, evaluator, evaluator_version, reward, breakdown, model_calls, recorded_at, hash FROM scores WHERE episode_id = ? ORDER BY id")
  const setHash = client.prepare<[string, number]>("UPDATE scores SET hash = ? WHERE id = ?")
  for (const { episode_id: episodeId } of episodesWith) {
    let prev = SCORE_CHAIN_START
    for (const row of rowsOf.all(episodeId)) {
      let hash = row.hash
      if (hash === null) {
        hash = scoreHash(episodeId, prev, {
          evaluator: row.evaluator,
          evaluatorVersion: row.evaluator_version,
          reward: row.reward,
          breakdown: row.breakdown,
          modelCalls: row.model_calls,
          recordedAt: row.recorded_at,
        })
        setHash.run(hash, row.id)
      }
      prev = hash
    }
  }
}

/**
 * Migration N (1-based) brings a file from user_version N-1 to N. Append only: never edit a
 * migration that has shipped. Statements are idempotent so a half-applied step can be rerun.
 */
export const MIGRATIONS: ReadonlyArray<ReadonlyArray<MigrationStatement>> = [
  [
    `CREATE TABLE IF NOT EXISTS events (
      episode_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      recorded_at TEXT NOT NULL,
      tag TEXT NOT NULL,
      v INTEGER NOT NULL,
      body TEXT NOT NULL,
      PRIMARY KEY (episode_id, seq)
    )`,
    `CREATE TABLE IF NOT EXISTS runs (
      run_id TEXT PRIMARY KEY NOT NULL,
      created_at TEXT NOT NULL,
      config TEXT NOT NULL,
      experiment TEXT
    )`,
    `CREATE TABLE IF NOT EXISTS episodes (
      episode_id TEXT PRIMARY KEY NOT NULL,
      run_id TEXT NOT NULL,
      domain TEXT NOT NULL,
      task_id TEXT NOT NULL,
      trial INTEGER NOT NULL,
      status TEXT NOT NULL,
      termination_reason TEXT,
      version INTEGER NOT NULL,
      parent_episode_id TEXT,
      parent_seq INTEGER,
      reward REAL
    )`,
    `CREATE INDEX IF NOT EXISTS episodes_run ON episodes (run_id)`,
    `CREATE INDEX IF NOT EXISTS episodes_status ON episodes (status)`,
    `CREATE TABLE IF NOT EXISTS scores (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      episode_id TEXT NOT NULL,
      evaluator TEXT NOT NULL,
      evaluator_version TEXT NOT NULL,
      reward REAL NOT NULL,
      breakdown TEXT NOT NULL,
      recorded_at TEXT NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS scores_episode ON scores (episode_id, id)`,
  ],
  // 2: the model response cache looks calls up by request hash.
  [`CREATE INDEX IF NOT EXISTS ${MODEL_CALLS_INDEX} ON events (${MODEL_REQUEST_HASH}) WHERE tag = 'ModelCalled'`],
  // 3: the tamper-evident chain (existing streams are hashed and sealed), and leases.
  [
    addColumnIfMissing("events", "hash", "TEXT"),
    `CREATE TABLE IF NOT EXISTS chain_seals (
      episode_id TEXT PRIMARY KEY NOT NULL,
      sealed_through_seq INTEGER NOT NULL,
      sealed_at TEXT NOT NULL
    )`,
    sealUnhashedStreams,
    `CREATE TABLE IF NOT EXISTS leases (
      name TEXT PRIMARY KEY NOT NULL,
      holder_id TEXT NOT NULL,
      pid INTEGER NOT NULL,
      host TEXT NOT NULL,
      acquired_at TEXT NOT NULL,
      heartbeat_at_ms INTEGER NOT NULL
    )`,
  ],
  // 4: the message pool. Rows written before it keep their full bodies (and their hashes).
  [
    `CREATE TABLE IF NOT EXISTS blobs (
      hash TEXT PRIMARY KEY NOT NULL,
      body TEXT NOT NULL
    ) WITHOUT ROWID`,
  ],
  // 5: scores carry the model calls behind them (an LLM judge's) and a chain hash (ADR 0007).
  [
    addColumnIfMissing("scores", "model_calls", "TEXT"),
    addColumnIfMissing("scores", "hash", "TEXT"),
    `CREATE TABLE IF NOT EXISTS score_model_calls (
      request_hash TEXT NOT NULL,
      score_id INTEGER NOT NULL,
      idx INTEGER NOT NULL,
      PRIMARY KEY (request_hash, score_id, idx)
    ) WITHOUT ROWID`,
    hashUnhashedScores,
  ],
]

export const SCHEMA_VERSION = MIGRATIONS.length
