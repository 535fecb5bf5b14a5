/**
 * The state of an episode, derived from its events (a left fold). The orchestrator, replay, fork,
 * resume and the evaluators all read episodes through this one projection.
 */
import { decodePatch, type EpisodeEvent, type EpisodeStarted, type Role, type TerminationReason } from "../events.ts"
import { parse } from "../py/json.ts"
import type { PyValue } from "../py/value.ts"
import { applyAll, type Node } from "../world/tree.ts"
import type { Requestor } from "../domain.ts"
import { isSolo } from "../mode.ts"

export interface TrajectoryToolCall {
  readonly id: string
  readonly name: string
  readonly argumentsJson: string
  /** Decoded arguments, or undefined when the participant produced invalid JSON. */
  readonly arguments: Readonly<Record<string, PyValue>> | undefined
  readonly requestor: Requestor
}

/** A conversation message in τ² terms (assistant = agent). */
export type TrajectoryMessage =
  | {
      readonly role: "assistant" | "user"
      readonly content: string | null
      readonly toolCalls: ReadonlyArray<TrajectoryToolCall> | null
      readonly seq: number
      /** From the episode's setup (greeting or task history), not produced by a participant. */
      readonly setup: boolean
    }
  | {
      readonly role: "tool"
      readonly id: string
      readonly name: string
      readonly content: string
      readonly requestor: Requestor
      readonly error: boolean
      readonly seq: number
      readonly setup: boolean
    }

export type Hop = "agent" | "user" | "env"

export interface EpisodeState {
  readonly started: EpisodeStarted
  readonly world: Node
  readonly trajectory: ReadonlyArray<TrajectoryMessage>
  /** Who acts next. */
  readonly next: Hop
  /** Who handed over to `next` (the requester, when `next` is env). */
  readonly from: Hop
  /** Tool calls of the last participant message that have not been executed yet. */
  readonly pending: ReadonlyArray<TrajectoryToolCall>
  readonly steps: number
  readonly errors: number
  readonly ended: TerminationReason | null
  /** Number of events folded: inherited ones and the episode's own. */
  readonly version: number
  /**
   * Events inherited from ancestors (a fork's prefix): set when the episode's own start event is
   * folded, so the version of its own stream is `version - inherited` (`ownVersion`).
   */
  readonly inherited: number
}

/** The version of the episode's own stream (what its next append expects). */
export const ownVersion = (state: EpisodeState): number => state.version - state.inherited

export const toRequestor = (role: Role): Requestor => (role === "agent" ? "assistant" : "user")

export const decodeArguments = (json: string): Record<string, PyValue> | undefined => {
  try {
    const v = parse(json)
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, PyValue>) : undefined
  } catch {
    return undefined
  }
}

export const USER_STOP_TOKENS = ["###STOP###", "###TRANSFER###", "###OUT-OF-SCOPE###"] as const
export const AGENT_STOP_TOKEN = "###STOP###"

export const isUserStop = (text: string | null, toolCalls: ReadonlyArray<unknown>): boolean =>
  toolCalls.length === 0 && text !== null && USER_STOP_TOKENS.some((t) => text.includes(t))
export const isAgentStop = (text: string | null, toolCalls: ReadonlyArray<unknown>): boolean =>
  toolCalls.length === 0 && text !== null && text.includes(AGENT_STOP_TOKEN)

/** Solo (no-user) episodes have no greeting: the agent opens (semantics §2.2 step 7). */
const opener = (started: EpisodeStarted): Hop => (isSolo(started) ? "agent" : "user")

export const initialState = (started: EpisodeStarted, baseWorld: Node, version = 1): EpisodeState => ({
  started,
  world: baseWorld,
  trajectory: [],
  next: opener(started),
  from: "agent",
  pending: [],
  steps: 0,
  errors: 0,
  ended: null,
  version,
  inherited: 0,
})

/** Applies one event. `seq` is the position used to label trajectory messages. */
export const evolve = (state: EpisodeState, event: EpisodeEvent, seq: number): EpisodeState => {
  const version = state.version + 1
  switch (event._tag) {
    case "EpisodeStarted":
      // The stream's own start (for a fork, after its inherited prefix): new participants, same conversation and world.
      return { ...state, started: event, version, inherited: state.version }
    case "ModelCalled":
    case "ExternalRecord":
      return { ...state, version }
    case "EpisodeEnded":
      return { ...state, ended: event.reason, version }
    case "MessageSent": {
      const requestor = toRequestor(event.role)
      const toolCalls = event.toolCalls.map((c) => ({
        id: c.id,
        name: c.name,
        argumentsJson: c.argumentsJson,
        arguments: decodeArguments(c.argumentsJson),
        requestor,
      }))
      const message: TrajectoryMessage = {
        role: requestor,
        content: event.text,
        toolCalls: toolCalls.length > 0 ? toolCalls : null,
        seq,
        setup: event.setup ?? false,
      }
      const next: Hop = toolCalls.length > 0 ? "env" : event.role === "agent" ? "user" : "agent"
      return {
        ...state,
        trajectory: [...state.trajectory, message],
        pending: toolCalls,
        from: event.role,
        next,
        steps: event.setup ? state.steps : state.steps + 1,
        version,
      }
    }
    case "ToolExecuted": {
      const world = applyAll(state.world, decodePatch(event.patchJson))
      if (event.actor === "env") return { ...state, world, version }
      const requestor = toRequestor(event.actor)
      const message: TrajectoryMessage = {
        role: "tool",
        id: event.callId,
        name: event.name,
        content: event.output,
        requestor,
        error: event.error,
        seq,
        setup: event.setup ?? false,
      }
      const pending = state.pending.filter((c) => c.id !== event.callId)
      const batchDone = pending.length === 0
      return {
        ...state,
        world,
        trajectory: [...state.trajectory, message],
        pending,
        next: batchDone ? state.from : "env",
        from: batchDone ? "env" : state.from,
        errors: event.setup ? state.errors : state.errors + (event.error ? 1 : 0),
        steps: batchDone && !event.setup ? state.steps + 1 : state.steps,
        version,
      }
    }
  }
}
