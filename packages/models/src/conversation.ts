/**
 * What each participant's model sees of the trajectory (semantics §2.2, §6.2, §6.5).
 *
 * Agent: its own messages (with tool calls), the user's text messages, and the results of its own
 * tool calls. A user message that carries tool calls went to the environment, so its text is never
 * shown to the agent.
 *
 * User (roles flipped, the model plays the `assistant`): its own messages become `assistant`, the
 * agent's text messages become `user`, the results of its own tool calls become `tool`.
 */
import type { TrajectoryMessage } from "@tau-sim/engine"
import type { ModelMessage } from "./port.ts"

type Side = "agent" | "user"

const ownRole = (side: Side) => (side === "agent" ? "assistant" : "user")

export const conversationFor = (side: Side, trajectory: ReadonlyArray<TrajectoryMessage>): ModelMessage[] => {
  const own = ownRole(side)
  const other = side === "agent" ? "user" : "assistant"
  const out: ModelMessage[] = []
  for (const m of trajectory) {
    if (m.role === "tool") {
      if (m.requestor === own) out.push({ role: "tool", toolCallId: m.id, toolName: m.name, content: m.content })
    } else if (m.role === own) {
      out.push({
        role: "assistant",
        content: m.content,
        toolCalls: (m.toolCalls ?? []).map((c) => ({ id: c.id, name: c.name, argumentsJson: c.argumentsJson })),
      })
    } else if (m.role === other && m.toolCalls === null && m.content !== null && m.content.trim() !== "") {
      out.push({ role: "user", content: m.content })
    }
  }
  return out
}
