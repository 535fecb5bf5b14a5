/**
 * The event store port: append-only episode streams with optimistic concurrency, plus the small
 * read models (runs, episodes, scores) that let commands list things without scanning events.
 *
 * Three implementations pass one conformance suite (`@tau-sim/engine/testing`): SQLite (the
 * embedded default), in-memory, and PostgreSQL (`@tau-sim/store-pg`, ADR 0008).
 */
import { Context, type Effect, Schema } from "effect"
import type { EpisodeEvent, ModelCalled, StoredEvent, TerminationReason } from "../events.ts"
import type { RawEventRow } from "./store-handle.ts"

export class VersionConflict extends Schema.TaggedError<VersionConflict>()("VersionConflict", {
  episodeId: Schema.String,
  expected: Schema.Int,
  actual: Schema.Int,
}) {
  override get message(): string {
    return `episode ${this.episodeId}: expected version ${this.expected}, but the stream is at ${this.actual}`
  }
}

/**
 * Storage failed (I/O, closed store, invalid input). When a stored event cannot be read back
 * (corrupt or unknown body), `episodeId` and `seq` name the row.
 */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  message: Schema.String,
  episodeId: Schema.optional(Schema.String),
  seq: Schema.optional(Schema.Int),
}) {}

export interface RunRecord {
  readonly runId: string
  /** ISO time the run was created (data only). */
  readonly createdAt: string
  /** The run configuration as given (domain, participants, trials, seed, ...), JSON-compatible. */
  readonly config: Readonly<Record<string, unknown>>
  /** Experiment this run belongs to, if any. */
  readonly experiment: string | null
}

export type EpisodeStatus = "running" | "ended"

export interface EpisodeRow {
  readonly episodeId: string
  readonly runId: string
  readonly domain: string
  readonly taskId: string
  readonly trial: number
  readonly status: EpisodeStatus
  readonly terminationReason: TerminationReason | null
  /** Number of events in the stream (= seq of the last event + 1). */
  readonly version: number
  readonly parentEpisodeId: string | null
  readonly parentSeq: number | null
  /** Reward of the most recent score of a reward evaluator (`isRewardEvaluator`), if any. */
  readonly reward: number | null
}

/**
 * Whether an evaluator's scores are the episode's reward: the τ² family (`tau2`, and `tau2-…` such
 * as the original score of an import). Other evaluator sets (behavioural ones such as
 * `support-desk`) are stored beside it and never replace the reward runs and reports show.
 */
export const isRewardEvaluator = (evaluator: string): boolean => evaluator === "tau2" || evaluator.startsWith("tau2-")

export interface ScoreRecord {
  readonly episodeId: string
  readonly evaluator: string
  readonly evaluatorVersion: string
  readonly reward: number
  /** Full breakdown (the reference's RewardInfo shape for τ² evaluators), JSON-compatible. */
  readonly breakdown: unknown
  readonly recordedAt: string
  /**
   * The model calls made to produce this score (an LLM judge's, participant `judge`), every
   * attempt included; absent when none was made. They are stored with the score, not in the
   * episode's stream, which is closed once it has ended (ADR 0007).
   */
  readonly modelCalls?: ReadonlyArray<ModelCalled>
}

/**
 * A score exactly as stored, never decoded (`readScoresRaw`): the integrity check recomputes its
 * hash (`scoreHash`, chained over the episode's scores in order) from these texts.
 */
export interface RawScoreRow {
  readonly evaluator: string
  readonly evaluatorVersion: string
  readonly reward: number
  readonly breakdown: string
  /** JSON array of the model calls' encoded fields, or null when the score has none. */
  readonly modelCalls: string | null
  readonly recordedAt: string
  /** Null for a score written outside the store's append. */
  readonly hash: string | null
}

export interface EpisodeFilter {
  readonly runId?: string
  readonly status?: EpisodeStatus
}

/**
 * An event row exactly as stored, with its chain hash (see `chain.ts`). `hash` is null for a row
 * written raw without one (imports of old logs, tests of damaged rows): such a row is unsealed.
 */
export type RawStoredRow = RawEventRow & { readonly hash: string | null }

/**
 * The stream's hashes up to `throughSeq` were computed when the store was upgraded, not when the
 * events were written: tampering before `sealedAt` cannot be detected.
 */
export interface ChainSeal {
  readonly throughSeq: number
  readonly sealedAt: string
}

export interface AppendOptions {
  /** Scores of this episode, stored in the same transaction as the events (all or nothing). */
  readonly scores?: ReadonlyArray<ScoreRecord>
}

/** Who holds a lease (e.g. the process resuming a run). */
export interface LeaseHolder {
  readonly id: string
  readonly pid: number
  readonly host: string
  readonly acquiredAt: string
}

export type LeaseResult = { readonly acquired: true } | { readonly acquired: false; readonly holder: LeaseHolder }

export interface EventStoreShape {
  /**
   * Appends events to an episode stream whose current version must equal `expectedVersion`
   * (0 for a new stream). Events get seq = expectedVersion, expectedVersion + 1, ... All or nothing.
   * Returns the new version.
   */
  readonly append: (
    episodeId: string,
    expectedVersion: number,
    events: ReadonlyArray<EpisodeEvent>,
    options?: AppendOptions,
  ) => Effect.Effect<number, VersionConflict | StoreError>
  /** Reads a stream in seq order; `toSeq` is exclusive. */
  readonly read: (episodeId: string, range?: { readonly fromSeq?: number; readonly toSeq?: number }) => Effect.Effect<ReadonlyArray<StoredEvent>, StoreError>
  /**
   * Rows exactly as stored, in seq order, never decoded (an unreadable body can still be
   * inspected): a pooled model call's body holds references into the pool (see `readBlobs`).
   */
  readonly readRaw: (episodeId: string) => Effect.Effect<ReadonlyArray<RawStoredRow>, StoreError>
  /**
   * Every episode id that has stored events, in the order the streams were first written. A
   * whole-store check uses it beside `listEpisodes`, so a stream whose read-model row was deleted
   * is still seen.
   */
  readonly listStreamIds: () => Effect.Effect<ReadonlyArray<string>, StoreError>
  /**
   * Blobs of the message pool by address (ADR 0004): the message nodes and tool sets that pooled
   * `ModelCalled` rows (as `readRaw` returns them) refer to. Addresses the store has no blob for
   * are absent from the result. For the integrity check; `read` rehydrates events itself.
   */
  readonly readBlobs: (addresses: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, string>, StoreError>
  /** Present when part of the stream was hashed at upgrade rather than at write time. */
  readonly chainSeal: (episodeId: string) => Effect.Effect<ChainSeal | undefined, StoreError>
  /** Inserts or replaces the run. */
  readonly putRun: (run: RunRecord) => Effect.Effect<void, StoreError>
  /**
   * Inserts the run unless one with its id exists; an existing run is returned unchanged (never
   * overwritten). Atomic: of two racing creators exactly one gets `created: true`.
   */
  readonly createRun: (run: RunRecord) => Effect.Effect<{ readonly created: boolean; readonly run: RunRecord }, StoreError>
  readonly getRun: (runId: string) => Effect.Effect<RunRecord | undefined, StoreError>
  readonly listRuns: () => Effect.Effect<ReadonlyArray<RunRecord>, StoreError>
  readonly getEpisode: (episodeId: string) => Effect.Effect<EpisodeRow | undefined, StoreError>
  readonly listEpisodes: (filter?: EpisodeFilter) => Effect.Effect<ReadonlyArray<EpisodeRow>, StoreError>
  /** Appends a score; earlier scores of the episode are kept. */
  readonly appendScore: (score: ScoreRecord) => Effect.Effect<void, StoreError>
  /** Every score the episode ever had, oldest first (with its model calls, when it has some). */
  readonly listScores: (episodeId: string) => Effect.Effect<ReadonlyArray<ScoreRecord>, StoreError>
  /** The episode's scores exactly as stored, oldest first, never decoded (for the integrity check). */
  readonly readScoresRaw: (episodeId: string) => Effect.Effect<ReadonlyArray<RawScoreRow>, StoreError>
  /**
   * The first recorded successful model call (`ModelCalled` without `error`) with this request
   * hash, in any episode: the opt-in response cache answers identical requests from it, and a
   * judge re-asked the same question reuses its recorded answer. The calls of episode streams
   * come first (in the order they were written), then the calls recorded with scores.
   */
  readonly findModelResponse: (requestHash: string) => Effect.Effect<ModelCalled | undefined, StoreError>
  /**
   * Takes the named lease for `holder` unless someone else holds it and is alive. A lease is stale
   * (taken over) when its last heartbeat is older than `staleAfterMs`, or its holder ran on this
   * host and that process is gone. Re-acquiring a lease one already holds succeeds (and renews it).
   */
  readonly acquireLease: (name: string, holder: LeaseHolder, staleAfterMs: number) => Effect.Effect<LeaseResult, StoreError>
  /** Refreshes the heartbeat; false when the lease is no longer held by `holderId` (taken over). */
  readonly renewLease: (name: string, holderId: string) => Effect.Effect<boolean, StoreError>
  /** Gives the lease up if `holderId` holds it; otherwise does nothing. */
  readonly releaseLease: (name: string, holderId: string) => Effect.Effect<void, StoreError>
}

export class EventStore extends Context.Service<EventStore, EventStoreShape>()("@tau-sim/engine/EventStore") {}
