/**
 * Reading an episode's full history. A fork stores only its own events; its history is the
 * parent's history up to the fork point followed by its own, so forking costs O(1) storage and
 * loading a fork costs O(events), never O(database).
 */
import { Effect } from "effect"
import type { Domain } from "../domain.ts"
import type { EpisodeEvent, EpisodeStarted, StoredEvent } from "../events.ts"
import { EventStore, StoreError } from "../store/event-store.ts"
import { type EpisodeState, evolve, initialState } from "./state.ts"

export interface EpisodeHistory {
  readonly episodeId: string
  /** Events inherited from ancestors (fork prefix), oldest first. */
  readonly inherited: ReadonlyArray<StoredEvent>
  /** The episode's own stream. */
  readonly own: ReadonlyArray<StoredEvent>
}

export const allEvents = (h: EpisodeHistory): ReadonlyArray<StoredEvent> => [...h.inherited, ...h.own]

/**
 * How long the episode's own stream was played, as recorded, against its time limit `limitMs`:
 * the sum of the gaps between consecutive stored events. The stream has no mark of where a stop
 * and a resume were, so a gap that would take the total to the limit is taken for a pause (no
 * process played then) and not counted: a live hop never spans it, as the limit would have cut it
 * and the episode would have ended as `timeout`. A shorter pause counts (at most up to the limit);
 * the hop that spans a long pause, or was lost to a crash, does not.
 */
export const playedMs = (h: EpisodeHistory, limitMs: number = Number.POSITIVE_INFINITY): number => {
  let played = 0
  for (let i = 1; i < h.own.length; i++) {
    const gap = Date.parse(h.own[i].recordedAt) - Date.parse(h.own[i - 1].recordedAt)
    if (Number.isFinite(gap) && gap > 0 && played + gap < limitMs) played += gap
  }
  return played
}

export const startedOf = (h: EpisodeHistory): EpisodeStarted => {
  const first = h.own[0]?.event
  if (first?._tag !== "EpisodeStarted") throw new Error(`episode ${h.episodeId} has no start event`)
  return first
}

export const readHistory = (episodeId: string): Effect.Effect<EpisodeHistory, StoreError, EventStore> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const own = yield* store.read(episodeId)
    if (own.length === 0) return yield* new StoreError({ message: `episode ${episodeId} not found` })
    const first = own[0].event
    if (first._tag !== "EpisodeStarted") return yield* new StoreError({ message: `episode ${episodeId} does not begin with EpisodeStarted` })
    if (first.parent === null) return { episodeId, inherited: [], own }
    const parent = yield* readHistory(first.parent.episodeId)
    return { episodeId, inherited: allEvents(parent).slice(0, first.parent.seq), own }
  })

/** Folds events into the episode state, starting from the domain's base world. */
export const foldHistory = (domain: Domain, events: ReadonlyArray<EpisodeEvent>): EpisodeState => {
  const first = events[0]
  if (first?._tag !== "EpisodeStarted") throw new Error("an episode history begins with EpisodeStarted")
  let state = initialState(first, domain.initialWorld, 0)
  for (const e of events) state = evolve(state, e, state.version)
  return state
}
