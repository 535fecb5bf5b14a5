/**
 * The Postgres layout of the event store: the SQLite store's tables and indexes (sqlite-schema.ts),
 * with what SQLite gives implicitly made explicit. `id` identity columns stand in for SQLite's
 * rowid where the port promises write order (streams, runs, episodes, the model-call cache);
 * bodies are `text`, never `jsonb`, since the chain hashes their exact bytes. The schema version
 * is a row of `tau_schema`; migrations are this store's own sequence (a Postgres store never held
 * the rows SQLite's early migrations upgrade, so there is nothing to seal or re-hash).
 */

/**
 * Postgres's own JSON parser cannot stand in for SQLite's `json_extract` here: it rejects a body
 * holding a lone surrogate escape (`"\ud83d"`), which JSON.stringify writes for such a string. So
 * the store computes what it indexes itself (`answered_request_hash`) and walks message chains by
 * the fixed text of the nodes it writes (`{"prev":"sha256:...",`), with a fallback in code.
 */
export const NODE_PREV = `substring(c.body from '^\\{"prev":"(sha256:[0-9a-f]{64})"')`

/** Migration N (1-based) brings a store from version N-1 to N. Append only; every statement idempotent. */
export const MIGRATIONS: ReadonlyArray<ReadonlyArray<string>> = [
  [
    `CREATE TABLE IF NOT EXISTS events (
      id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      episode_id text NOT NULL,
      seq integer NOT NULL,
      recorded_at text NOT NULL,
      tag text NOT NULL,
      v integer NOT NULL,
      body text NOT NULL,
      hash text,
      answered_request_hash text,
      PRIMARY KEY (episode_id, seq)
    )`,
    `CREATE INDEX IF NOT EXISTS events_model_request ON events (answered_request_hash, id) WHERE answered_request_hash IS NOT NULL`,
    `CREATE TABLE IF NOT EXISTS chain_seals (
      episode_id text PRIMARY KEY,
      sealed_through_seq integer NOT NULL,
      sealed_at text NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS blobs (
      hash text PRIMARY KEY,
      body text NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS leases (
      name text PRIMARY KEY,
      holder_id text NOT NULL,
      pid integer NOT NULL,
      host text NOT NULL,
      acquired_at text NOT NULL,
      heartbeat_at_ms bigint NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS runs (
      id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      run_id text PRIMARY KEY,
      created_at text NOT NULL,
      config text NOT NULL,
      experiment text
    )`,
    `CREATE TABLE IF NOT EXISTS episodes (
      id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      episode_id text PRIMARY KEY,
      run_id text NOT NULL,
      domain text NOT NULL,
      task_id text NOT NULL,
      trial integer NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'ended')),
      termination_reason text,
      version integer NOT NULL,
      parent_episode_id text,
      parent_seq integer,
      reward double precision
    )`,
    `CREATE INDEX IF NOT EXISTS episodes_run ON episodes (run_id, id)`,
    `CREATE INDEX IF NOT EXISTS episodes_status ON episodes (status, id)`,
    `CREATE TABLE IF NOT EXISTS scores (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      episode_id text NOT NULL,
      evaluator text NOT NULL,
      evaluator_version text NOT NULL,
      reward double precision NOT NULL,
      breakdown text NOT NULL,
      recorded_at text NOT NULL,
      model_calls text,
      hash text
    )`,
    `CREATE INDEX IF NOT EXISTS scores_episode ON scores (episode_id, id)`,
    `CREATE TABLE IF NOT EXISTS score_model_calls (
      request_hash text NOT NULL,
      score_id bigint NOT NULL,
      idx integer NOT NULL,
      PRIMARY KEY (request_hash, score_id, idx)
    )`,
  ],
]

export const SCHEMA_VERSION = MIGRATIONS.length

/** Keys of the transaction-scoped advisory locks (first half of the two-key form). */
export const LOCK = {
  /** Migrations: one process at a time brings a database to the current schema. */
  migrate: 0x7a_75_00,
  /** Writes to one episode's stream and scores (the second key is `hashtext(episode_id)`). */
  episode: 0x7a_75_01,
  /** Taking one named lease (the second key is `hashtext(name)`). */
  lease: 0x7a_75_02,
} as const
