/**
 * The user simulator's system prompt: guidelines (our own words; one version without tools and one
 * for users who operate tools on their side) followed by the task's scenario (semantics §6.5), and
 * the scenario's text rendering (§1.1), which is data and is rendered exactly as the reference does.
 */
import type { Task } from "@tau-sim/engine"

export const STOP_TOKEN = "###STOP###"
export const TRANSFER_TOKEN = "###TRANSFER###"
export const OUT_OF_SCOPE_TOKEN = "###OUT-OF-SCOPE###"

const ENDING = `## Ending the conversation
- Keep the conversation going until your goal from the scenario is reached.
- When it is reached, reply with ${STOP_TOKEN} to end the conversation.
- If the agent transfers you to someone else${"{transferNote}"}, reply with ${TRANSFER_TOKEN}.
- If the conversation needs information that your scenario does not give you, reply with ${OUT_OF_SCOPE_TOKEN}.

Above all: sound like a real customer and stay true to the scenario.`

export const USER_GUIDELINES = `# Playing the customer
You are role-playing a customer who contacts a customer support agent. Act out the scenario below as a real person would.

## How to behave
- Write one message at a time, as in a natural conversation.
- Follow the scenario's instructions closely.
- Do not invent anything the scenario does not say; treat whatever it does not mention as unknown to you.
- Say things in your own words rather than copying the scenario's wording.
- Reveal details gradually: give a piece of information when the agent asks for it.

${ENDING.replace("{transferNote}", "")}`

export const USER_GUIDELINES_WITH_TOOLS = `# Playing the customer
You are role-playing a customer who contacts a customer support agent. Act out the scenario below as a real person would.
You also have tools that act on your side (for example on your own device); the agent may ask you to use them to diagnose or fix your problem.

## How to behave
- Write one message at a time, as in a natural conversation.
- Each turn is either a message to the agent or a tool call, never both.
- Follow the scenario's instructions closely.
- Do not invent anything the scenario does not say; treat whatever it does not mention as unknown to you.
- Never make up what a tool returned: base what you tell the agent on the actual results.
- If a tool call fails with an error, correct the call and try again.
- Everything you tell the agent must come from the scenario or from tool results.
- Say things in your own words rather than copying the scenario's wording.
- Reveal details gradually: give a piece of information when the agent asks for it.
- Use a tool only when the agent asks you to, or when you need it to answer the agent's question; if you are unsure what to do, ask.
- If the agent asks for several actions at once, say you can only do one at a time and ask which one to do first.
- The agent does not see your tool-call turns, only your messages.

${ENDING.replace("{transferNote}", " (only once the agent has clearly said so)")}`

/** Python `textwrap.indent(text, prefix)`: the prefix goes before every line that is not blank. */
export const indent = (text: string, prefix = "\t"): string =>
  text
    .split(/(?<=\n)/)
    .map((line) => (line.trim() === "" ? line : prefix + line))
    .join("")

/** The scenario as the user simulator receives it (semantics §1.1). */
export const renderScenario = (scenario: Task["user_scenario"]): string => {
  const lines: string[] = []
  if (scenario.persona) lines.push("Persona:", indent(scenario.persona))
  const instructions = scenario.instructions
  let text: string
  if (typeof instructions === "string") text = instructions
  else {
    const parts = [`Domain: ${instructions.domain}`, "Reason for call:", indent(instructions.reason_for_call)]
    if (instructions.known_info) parts.push("Known info:", indent(instructions.known_info))
    if (instructions.unknown_info) parts.push("Unknown info:", indent(instructions.unknown_info))
    parts.push("Task instructions:", indent(instructions.task_instructions))
    text = parts.join("\n")
  }
  lines.push("Instructions:", indent(text))
  return lines.join("\n")
}

export const userSystemPrompt = (task: Task, withTools: boolean): string =>
  `${withTools ? USER_GUIDELINES_WITH_TOOLS : USER_GUIDELINES}\n\n<scenario>\n${renderScenario(task.user_scenario)}\n</scenario>`
