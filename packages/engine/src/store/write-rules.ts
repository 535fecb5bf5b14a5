/**
 * The rules every event store enforces on writes, and how an append changes the episodes read
 * model. Shared by the SQLite and in-memory stores so both behave identically.
 */
import type { EpisodeEvent, TerminationReason } from "../events.ts"
import type { EpisodeRow } from "./event-store.ts"
import { encodeFields } from "./event-fields.ts"
import { type Blob, poolModelCall } from "./message-pool.ts"

/** Thrown inside a store to reject a write; the store turns it into a `StoreError`. */
export class InvalidWrite extends Error {
  constructor(message: string) {
    super(message)
    this.name = "InvalidWrite"
  }
}

/** JSON text of a value the store keeps as data (run configs, score breakdowns). */
export const encodeJson = (what: string, value: unknown): string => {
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch (e) {
    throw new InvalidWrite(`${what} is not JSON-compatible: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (json === undefined) throw new InvalidWrite(`${what} is not JSON-compatible: ${typeof value}`)
  return json
}

// Scores are encoded in score-rows.ts.

/** An event ready to be written: its position, its JSON body and the columns indexed beside it. */
export interface EncodedEvent {
  readonly seq: number
  readonly tag: string
  readonly v: number
  /** As stored: a model call's conversation and tools are references into the pool (`message-pool.ts`). */
  readonly body: string
  /** The pool blobs the body refers to, written in the same transaction (only if absent). */
  readonly blobs: ReadonlyArray<Blob>
}

const NO_BLOBS: ReadonlyArray<Blob> = []

/** Encodes a batch before any write, so an invalid event rejects the whole append. */
export const encodeBatch = (episodeId: string, expectedVersion: number, events: ReadonlyArray<EpisodeEvent>): Array<EncodedEvent> => {
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
    throw new InvalidWrite(`episode ${episodeId}: expected version must be a non-negative integer, got ${expectedVersion}`)
  }
  return events.map((event, i) => {
    try {
      const fields = encodeFields(event)
      const json = JSON.stringify(fields)
      const pooled = event._tag === "ModelCalled" ? poolModelCall(fields, json) : undefined
      return { seq: expectedVersion + i, tag: event._tag, v: event.v, body: pooled?.body ?? json, blobs: pooled?.blobs ?? NO_BLOBS }
    } catch (e) {
      throw new InvalidWrite(
        `episode ${episodeId}: event ${i} of the append (${String(event?._tag)}) is not a valid event: ${e instanceof Error ? e.message : String(e)}`,
      )
    }
  })
}

/**
 * A stream is its EpisodeStarted (at seq 0, for this episode), then everything else, and nothing
 * after an EpisodeEnded; the episodes read model is keyed on that first event. Called once the
 * version check has passed; `lastTag` is the tag of the stream's last stored row, if any.
 */
export const checkStreamShape = (episodeId: string, firstSeq: number, events: ReadonlyArray<EpisodeEvent>, lastTag: string | undefined): void => {
  let ended = lastTag === "EpisodeEnded"
  events.forEach((event, i) => {
    const seq = firstSeq + i
    if (ended) throw new InvalidWrite(`episode ${episodeId} has ended: ${event._tag} at seq ${seq} would follow its EpisodeEnded`)
    if (event._tag === "EpisodeEnded") ended = true
    if (seq === 0 && event._tag !== "EpisodeStarted") {
      throw new InvalidWrite(`episode ${episodeId}: a stream must start with EpisodeStarted, got ${event._tag}`)
    }
    if (event._tag === "EpisodeStarted") {
      if (seq !== 0) throw new InvalidWrite(`episode ${episodeId}: EpisodeStarted at seq ${seq}; it must be the first event`)
      if (event.episodeId !== episodeId) {
        throw new InvalidWrite(`episode ${episodeId}: EpisodeStarted names another episode (${event.episodeId})`)
      }
    }
  })
}

/** What an accepted append does to the episode's row. */
export interface EpisodeRowChange {
  /** The row to create, when the batch starts the episode (already carrying the final version/status). */
  readonly created: EpisodeRow | undefined
  readonly version: number
  /** Reason of the last EpisodeEnded in the batch, if it has one. */
  readonly ended: TerminationReason | undefined
}

export const episodeRowChange = (episodeId: string, newVersion: number, events: ReadonlyArray<EpisodeEvent>): EpisodeRowChange => {
  let ended: TerminationReason | undefined
  let started: Extract<EpisodeEvent, { _tag: "EpisodeStarted" }> | undefined
  for (const event of events) {
    if (event._tag === "EpisodeStarted") started = event
    else if (event._tag === "EpisodeEnded") ended = event.reason
  }
  const created: EpisodeRow | undefined = started && {
    episodeId,
    runId: started.runId,
    domain: started.domain,
    taskId: started.taskId,
    trial: started.trial,
    status: ended === undefined ? "running" : "ended",
    terminationReason: ended ?? null,
    version: newVersion,
    parentEpisodeId: started.parent?.episodeId ?? null,
    parentSeq: started.parent?.seq ?? null,
    reward: null,
  }
  return { created, version: newVersion, ended }
}
