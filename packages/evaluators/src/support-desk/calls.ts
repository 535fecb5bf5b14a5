/**
 * The agent's tool calls as the support-desk rules look at them, and how a call is listed in a
 * verdict (turn, seq, tool, arguments).
 */
import { type Domain, PyJson } from "@tau-sim/engine"
import { Schema } from "effect"
import type { Tau2ToolCall } from "../messages.ts"
import { toolRegistry } from "../tool-registry.ts"
import type { SupportDeskEpisode } from "./episode.ts"

export interface AgentCall {
  readonly call: Tau2ToolCall
  /** Index of the assistant message that made the call (τ²'s `turn_idx`). */
  readonly turn: number
  /** Index of the tool message answering it, if any. */
  readonly reply: number | null
}

/** The calls the agent made itself (not those of the task's message history), in order. */
export const agentCalls = (episode: SupportDeskEpisode): AgentCall[] => {
  const out: AgentCall[] = []
  const { messages } = episode
  for (const [turn, m] of messages.entries()) {
    if (m.role !== "assistant" || m.tool_calls === null || episode.setup[turn]) continue
    for (const [j, call] of m.tool_calls.entries()) {
      const r = messages[turn + 1 + j]
      out.push({ call, turn, reply: r?.role === "tool" && r.id === call.id ? turn + 1 + j : null })
    }
  }
  return out
}

/**
 * A world-changing call: the domain has the tool and classifies it as mutating (`mutates`, by
 * default `kind === "write"`). Calls to unknown tools change nothing and are not writes.
 */
export const isWrite = (domain: Domain, name: string): boolean => {
  const registry = toolRegistry(domain)
  return registry.has(name) && registry.mutates(name)
}

/** A call as listed in a verdict. */
export const ListedCall = Schema.Struct({
  /** Index of the message in the trajectory (τ²'s `turn_idx`). */
  turn: Schema.Int,
  /** Seq of the message's event in the episode's history; null for a trajectory without a log. */
  seq: Schema.NullOr(Schema.Int),
  call_id: Schema.String,
  tool: Schema.String,
  /** The arguments as compact (Python-faithful) JSON text. */
  arguments: Schema.String,
})
export type ListedCall = typeof ListedCall.Type

export const listCall = (episode: SupportDeskEpisode, c: AgentCall): ListedCall => ({
  turn: c.turn,
  seq: episode.seqs[c.turn] ?? null,
  call_id: c.call.id,
  tool: c.call.name,
  arguments: PyJson.compact(c.call.arguments),
})
