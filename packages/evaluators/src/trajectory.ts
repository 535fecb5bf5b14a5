/**
 * Our episode trajectory in τ²'s message format (what the evaluators, exports and viewers read).
 */
import type { EpisodeState, PyObject } from "@tau-sim/engine"
import type { Tau2Message } from "./messages.ts"

export const toTau2Messages = (state: EpisodeState): Tau2Message[] =>
  state.trajectory.map((m): Tau2Message => {
    if (m.role === "tool") return { role: "tool", id: m.id, content: m.content, requestor: m.requestor, error: m.error }
    return {
      role: m.role,
      content: m.content,
      tool_calls: m.toolCalls?.map((c) => ({ id: c.id, name: c.name, arguments: (c.arguments ?? {}) as PyObject, requestor: c.requestor })) ?? null,
    }
  })
