/**
 * Replay: rebuild an episode's world from its recorded patches ("as recorded"), or re-execute
 * every tool and compare with what was recorded ("verify"). A difference is a typed determinism
 * violation naming the episode, the event, the tool and the first differing path.
 */
import {
  allEvents,
  firstDifference,
  decodePatch,
  type Domain,
  type EpisodeEvent,
  type EpisodeStarted,
  type EpisodeState,
  evolve,
  initialState,
  type Node,
  PyJson,
  readHistory,
  runCall,
  setupEvents,
  syncWorld,
  type ToolExecuted,
  applyAll,
} from "@tau-sim/engine"
import { Effect, Schema } from "effect"
import { resolveDomain } from "./domains.ts"
import { findTask } from "./run.ts"

export class DeterminismViolation extends Schema.TaggedError<DeterminismViolation>()("DeterminismViolation", {
  episodeId: Schema.String,
  seq: Schema.Int,
  tool: Schema.String,
  path: Schema.String,
  recorded: Schema.String,
  replayed: Schema.String,
}) {
  get message(): string {
    return `episode ${this.episodeId} seq ${this.seq} tool ${this.tool}: replay differs at ${this.path} (recorded ${this.recorded}, replayed ${this.replayed})`
  }
}

export interface ReplayedEpisode {
  readonly episodeId: string
  readonly domain: Domain
  readonly events: ReadonlyArray<EpisodeEvent>
  /** Number of events inherited from the parent (fork prefix). */
  readonly inherited: number
  readonly final: EpisodeState
}

/** The world after each event: `states[i]` is the state after folding events[0..i]. */
export const statesOf = (domain: Domain, events: ReadonlyArray<EpisodeEvent>): EpisodeState[] => {
  const first = events[0] as EpisodeStarted
  const states: EpisodeState[] = []
  let state = initialState(first, domain.initialWorld, 0)
  for (const e of events) {
    state = evolve(state, e, state.version)
    states.push(state)
  }
  return states
}

export const loadEpisode = (episodeId: string) =>
  Effect.gen(function* () {
    const history = yield* readHistory(episodeId)
    const events = allEvents(history).map((e) => e.event)
    const started = history.own[0].event as EpisodeStarted
    const domain = resolveDomain(started)
    const states = statesOf(domain, events)
    return { episodeId, domain, events, inherited: history.inherited.length, final: states.at(-1) as EpisodeState, states }
  })

const sortDeep = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortDeep)
    : v !== null && typeof v === "object"
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]))
      : v
const canonical = (v: unknown): string => JSON.stringify(sortDeep(v))

const short = (v: unknown) => {
  const s = typeof v === "string" ? v : JSON.stringify(v)
  return s.length > 200 ? `${s.slice(0, 200)}…` : s
}

/** The first path where re-executing differs from the record, or undefined. */
const patchDifference = (before: Node, recordedPatch: string, replayedPatch: string): string | undefined => {
  if (recordedPatch === replayedPatch) return undefined
  const recorded = decodePatch(recordedPatch)
  const replayed = decodePatch(replayedPatch)
  return firstDifference(applyAll(before, recorded), applyAll(before, replayed), [...recorded, ...replayed]) ?? "patch"
}

/**
 * Re-executes every tool of an episode and compares output, error flag and world change with the
 * record. Setup events of a root episode are recomputed from the task and compared as a whole.
 */
export const verifyEpisode = (episodeId: string) =>
  Effect.gen(function* () {
    const loaded = yield* loadEpisode(episodeId)
    const { domain, events } = loaded
    // Setup of every episode in the chain is re-derived from its task and compared.
    const rootStart = events[0] as EpisodeStarted
    const task = findTask(domain, rootStart.taskId)
    const expectedSetup = setupEvents(rootStart, domain, task)
    // A fork may inherit only part of its root's setup.
    for (let i = 0; i < Math.min(expectedSetup.length, events.length); i++) {
      const recorded = events[i]
      const expected = expectedSetup[i]
      if (canonical(recorded) !== canonical(expected)) {
        return yield* new DeterminismViolation({
          episodeId,
          seq: i,
          tool: expected._tag === "ToolExecuted" ? expected.name : expected._tag,
          path: "setup",
          recorded: short(recorded),
          replayed: short(expected),
        })
      }
    }
    // `states[seq - 1]` is the state each live tool call ran against (loading already folded them).
    for (let seq = Math.min(expectedSetup.length, events.length); seq < events.length; seq++) {
      const event = events[seq]
      if (event._tag !== "ToolExecuted") continue
      const violation = checkTool(episodeId, seq, domain, loaded.states[seq - 1], event)
      if (violation) return yield* violation
    }
    return { episodeId, events: events.length, verified: true as const }
  })

const checkTool = (
  episodeId: string,
  seq: number,
  domain: Domain,
  state: EpisodeState,
  event: ToolExecuted,
): DeterminismViolation | undefined => {
  let output: string
  let error: boolean
  let patchJson: string
  if (event.actor === "env") {
    if (event.name !== "sync_tools") return undefined
    const synced = syncWorld(domain, state.world)
    output = ""
    error = false
    patchJson = PyJson.compact(synced.patch as never)
  } else {
    const call = state.pending.find((c) => c.id === event.callId)
    if (!call) {
      return new DeterminismViolation({ episodeId, seq, tool: event.name, path: "call", recorded: event.callId, replayed: "no pending call with this id" })
    }
    // The record must name the call it claims to have run, with the arguments the call carried.
    const argumentsJson = call.arguments === undefined ? call.argumentsJson : PyJson.compact(call.arguments)
    if (event.name !== call.name) {
      return new DeterminismViolation({ episodeId, seq, tool: event.name, path: "name", recorded: short(event.name), replayed: short(call.name) })
    }
    if (event.argumentsJson !== argumentsJson) {
      return new DeterminismViolation({ episodeId, seq, tool: event.name, path: "arguments", recorded: short(event.argumentsJson), replayed: short(argumentsJson) })
    }
    const outcome = runCall(domain, state, state.world, call, state.trajectory.length)
    output = outcome.output
    error = outcome.error
    patchJson = PyJson.compact(outcome.patch as never)
  }
  const v = (path: string, recorded: unknown, replayed: unknown) =>
    new DeterminismViolation({ episodeId, seq, tool: event.name, path, recorded: short(recorded), replayed: short(replayed) })
  if (output !== event.output) return v("output", event.output, output)
  if (error !== event.error) return v("error", event.error, error)
  const path = patchDifference(state.world, event.patchJson, patchJson)
  if (path !== undefined) return v(path, event.patchJson, patchJson)
  return undefined
}

