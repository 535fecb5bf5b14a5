/**
 * Fork: a new episode whose history is its parent's up to a turn and whose continuation is live,
 * possibly with other participants. The child stores one start event that points at the parent;
 * nothing of the prefix is copied, so forking costs O(events), not O(database).
 */
import { randomUUID } from "node:crypto"
import { continueEpisode, type EpisodeStarted, EventStore, foldEvents, type Mode } from "@tau-sim/engine"
import { Effect, Schema } from "effect"
import { loadEpisode } from "./replay.ts"
import { findTask, participantsFor } from "./run.ts"
import { scoreEpisode } from "./score.ts"

export class ForkError extends Schema.TaggedError<ForkError>()("ForkError", { message: Schema.String }) {}

export interface ForkOptions {
  readonly atTurn: number
  readonly agent?: string
  readonly user?: string
  readonly mode?: Mode
  /** Run the child belongs to (a fork run groups counterfactual branches). */
  readonly runId?: string
  /** Stop after creating the child (no live continuation). */
  readonly noContinue?: boolean
}

/** Index of the event that produced trajectory message `turn`. */
const eventOfTurn = (states: ReadonlyArray<{ trajectory: ReadonlyArray<unknown> }>, turn: number): number =>
  states.findIndex((s) => s.trajectory.length > turn)

export const forkEpisode = (parentId: string, options: ForkOptions) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const parent = yield* loadEpisode(parentId)
    const { states, events, domain } = parent
    const at = eventOfTurn(states, options.atTurn)
    const turns = parent.final.trajectory.length
    if (options.atTurn < 0 || at < 0) {
      return yield* new ForkError({ message: `episode ${parentId} has turns 0..${turns - 1}; cannot fork at turn ${options.atTurn}` })
    }
    const message = states[at].trajectory[options.atTurn] as { setup: boolean }
    if (message.setup) {
      const firstLive = parent.final.trajectory.findIndex((m) => !m.setup)
      return yield* new ForkError({
        message: `turn ${options.atTurn} is part of the task setup; fork at turn ${firstLive >= 0 ? firstLive : turns} or later`,
      })
    }
    const prefix = events.slice(0, at)
    const parentStart = events.find((e): e is EpisodeStarted => e._tag === "EpisodeStarted") as EpisodeStarted
    const latestStart = [...prefix].reverse().find((e): e is EpisodeStarted => e._tag === "EpisodeStarted") ?? parentStart
    const childId = `ep_${randomUUID().replaceAll("-", "").slice(0, 12)}`
    const started: EpisodeStarted = {
      ...latestStart,
      runId: options.runId ?? latestStart.runId,
      episodeId: childId,
      agent: options.agent ?? latestStart.agent,
      user: options.user ?? latestStart.user,
      mode: options.mode ?? latestStart.mode,
      parent: { episodeId: parentId, seq: at },
    }
    yield* store.append(childId, 0, [started])
    const state = foldEvents(states[at - 1], [started])
    if (options.noContinue) return { episodeId: childId, parent: parentId, forkSeq: at, state, reward: null as number | null }
    const task = findTask(domain, started.taskId)
    const final = yield* continueEpisode(childId, state, 1, domain, task, participantsFor(started))
    const score = yield* scoreEpisode(childId, domain, task, final)
    return { episodeId: childId, parent: parentId, forkSeq: at, state: final, reward: score?.reward ?? null }
  })
