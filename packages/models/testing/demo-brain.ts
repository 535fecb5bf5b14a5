/**
 * A scripted "model" for the demo library domain, played by the fake server: it answers as the
 * agent (requests whose system prompt has a `<policy>`) or as the user simulator (a `<scenario>`),
 * deciding from the conversation it is sent, like a real model would. It solves two tasks:
 * `renew_loan` (agent tools only) and `link_card_in_app` (the user operates tools on the phone).
 */
import type { Brain, FakeCall, FakeMessage, Reply } from "./fake-llm-server.ts"

const say = (text: string): Reply => ({ type: "message", text })
const call = (name: string, args: Record<string, unknown>): Reply => ({ type: "message", toolCalls: [{ name, arguments: JSON.stringify(args) }] })

const EMAIL = /[a-z]+\.[a-z]+\d+@example\.org/
const LOAN = /\bL\d{3}\b/

const texts = (messages: ReadonlyArray<FakeMessage>, role: "user" | "assistant") => messages.flatMap((m) => (m.role === role && m.text ? [m.text] : []))

/** The name of the call a tool result answers. */
const calledName = (messages: ReadonlyArray<FakeMessage>, toolCallId: string): string | undefined => {
  for (const m of messages) if (m.role === "assistant") for (const c of m.toolCalls) if (c.id === toolCallId) return c.name
  return undefined
}

/** Names of the agent's calls that returned without an error. */
const succeeded = (messages: ReadonlyArray<FakeMessage>): Map<string, string> => {
  const out = new Map<string, string>()
  for (const m of messages) {
    if (m.role !== "tool" || m.text.startsWith("Error")) continue
    const name = calledName(messages, m.toolCallId)
    if (name) out.set(name, m.text)
  }
  return out
}

const agentTurn = (c: FakeCall): Reply => {
  const last = c.messages.at(-1)
  const customer = texts(c.messages, "user").join("\n")
  const done = succeeded(c.messages)
  // The renewal: identify the member, renew the loan, tell the new due date.
  if (/renew/i.test(customer) && EMAIL.test(customer)) {
    if (!done.has("find_member_by_email")) return call("find_member_by_email", { email: customer.match(EMAIL)?.[0] })
    const loan = customer.match(LOAN)?.[0]
    if (loan && !done.has("renew_loan")) return call("renew_loan", { loan_id: loan })
    const renewed = done.get("renew_loan")
    if (renewed) return say(`Your loan is renewed. The new due date is ${(JSON.parse(renewed) as { due_date?: string }).due_date}.`)
  }
  if (last?.role === "tool") return say(`Result: ${last.text}`)
  const text = last?.role === "user" ? last.text : ""
  if (/app/i.test(text) && /card/i.test(text) && !/linked/i.test(text)) {
    return say("Please log in to the library app, then scan your library card with the phone camera, and tell me when it is done.")
  }
  if (/linked/i.test(text)) return say("Great, I am glad it works now.")
  return say("Could you tell me what you need, and your email address?")
}

const userTurn = (c: FakeCall): Reply => {
  const scenario = c.system
  const own = c.messages.filter((m) => m.role === "assistant")
  const last = c.messages.at(-1)
  const agentSaid = last?.role === "user" ? last.text : ""
  const email = scenario.match(EMAIL)?.[0] ?? "someone@example.org"
  if (/renew/i.test(scenario)) {
    if (own.length === 0) return say(`Hi, I would like to renew my loan ${scenario.match(LOAN)?.[0]}. My email is ${email}.`)
    return /renewed/i.test(agentSaid) ? say("Thank you! ###STOP###") : say("Is it done?")
  }
  if (/does not show your card/i.test(scenario)) {
    if (own.length === 0) return say(`Hello, my library app does not show my card. My email is ${email}.`)
    if (last?.role === "tool") {
      const name = calledName(c.messages, last.toolCallId)
      if (name === "log_in") return call("scan_library_card", {})
      return say("I logged in and scanned the card. It is linked now.")
    }
    if (/log in/i.test(agentSaid)) return call("log_in", {})
    return say("Thanks, bye! ###STOP###")
  }
  return own.length === 0 ? say("Hi.") : say("###STOP###")
}

/** Plays agent and user of the demo domain; anything else gets a polite stop. */
export const demoBrain: Brain = (c) => {
  if (c.system.includes("<scenario>")) return userTurn(c)
  if (c.system.includes("<instructions>")) return agentTurn(c)
  return say("###STOP###")
}
