/**
 * System prompts of the model-backed agents. Our own words, with the reference's structure
 * (semantics §6.2-6.4): an `<instructions>` block, then `<policy>`, then (oracle plan)
 * `<resolution_steps>` or (solo) `<ticket>`.
 */
import { type Action, pyStr, type PyValue } from "@tau-sim/engine"

const TURN_RULES = `Each of your turns is exactly one of these:
- a message to the customer, or
- tool calls.
Never put a message and tool calls in the same turn.`

const closing = (hasPolicy: boolean) => `Be helpful${hasPolicy ? ", stay within the policy," : ""} and always give tool calls valid JSON arguments.`

const block = (tag: string, body: string) => `<${tag}>\n${body}\n</${tag}>`

/** `name(k=v, ...)` with values rendered as Python's `str` would (the reference's rendering). */
export const renderCall = (action: Pick<Action, "name" | "arguments">): string =>
  `${action.name}(${Object.entries(action.arguments)
    .map(([k, v]) => `${k}=${pyStr(v as PyValue)}`)
    .join(", ")})`

/** `[Step i] ...` lines: what the agent does itself and what it has the customer do. */
export const resolutionSteps = (actions: ReadonlyArray<Action>, solo: boolean): string =>
  actions
    .map((a, i) => {
      const own = solo || (a.requestor ?? "assistant") === "assistant"
      return `[Step ${i + 1}] ${own ? "Perform" : "Have the customer perform"}: ${renderCall(a)}.`
    })
    .join("\n")

export interface AgentPromptInput {
  /** null: no policy (the `no-policy` mode). */
  readonly policy: string | null
  /** Gold actions revealed as a plan (oracle-plan modes), else null. */
  readonly plan: ReadonlyArray<Action> | null
  /** Solo (no-user) modes: the ticket to work from. */
  readonly ticket: string | null
  readonly solo: boolean
}

const conversationalInstructions = (hasPolicy: boolean, hasPlan: boolean): string =>
  [
    hasPlan
      ? `You are a customer support agent taking part in a test of a simulated customer. The steps that resolve the customer's request are known and listed in <resolution_steps>: carry them out in order${hasPolicy ? ", within the <policy> below" : ""}.`
      : `You are a customer support agent.${hasPolicy ? " Serve the customer by following the <policy> below." : " Serve the customer as well as you can."}`,
    TURN_RULES,
    "",
    closing(hasPolicy),
  ].join("\n")

const soloInstructions = (hasPolicy: boolean, hasPlan: boolean): string =>
  [
    `You are a customer support agent working through a ticket on your own: there is no customer to talk to. Resolve the <ticket> with tool calls only${hasPolicy ? ", following the <policy>" : ""}. Tools that act on the customer's side are available to you as well.`,
    ...(hasPlan ? ["The steps that resolve the ticket are listed in <resolution_steps>: carry them out in order."] : []),
    "Every turn must be tool calls; do not write messages. When the ticket is resolved, call `done` on its own.",
    "",
    closing(hasPolicy),
  ].join("\n")

export const agentSystemPrompt = (input: AgentPromptInput): string => {
  const hasPolicy = input.policy !== null
  const hasPlan = input.plan !== null
  const parts = [block("instructions", input.solo ? soloInstructions(hasPolicy, hasPlan) : conversationalInstructions(hasPolicy, hasPlan))]
  if (input.policy !== null) parts.push(block("policy", input.policy))
  if (input.solo) parts.push(block("ticket", input.ticket ?? ""))
  if (input.plan !== null) parts.push(block("resolution_steps", resolutionSteps(input.plan, input.solo)))
  return parts.join("\n")
}
