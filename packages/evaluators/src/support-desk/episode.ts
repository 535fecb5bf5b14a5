/**
 * What the support-desk evaluators read: the conversation in τ² message form, which messages came
 * from the episode's setup, and the world change each tool call made.
 *
 * Two sources: a stored episode (its folded state and its events, whose `ToolExecuted` patches are
 * the record of what each call changed), or a bare τ² trajectory (a results file, a conformance
 * fixture), whose calls are re-executed from the task's initial state to get the same per-call patches.
 */
import { decodePatch, type Domain, type EpisodeEvent, type EpisodeState, isSolo, type Op, type PyValue, seededRandom, type Task } from "@tau-sim/engine"
import { Result, Schema } from "effect"
import { type EvaluationError, errorText } from "../errors.ts"
import { initialPrefix, PREDICTED_SEED } from "../gold.ts"
import type { Tau2Message } from "../messages.ts"
import { replayToolCalls } from "../reexecute.ts"
import { toTau2Messages } from "../trajectory.ts"

export interface SupportDeskEpisode {
  readonly messages: ReadonlyArray<Tau2Message>
  /** Per message: part of the setup (greeting, the task's message history), not said or done by a participant. */
  readonly setup: ReadonlyArray<boolean>
  /** Per message: the seq of the event it was folded from (null for a trajectory without a log). */
  readonly seqs: ReadonlyArray<number | null>
  /** Per tool message (by index in `messages`): the world change its call made. */
  readonly patches: ReadonlyMap<number, ReadonlyArray<Op>>
  /** The policy the agent was given (the episode's variant): part of what the agent may state as fact. */
  readonly policy: string
  readonly solo: boolean
  readonly terminationReason: string | null
}

/** The events given with a state do not record the state's tool calls (another episode, or a prefix only). */
export class SupportDeskInputError extends Schema.TaggedError<SupportDeskInputError>()("SupportDeskInputError", {
  episodeId: Schema.String,
  detail: Schema.String,
}) {
  override get message(): string {
    return `support-desk: episode ${this.episodeId}: ${this.detail}`
  }
}

const policyOf = (domain: Domain, variant: string): string => domain.policy[variant] ?? domain.policy.default

/**
 * A stored episode. `events` is its whole history as folded into `state` (a fork's inherited
 * prefix included): the k-th tool message of the trajectory is the k-th `ToolExecuted` event of
 * a participant (env syncs have no message), and its patch is what that call changed.
 */
export const episodeFromLog = (
  domain: Domain,
  state: EpisodeState,
  events: ReadonlyArray<EpisodeEvent>,
): Result.Result<SupportDeskEpisode, SupportDeskInputError> => {
  const episodeId = state.started.episodeId
  const executed = events.filter((e) => e._tag === "ToolExecuted" && e.actor !== "env")
  const patches = new Map<number, ReadonlyArray<Op>>()
  let k = 0
  for (const [i, m] of state.trajectory.entries()) {
    if (m.role !== "tool") continue
    const event = executed[k++]
    if (event === undefined || event._tag !== "ToolExecuted" || event.callId !== m.id)
      return Result.fail(new SupportDeskInputError({ episodeId, detail: `tool message ${i} (call ${m.id}) has no matching ToolExecuted event` }))
    try {
      patches.set(i, decodePatch(event.patchJson))
    } catch (e) {
      return Result.fail(new SupportDeskInputError({ episodeId, detail: `the patch of call ${m.id} cannot be read: ${errorText(e)}` }))
    }
  }
  return Result.succeed({
    messages: toTau2Messages(state),
    setup: state.trajectory.map((m) => m.setup),
    seqs: state.trajectory.map((m) => m.seq),
    patches,
    policy: policyOf(domain, state.started.policyVariant),
    solo: isSolo(state.started),
    terminationReason: state.ended,
  })
}

export interface TrajectoryOptions {
  readonly terminationReason: string | null
  readonly solo?: boolean
  readonly policyVariant?: string
}

/**
 * A τ² trajectory without a log: the task's message history is its setup, and every state-changing
 * call is re-executed in order from the task's initial state (lenient: a different output than
 * recorded is kept, as when scoring), giving each call's patch.
 */
export const episodeFromTrajectory = (
  domain: Domain,
  task: Task,
  messages: ReadonlyArray<Tau2Message>,
  options: TrajectoryOptions,
): Result.Result<SupportDeskEpisode, EvaluationError> =>
  Result.gen(function* () {
    const historyLength = ((task.initial_state?.message_history ?? []) as ReadonlyArray<PyValue>).length
    const solo = options.solo ?? false
    const ctx = { random: seededRandom(PREDICTED_SEED) }
    let world = yield* initialPrefix(domain, task)
    const patches = new Map<number, ReadonlyArray<Op>>()
    for (const [i, m] of messages.entries()) {
      if ((m.role !== "assistant" && m.role !== "user") || m.tool_calls === null) continue
      for (const [j, call] of m.tool_calls.entries()) {
        const reply = messages[i + 1 + j]
        // A broken pairing is left to the τ² evaluator to report; such a call has no patch here.
        if (reply?.role !== "tool" || reply.id !== call.id) continue
        const one = yield* replayToolCalls(domain, world, [{ ...m, tool_calls: [call] }, reply], { strict: false, solo, ctx })
        world = one.world
        patches.set(i + 1 + j, one.ops)
      }
    }
    return {
      messages,
      setup: messages.map((_, i) => i < historyLength),
      seqs: messages.map(() => null),
      patches,
      policy: policyOf(domain, options.policyVariant ?? "default"),
      solo,
      terminationReason: options.terminationReason,
    }
  })
