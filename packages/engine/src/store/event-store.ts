/**
 * The event store port: append-only episode streams with optimistic concurrency, plus the small
 * read models (runs, episodes, scores) that let commands list things without scanning events.
 *
 * Two implementations pass one conformance suite: SQLite (the embedded default) and in-memory.
 */
import { Context, type Effect, Schema } from "effect"
import type { EpisodeEvent, ModelCalled, StoredEvent, TerminationReason } from "../events.ts"

export class VersionConflict extends Schema.TaggedError<VersionConflict>()("VersionConflict", {
  episodeId: Schema.String,
  expected: Schema.Int,
  actual: Schema.Int,
}) {
  get message(): string {
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
  /** Reward of the most recent score, if any. */
  readonly reward: number | null
}

export interface ScoreRecord {
  readonly episodeId: string
  readonly evaluator: string
  readonly evaluatorVersion: string
  readonly reward: number
  /** Full breakdown (the reference's RewardInfo shape for τ² evaluators), JSON-compatible. */
  readonly breakdown: unknown
  readonly recordedAt: string
}

export interface EpisodeFilter {
  readonly runId?: string
  readonly status?: EpisodeStatus
}

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
  ) => Effect.Effect<number, VersionConflict | StoreError>
  /** Reads a stream in seq order; `toSeq` is exclusive. */
  readonly read: (
    episodeId: string,
    range?: { readonly fromSeq?: number; readonly toSeq?: number },
  ) => Effect.Effect<ReadonlyArray<StoredEvent>, StoreError>
  readonly putRun: (run: RunRecord) => Effect.Effect<void, StoreError>
  readonly getRun: (runId: string) => Effect.Effect<RunRecord | undefined, StoreError>
  readonly listRuns: () => Effect.Effect<ReadonlyArray<RunRecord>, StoreError>
  readonly getEpisode: (episodeId: string) => Effect.Effect<EpisodeRow | undefined, StoreError>
  readonly listEpisodes: (filter?: EpisodeFilter) => Effect.Effect<ReadonlyArray<EpisodeRow>, StoreError>
  /** Appends a score; earlier scores of the episode are kept. */
  readonly appendScore: (score: ScoreRecord) => Effect.Effect<void, StoreError>
  /** Every score the episode ever had, oldest first. */
  readonly listScores: (episodeId: string) => Effect.Effect<ReadonlyArray<ScoreRecord>, StoreError>
  /**
   * The first recorded successful model call (`ModelCalled` without `error`) with this request
   * hash, in any episode: the opt-in response cache answers identical requests from it.
   */
  readonly findModelResponse: (requestHash: string) => Effect.Effect<ModelCalled | undefined, StoreError>
}

export class EventStore extends Context.Service<EventStore, EventStoreShape>()("@tau-sim/engine/EventStore") {}
