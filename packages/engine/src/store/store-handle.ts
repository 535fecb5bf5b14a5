/**
 * What the store implementations share outside the port: the handle non-Effect callers hold,
 * the raw row form of an event, and how failures become `StoreError`s.
 */
import { Effect } from "effect"
import { decodeEvent, EventDecodeError, type StoredEvent } from "../events.ts"
import { StoreError, VersionConflict, type EventStoreShape } from "./event-store.ts"
import { InvalidWrite } from "./write-rules.ts"

/** An event row exactly as stored: the body is the event's JSON, possibly of an old version. */
export interface RawEventRow {
  readonly episodeId: string
  readonly seq: number
  readonly recordedAt: string
  readonly tag: string
  readonly v: number
  readonly body: string
}

/** An opened store for callers outside Effect (benchmarks, tests, scripts). */
export interface StoreHandle {
  readonly store: EventStoreShape
  /**
   * Writes a row verbatim: no encoding, no version check, no read-model update. For importing
   * logs written by older versions, and for tests of old or damaged rows. `hash` is stored as
   * given; without one the row is unsealed (its chain hash is null).
   */
  readonly writeRawEvent: (row: RawEventRow & { readonly hash?: string | null }) => void
  /** Releases the store; later calls fail with `StoreError`. Idempotent. */
  readonly close: () => void
}

/** Decodes (and upcasts) a stored row; a body that cannot be read names its episode and seq. */
export const decodeRow = (episodeId: string, seq: number, recordedAt: string, body: string): StoredEvent => {
  try {
    return { episodeId, seq, recordedAt, event: decodeEvent(episodeId, seq, body) }
  } catch (e) {
    if (e instanceof EventDecodeError) throw new StoreError({ message: e.message, episodeId, seq })
    throw e
  }
}

/** `where` names the store in I/O failures ("database or disk is full" says nothing about which). */
export const toStoreError = (cause: unknown, where = "event store"): StoreError => {
  if (cause instanceof StoreError) return cause
  if (cause instanceof InvalidWrite) return new StoreError({ message: cause.message })
  const message = cause instanceof Error ? cause.message : String(cause)
  return new StoreError({ message: `${where}: ${message}` })
}

/** Parses JSON the store wrote itself (run configs, score breakdowns). */
export const parseStoredJson = (what: string, json: string): unknown => {
  try {
    return JSON.parse(json)
  } catch (e) {
    throw new StoreError({ message: `${what} cannot be read: ${e instanceof Error ? e.message : String(e)}` })
  }
}

/** Runs a synchronous store operation as an Effect; anything it throws becomes a `StoreError`. */
export const attempt = <A>(operation: () => A, where?: string): Effect.Effect<A, StoreError> =>
  Effect.try({ try: operation, catch: (e) => toStoreError(e, where) })

/** Like `attempt`, keeping a thrown `VersionConflict` as itself. */
export const attemptAppend = <A>(operation: () => A, where?: string): Effect.Effect<A, VersionConflict | StoreError> =>
  Effect.try({ try: operation, catch: (e) => (e instanceof VersionConflict ? e : toStoreError(e, where)) })
