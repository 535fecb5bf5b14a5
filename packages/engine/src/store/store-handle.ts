/**
 * What the store implementations share outside the port: the handle non-Effect callers hold,
 * the raw row form of an event, and how failures become `StoreError`s.
 */
import { Effect } from "effect"
import { type EpisodeEvent, EventDecodeError, type StoredEvent } from "../events.ts"
import { decodeFields } from "./event-fields.ts"
import { StoreError, VersionConflict, type EventStoreShape } from "./event-store.ts"
import { BlobUnreadable, isPooled, unpool } from "./message-pool.ts"
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

/**
 * An opened store whose client is asynchronous (a database server, e.g. Postgres): the same
 * handle, its raw write and its close awaited. The conformance suite takes either.
 */
export interface AsyncStoreHandle {
  readonly store: EventStoreShape
  /** As `StoreHandle.writeRawEvent`. */
  readonly writeRawEvent: (row: RawEventRow & { readonly hash?: string | null }) => Promise<void>
  /** As `StoreHandle.close`: later calls fail with `StoreError`; idempotent. */
  readonly close: () => Promise<void>
}

/** Finds a pool blob's text by address (undefined when the store has none). */
export type BlobLookup = (address: string) => string | undefined

/**
 * The event a stored body holds: parsed, rehydrated from the pool when it is a pooled model call
 * (`message-pool.ts`), upcast and decoded. Throws `EventDecodeError` naming episode, seq and, for
 * a missing or unreadable blob, the blob.
 */
export const decodeStoredBody = (episodeId: string, seq: number, body: string, blobs: BlobLookup): EpisodeEvent => {
  let fields: unknown
  try {
    fields = JSON.parse(body)
  } catch (e) {
    throw new EventDecodeError(episodeId, seq, e instanceof Error ? e.message : String(e))
  }
  if (typeof fields === "object" && fields !== null && !Array.isArray(fields) && isPooled(fields as Record<string, unknown>)) {
    try {
      fields = unpool(fields as Record<string, unknown>, blobs)
    } catch (e) {
      if (e instanceof BlobUnreadable) throw new EventDecodeError(episodeId, seq, e.message)
      throw e
    }
  }
  return decodeFields(episodeId, seq, fields)
}

/** Decodes (and upcasts) a stored row; a body that cannot be read names its episode and seq. */
export const decodeRow = (episodeId: string, seq: number, recordedAt: string, body: string, blobs: BlobLookup): StoredEvent => {
  try {
    return { episodeId, seq, recordedAt, event: decodeStoredBody(episodeId, seq, body, blobs) }
  } catch (e) {
    if (e instanceof EventDecodeError) throw new StoreError({ message: e.message, episodeId, seq })
    throw e
  }
}

/**
 * A lookup that remembers what it found, for one read: the calls of a stream share most of their
 * message nodes, so each is fetched once per read.
 */
export const cachedLookup = (fetch: BlobLookup): BlobLookup => {
  const found = new Map<string, string>()
  return (address) => {
    const known = found.get(address)
    if (known !== undefined) return known
    const body = fetch(address)
    if (body !== undefined) found.set(address, body)
    return body
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
