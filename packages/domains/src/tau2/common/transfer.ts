/** `transfer_to_human_agents`: identical in every τ² domain (same docstring, same answer). */
import type { ToolDef } from "@tau-sim/engine"
import { Schema } from "effect"

export const transferToHumanAgents: ToolDef = {
  name: "transfer_to_human_agents",
  kind: "generic",
  description: [
    "Transfer the user to a human agent, with a summary of the user's issue.",
    "",
    "Only transfer if",
    " -  the user explicitly asks for a human agent",
    " -  given the policy and the available tools, you cannot solve the user's issue.",
  ].join("\n"),
  params: [{ name: "summary", description: "A summary of the user's issue.", schema: Schema.String }],
  run: () => "Transfer successful",
}
