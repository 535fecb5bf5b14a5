/**
 * The τ² half-duplex protocol (semantics §2) as an Effect program that appends events.
 *
 * Each hop (a participant turn, or the execution of one batch of tool calls) is computed from the
 * folded state and appended as one atomic batch with the expected stream version. Because the
 * state is always re-derived from events, a crashed run continues from its last stored event.
 */
import { Clock, Effect, Option } from "effect"
import type { Domain, Side } from "../domain.ts"
import { executeToolCall, syncWorld } from "../execute.ts"
import { applyInitialState } from "../initial-state.ts"
import {
  encodePatch,
  type EpisodeEnded,
  type EpisodeEvent,
  type EpisodeStarted,
  Events,
  type ModelCalled,
  type TerminationReason,
  type ToolExecuted,
} from "../events.ts"
import { compact } from "../py/json.ts"
import type { PyValue } from "../py/value.ts"
import type { Task } from "../task.ts"
import type { Node } from "../world/tree.ts"
import { isSolo } from "../mode.ts"
import { EventStore, type StoreError, type VersionConflict } from "../store/event-store.ts"
import { type Participant, type ParticipantTurn, TurnCallLog } from "../participants/participant.ts"
import { type EpisodeState, evolve, isAgentStop, isUserStop, ownVersion, type TrajectoryToolCall } from "./state.ts"
import { toolRandom } from "./random.ts"

export const GREETING = "Hi! How can I help you today?"

export interface EpisodeParticipants {
  readonly agent: Participant
  /** Absent in solo (no-user) mode. */
  readonly user?: Participant
}

const { toolExecuted, messageSent } = Events
const episodeEnded = (reason: TerminationReason, state: EpisodeState, note: string | null = null): EpisodeEnded =>
  Events.episodeEnded({ reason, steps: state.steps, errors: state.errors, note })

/**
 * The task's initial state applied, with the env steps an episode records for it. `strict: false`
 * applies it as an import does (a history output that differs from ours is kept as recorded).
 */
export const initialStateEvents = (
  domain: Domain,
  task: Task,
  options: { readonly seed: number; readonly solo: boolean; readonly strict?: boolean },
): { readonly events: ReadonlyArray<ToolExecuted>; readonly world: Node } => {
  const init = applyInitialState(domain, task, options)
  const events = init.steps.map((step) =>
    toolExecuted({
      callId: step.callId,
      actor: "env",
      name: step.name,
      argumentsJson: compact(step.args),
      output: step.output,
      error: step.error,
      patchJson: encodePatch(step.patch),
      setup: true,
    }),
  )
  return { events, world: init.world }
}

/** The setup events of a new episode: start, initial state, then task history or the greeting. */
export const setupEvents = (started: EpisodeStarted, domain: Domain, task: Task): ReadonlyArray<EpisodeEvent> => {
  const events: EpisodeEvent[] = [started, ...initialStateEvents(domain, task, { seed: started.seed, solo: isSolo(started) }).events]
  const history = task.initial_state?.message_history ?? []
  for (const m of history) {
    if (m.role === "assistant" || m.role === "user") {
      events.push(
        messageSent({
          role: m.role === "assistant" ? "agent" : "user",
          text: m.content ?? null,
          toolCalls: (m.tool_calls ?? []).map((c) => ({ id: c.id ?? "", name: c.name, argumentsJson: compact(c.arguments as PyValue) })),
          setup: true,
        }),
      )
    } else if (m.role === "tool") {
      // The world change of history calls is already in the env steps above (the reference replays them there).
      events.push(
        toolExecuted({
          callId: m.id ?? "",
          actor: m.requestor === "user" ? "user" : "agent",
          name: "",
          argumentsJson: "{}",
          output: m.content ?? "",
          error: m.error ?? false,
          patchJson: "[]",
          setup: true,
        }),
      )
    }
  }
  if (history.length === 0 && !isSolo(started)) {
    events.push(messageSent({ role: "agent", text: GREETING, toolCalls: [], setup: true }))
  }
  return events
}

/** Stop checks of the last history message (§2.2 step 5): an episode may be over before it starts. */
const endedBySetup = (state: EpisodeState): TerminationReason | null => {
  const last = state.trajectory.at(-1)
  if (!last || last.role === "tool") return null
  if (last.role === "user" && isUserStop(last.content, last.toolCalls ?? [])) return "user_stop"
  if (last.role === "assistant" && isAgentStop(last.content, last.toolCalls ?? [])) return "agent_stop"
  return null
}

/** Gives every proposed call a unique id (providers sometimes omit or repeat them). */
const withIds = (turn: ParticipantTurn, state: EpisodeState, role: Side) => {
  const used = new Set<string>()
  for (const m of state.trajectory) if (m.role !== "tool") for (const c of m.toolCalls ?? []) used.add(c.id)
  return turn.toolCalls.map((c, i) => {
    let id = c.id && !used.has(c.id) ? c.id : `${role}_${state.version}_${i}`
    while (used.has(id)) id = `${id}_`
    used.add(id)
    return { id, name: c.name, argumentsJson: c.argumentsJson }
  })
}

/** Executes the pending tool batch (AGENT/USER → ENV). */
const executePending = (state: EpisodeState, domain: Domain): ReadonlyArray<EpisodeEvent> => {
  const events: EpisodeEvent[] = []
  let world = state.world
  let position = state.trajectory.length
  for (const call of state.pending) {
    const outcome = executeEpisodeCall(domain, state, world, call, position)
    events.push(
      toolExecuted({
        callId: call.id,
        actor: call.requestor === "assistant" ? "agent" : "user",
        name: call.name,
        argumentsJson: call.arguments === undefined ? call.argumentsJson : compact(call.arguments),
        output: outcome.output,
        error: outcome.error,
        patchJson: encodePatch(outcome.patch),
      }),
    )
    world = outcome.world
    position++
  }
  return events
}

/**
 * One tool call of an episode as the orchestrator runs it (the episode's seeded randomness, its
 * mode's tool routing, undecodable arguments answered as an error); also used by `replay --verify`
 * to re-execute. `executeToolCall` is the bare tool execution below it.
 */
export const executeEpisodeCall = (domain: Domain, state: EpisodeState, world: EpisodeState["world"], call: TrajectoryToolCall, position: number) => {
  if (call.arguments === undefined) {
    return {
      output: `Error: the tool call arguments are not a valid JSON object: ${call.argumentsJson}`,
      error: true,
      patch: [],
      world,
    }
  }
  const random = toolRandom(state.started.seed, call.id, position)
  return executeToolCall(
    domain,
    world,
    { id: call.id, name: call.name, arguments: call.arguments, requestor: call.requestor },
    { random },
    {
      solo: isSolo(state.started),
    },
  )
}

/** After every hop the reference syncs agent and user state (a no-op outside telecom). */
const stepSync = (state: EpisodeState, domain: Domain): ReadonlyArray<EpisodeEvent> => {
  const synced = syncWorld(domain, state.world)
  if (synced.patch.length === 0) return []
  return [
    toolExecuted({
      callId: `sync_${state.version}`,
      actor: "env",
      name: "sync_tools",
      argumentsJson: "{}",
      output: "",
      error: false,
      patchJson: encodePatch(synced.patch),
      setup: true,
    }),
  ]
}

/** Termination check after a hop (§2.4): later checks overwrite earlier reasons. */
const terminationAfterHop = (state: EpisodeState, stopped: TerminationReason | null): TerminationReason | null => {
  if (state.next === "env") return stopped
  let reason = stopped
  if (state.steps >= state.started.limits.maxSteps) reason = "max_steps"
  if (state.errors >= state.started.limits.maxErrors) reason = "too_many_errors"
  return reason
}

const fold = (state: EpisodeState, events: ReadonlyArray<EpisodeEvent>): EpisodeState => events.reduce((s, e) => evolve(s, e, s.version), state)

/** The end of an episode that ran out of its wall-clock limit (`limits.timeoutMs`). */
const timedOut = (state: EpisodeState, limitMs: number): EpisodeEnded =>
  episodeEnded("timeout", state, `the episode's time limit of ${limitMs / 1000} s ran out (--episode-timeout)`)

/**
 * The next hop, under the episode's time limit. τ² checks its timeout after every step whose next
 * recipient is not the environment (semantics §2.4): here, before each participant turn, and a turn
 * still running when the limit is reached is interrupted (a wedged model call must not hold a run
 * for hours: its request is cancelled). The calls the cut turn made, the cancelled one included,
 * are stored before the end (`TurnCallLog`). Tool batches are pure and quick: never cut.
 * Time is Effect's `Clock`: the time this process has played the episode, plus what the stored
 * history says was played before (`PlayOptions.playedMs`), so a resumed episode, or one a cluster
 * worker takes over, does not get its whole limit again.
 */
const nextHopWithin = (
  state: EpisodeState,
  domain: Domain,
  task: Task,
  participants: EpisodeParticipants,
  deadline: { readonly limitMs: number; readonly startMs: number } | null,
): Effect.Effect<ReadonlyArray<EpisodeEvent>> =>
  Effect.gen(function* () {
    if (deadline === null || state.next === "env") return yield* nextHop(state, domain, task, participants)
    const left = deadline.limitMs - ((yield* Clock.currentTimeMillis) - deadline.startMs)
    if (left <= 0) return [timedOut(state, deadline.limitMs)]
    const calls: ModelCalled[] = []
    const hop = yield* nextHop(state, domain, task, participants).pipe(
      Effect.provideService(TurnCallLog, { listening: true, record: (call) => calls.push(call) }),
      Effect.timeoutOption(left),
    )
    return Option.getOrElse(hop, () => [...calls, timedOut(state, deadline.limitMs)])
  })

/** Computes the events of the next hop (without storing them). */
export const nextHop = (state: EpisodeState, domain: Domain, task: Task, participants: EpisodeParticipants): Effect.Effect<ReadonlyArray<EpisodeEvent>> =>
  Effect.gen(function* () {
    let events: EpisodeEvent[]
    let stopped: TerminationReason | null = null
    if (state.next === "env") {
      events = [...executePending(state, domain)]
    } else {
      const role: Side = state.next
      const participant = role === "agent" ? participants.agent : participants.user
      if (!participant) return [episodeEnded("user_error", state, "no user participant in a dual-control episode")]
      const turn = yield* participant.act({ role, state, domain, task }).pipe(Effect.result)
      if (turn._tag === "Failure") {
        const error = turn.failure
        const reason: TerminationReason =
          error.kind === "infrastructure"
            ? "infrastructure_error"
            : error.kind === "context_window"
              ? "context_window_exceeded"
              : role === "agent"
                ? "agent_error"
                : "user_error"
        return [...(error.modelCalls ?? []), episodeEnded(reason, state, error.message)]
      }
      const t = turn.success
      const toolCalls = withIds(t, state, role)
      if ((t.text === null || t.text.trim() === "") && toolCalls.length === 0) {
        // The reference's validate() rejects a message without tool calls or non-blank text (§1.2).
        return [...(t.modelCalls ?? []), episodeEnded(role === "agent" ? "agent_error" : "user_error", state, "empty message")]
      }
      events = [...(t.modelCalls ?? []), messageSent({ role, text: t.text, toolCalls })]
      if (role === "user" && isUserStop(t.text, toolCalls)) stopped = "user_stop"
      if (role === "agent" && isAgentStop(t.text, toolCalls)) stopped = "agent_stop"
      else if (role === "agent" && isSolo(state.started) && toolCalls.length === 0) stopped = "agent_error"
    }
    let after = fold(state, events)
    const sync = stepSync(after, domain)
    events.push(...sync)
    after = fold(after, sync)
    const reason = terminationAfterHop(after, stopped)
    if (reason) events.push(episodeEnded(reason, after))
    return events
  })

export type EpisodeRunError = StoreError | VersionConflict

export interface PlayOptions {
  /** Time the episode was already played, by the stored history (`playedMs` of it); counts against its time limit. */
  readonly playedMs?: number
}

/** At most this many events of free hops wait to be stored together. */
const MAX_UNSTORED_EVENTS = 256

/** A hop that called a model cost time and money to make: it is stored before the next one starts. */
const costlyHop = (events: ReadonlyArray<EpisodeEvent>): boolean => events.some((e) => e._tag === "ModelCalled")

/**
 * Plays an episode from `state` to its end, appending whole hops. `state` must reflect every stored
 * event of the episode's history (its own stream version is `ownVersion(state)`).
 *
 * A hop that called a model is stored at once, with the free hops before it. Free hops (offline
 * participants, the environment) are stored together, up to `MAX_UNSTORED_EVENTS`, at the end and
 * when the episode is stopped: each append is still whole hops, and a crash loses only hops that resuming redoes exactly
 * (they are deterministic functions of the stored prefix and its seeds). An offline episode is a
 * few transactions instead of one per hop (issue 13: most of an offline run was SQLite commits).
 */
export const playEpisode = (
  episodeId: string,
  initial: EpisodeState,
  domain: Domain,
  task: Task,
  participants: EpisodeParticipants,
  options: PlayOptions = {},
): Effect.Effect<EpisodeState, EpisodeRunError, EventStore> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    let state = initial
    let version = ownVersion(initial)
    if (state.ended === null && version > 0) {
      const setupEnd = endedBySetup(state)
      if (setupEnd && state.steps === 0) {
        const ended = [episodeEnded(setupEnd, state)]
        version = yield* store.append(episodeId, version, ended)
        state = fold(state, ended)
      }
    }
    const limitMs = state.started.limits.timeoutMs
    const deadline = limitMs === undefined ? null : { limitMs, startMs: (yield* Clock.currentTimeMillis) - (options.playedMs ?? 0) }
    let unstored: Array<EpisodeEvent> = []
    // A stop (an interrupt) lands between hops or in a participant's turn: the hops played before it
    // are stored first, as a stop promises (it keeps what was done). A failed write is left to resume.
    const storeUnstoredOnStop = Effect.suspend(() => (unstored.length === 0 ? Effect.void : Effect.ignore(store.append(episodeId, version, unstored))))
    yield* Effect.gen(function* () {
      while (state.ended === null) {
        // Offline hops never wait on I/O: yield to the event loop so that a stop signal lands between hops.
        yield* Effect.yieldNow
        const events = yield* nextHopWithin(state, domain, task, participants, deadline)
        state = fold(state, events)
        unstored.push(...events)
        if (state.ended !== null || costlyHop(events) || unstored.length >= MAX_UNSTORED_EVENTS) {
          version = yield* store.append(episodeId, version, unstored)
          unstored = []
        }
      }
    }).pipe(Effect.onInterrupt(() => storeUnstoredOnStop))
    return state
  })

export { fold as foldEvents }
