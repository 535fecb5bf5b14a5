/**
 * Offline participants that act out a task's gold actions: the oracle agent performs the
 * assistant-side actions, the scripted user performs the user-side ones, and they hand over to
 * each other by text. Both decide purely from the conversation so far, so they are deterministic
 * and can resume or replay from any point.
 */
import { Effect } from "effect"
import { compact } from "../py/json.ts"
import type { PyValue } from "../py/value.ts"
import type { TrajectoryMessage } from "../episode/state.ts"
import type { Action, Task } from "../task.ts"
import { isSolo } from "../mode.ts"
import type { Participant, ParticipantTurn } from "./participant.ts"

export const OPENING_USER_MESSAGE = "Hi, I need some help."
export const HANDOVER_TO_USER_PREFIX = "Please do the following on your side: "
export const USER_DONE_MESSAGE = "Done."
export const STOP = "###STOP###"

/** Final assistant message of a gold run, as in the conformance fixtures. */
export const finalAgentMessage = (task: Task): string => {
  const info = task.evaluation_criteria?.communicate_info ?? []
  return info.length > 0 ? `Here is the information you asked for: ${info.join(" | ")}` : "Your request has been processed."
}

const countCalls = (trajectory: ReadonlyArray<TrajectoryMessage>, role: "assistant" | "user"): number =>
  trajectory.reduce((n, m) => (m.role === role && !m.setup ? n + (m.toolCalls?.length ?? 0) : n), 0)

/** The next gold action neither side has performed yet (actions are consumed in order per side). */
export const nextGoldAction = (task: Task, trajectory: ReadonlyArray<TrajectoryMessage>): Action | undefined => {
  let agentDone = countCalls(trajectory, "assistant")
  let userDone = countCalls(trajectory, "user")
  for (const action of task.evaluation_criteria?.actions ?? []) {
    const byUser = action.requestor === "user"
    if (byUser ? userDone-- > 0 : agentDone-- > 0) continue
    return action
  }
  return undefined
}

const call = (action: Action): ParticipantTurn => ({
  text: null,
  toolCalls: [{ name: action.name, argumentsJson: compact(action.arguments as PyValue) }],
})

const describe = (action: Action): string =>
  `${action.name}(${Object.entries(action.arguments)
    .map(([k, v]) => `${k}=${compact(v as PyValue)}`)
    .join(", ")})`

/**
 * Solo (no-user) mode: there is nobody to hand over to, and the environment routes user-side tools
 * for the agent, so the oracle performs every gold action itself, in order, then stops (the
 * reference's solo agent ends with `done()`, recorded as a `###STOP###` message).
 */
const nextSoloAction = (task: Task, trajectory: ReadonlyArray<TrajectoryMessage>): Action | undefined =>
  (task.evaluation_criteria?.actions ?? [])[countCalls(trajectory, "assistant")]

export const oracleAgent: Participant = {
  spec: "oracle",
  act: ({ state, task }) =>
    Effect.sync(() => {
      if (isSolo(state.started)) {
        const action = nextSoloAction(task, state.trajectory)
        return action === undefined ? { text: STOP, toolCalls: [] } : call(action)
      }
      const next = nextGoldAction(task, state.trajectory)
      if (next === undefined) return { text: finalAgentMessage(task), toolCalls: [] }
      if (next.requestor !== "user") return call(next)
      return { text: HANDOVER_TO_USER_PREFIX + describe(next), toolCalls: [] }
    }),
}

export const scriptedUser: Participant = {
  spec: "scripted",
  act: ({ state, task }) =>
    Effect.sync(() => {
      const spoke = state.trajectory.some((m) => m.role === "user" && !m.setup && m.content !== null && !m.toolCalls)
      if (!spoke) return { text: OPENING_USER_MESSAGE, toolCalls: [] }
      const next = nextGoldAction(task, state.trajectory)
      if (next?.requestor === "user") return call(next)
      const last = state.trajectory.at(-1)
      // Stop once every gold action is done and the agent has reported back.
      if (next === undefined && last?.role === "assistant") return { text: STOP, toolCalls: [] }
      return { text: USER_DONE_MESSAGE, toolCalls: [] }
    }),
}
