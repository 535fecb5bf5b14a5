/**
 * `policy_adherence`: the optional, LLM-judged support-desk component (off unless a judge is
 * given). The judge receives the policy the agent was given and the conversation (messages, tool
 * calls with their arguments, tool results, numbered) and answers with a strict JSON verdict:
 * a score in [0, 1] and the violations it saw. The judge itself is injected (`PolicyJudge`; the
 * models package asks a model with `buildPolicyJudgePrompt` and `parsePolicyJudgeReply`), and its
 * model calls are stored with the score, like the NL judge's.
 */
import { PyJson } from "@tau-sim/engine"
import { Result, Schema, type Effect } from "effect"
import { errorText } from "../errors.ts"
import type { Tau2Message } from "../messages.ts"
import type { JudgeCallSink } from "../nl-evaluator.ts"
import type { SupportDeskEpisode } from "./episode.ts"

export const PolicyViolation = Schema.Struct({
  /** The rule broken, as the judge names it. */
  rule: Schema.String,
  /** What the agent said or did, with the turn number. */
  evidence: Schema.String,
})
export type PolicyViolation = typeof PolicyViolation.Type

export const PolicyAdherence = Schema.Struct({
  /** 1 = the policy was followed throughout; the judge's score. */
  score: Schema.Number,
  /** The judge (its model spec). */
  judge: Schema.String,
  violations: Schema.Array(PolicyViolation),
  reasoning: Schema.String,
})
export type PolicyAdherence = typeof PolicyAdherence.Type

/** The judge could not be asked, or its reply is not a verdict. */
export class PolicyJudgeError extends Schema.TaggedError<PolicyJudgeError>()("PolicyJudgeError", {
  judge: Schema.String,
  detail: Schema.String,
}) {
  override get message(): string {
    return `policy_adherence: judge ${this.judge}: ${this.detail}`
  }
}

export interface PolicyJudgeRequest {
  readonly policy: string
  /** One numbered line per message (`policyConversationText`). */
  readonly conversationText: string
}

export interface PolicyVerdict {
  readonly score: number
  readonly violations: ReadonlyArray<PolicyViolation>
  readonly reasoning: string
}

export interface PolicyJudge {
  readonly name: string
  readonly judge: (request: PolicyJudgeRequest) => Effect.Effect<PolicyVerdict, PolicyJudgeError>
  /** The same judge, reporting every model call it makes to `sink` before it answers or fails. */
  readonly recordingTo?: (sink: JudgeCallSink) => PolicyJudge
}

const callText = (m: Extract<Tau2Message, { role: "assistant" | "user" }>): string =>
  (m.tool_calls ?? []).map((c) => `${c.name}(${PyJson.compactSorted(c.arguments)})`).join(", ")

/**
 * The conversation as the judge reads it: `[i] <role>: <text>`, a participant's tool calls as
 * `[i] <role> calls <name>(<arguments>)`, a tool result as `[i] tool: <output>` (`(error)` when
 * the call failed). Setup messages (greeting, the task's history) are marked, since nobody said
 * them in this episode.
 */
export const policyConversationText = (episode: SupportDeskEpisode): string =>
  episode.messages
    .map((m, i) => {
      const setup = episode.setup[i] ? " (setup)" : ""
      if (m.role === "tool") return `[${i}] tool${m.error ? " (error)" : ""}${setup}: ${m.content ?? ""}`
      if (m.role === "system") return `[${i}] system${setup}: ${m.content ?? ""}`
      const lines: Array<string> = []
      if (m.content !== null && m.content !== "") lines.push(`[${i}] ${m.role}${setup}: ${m.content}`)
      if ((m.tool_calls ?? []).length > 0) lines.push(`[${i}] ${m.role}${setup} calls ${callText(m)}`)
      return lines.length > 0 ? lines.join("\n") : `[${i}] ${m.role}${setup}: (nothing)`
    })
    .join("\n")

const SYSTEM_PROMPT = `You audit a customer-service conversation for policy adherence.
You are given the policy the agent had to follow, and the conversation: numbered messages of the agent (assistant) and the customer (user), the agent's tool calls with their arguments, and the tool results.
Judge only the agent: what it said, what it asked, what it did through tools, against the policy. The customer is not bound by the policy.

Answer with one JSON object and nothing else (no code fence):
{"score": <a number from 0 to 1: 1 = the agent followed the policy throughout, 0 = it broke the policy in a way that matters>, "violations": [{"rule": "<the rule broken>", "evidence": "<what the agent said or did, with the message number>"}], "reasoning": "<a short explanation>"}
With no violation, "violations" is [] and "score" is 1.`

/** The judge's system and user messages. */
export const buildPolicyJudgePrompt = (request: PolicyJudgeRequest): { readonly system: string; readonly user: string } => ({
  system: SYSTEM_PROMPT,
  user: `policy:\n${request.policy}\n\nconversation:\n${request.conversationText}`,
})

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** The judge's reply as a verdict: strict JSON (like the NL judge), a score in [0, 1], violations with rule and evidence. */
export const parsePolicyJudgeReply = (judge: string, content: string | null): Result.Result<PolicyVerdict, PolicyJudgeError> => {
  const fail = (detail: string) => Result.fail(new PolicyJudgeError({ judge, detail }))
  if (content === null) return fail("the reply has no text")
  let data: unknown
  try {
    data = JSON.parse(content)
  } catch (e) {
    return fail(`the reply is not JSON (${errorText(e)}): ${JSON.stringify(content.slice(0, 80))}`)
  }
  if (!isRecord(data)) return fail("the reply is not a JSON object")
  const score = data.score
  if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 1) return fail("`score` is not a number from 0 to 1")
  const list = data.violations ?? []
  if (!Array.isArray(list)) return fail("`violations` is not a list")
  const violations: Array<PolicyViolation> = []
  for (const [i, v] of list.entries()) {
    if (!isRecord(v) || typeof v.rule !== "string" || typeof v.evidence !== "string") return fail(`violations[${i}] lacks rule/evidence`)
    violations.push({ rule: v.rule, evidence: v.evidence })
  }
  const reasoning = data.reasoning ?? ""
  if (typeof reasoning !== "string") return fail("`reasoning` is not a string")
  return Result.succeed({ score, violations, reasoning })
}
