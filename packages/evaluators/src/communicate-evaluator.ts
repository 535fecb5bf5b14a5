/**
 * Communicate evaluator (semantics §5.4): every required string must occur, case-insensitively,
 * in some assistant message with text content once the commas of that message are removed (the
 * greeting and history messages included). Justification texts are the reference's.
 */
import type { Task } from "@tau-sim/engine"
import { hasTextContent, type Tau2Message } from "./messages.ts"
import type { CommunicateCheck, EvaluatorInfo, RewardBreakdown } from "./reward-info.ts"

export interface CommunicateEvaluation {
  readonly reward: number
  readonly communicate_checks: ReadonlyArray<CommunicateCheck> | null
  readonly reward_breakdown: RewardBreakdown
  readonly info: EvaluatorInfo
}

export const checkCommunicated = (messages: ReadonlyArray<Tau2Message>, required: ReadonlyArray<string>): CommunicateCheck[] => {
  const said = messages
    .filter((m) => m.role === "assistant" && hasTextContent(m))
    .map((m) => ({ content: m.content as string, searchable: (m.content as string).toLowerCase().replaceAll(",", "") }))
  return required.map((info) => {
    const needle = info.toLowerCase()
    const hit = said.find((m) => m.searchable.includes(needle))
    return hit
      ? { info, met: true, justification: `Information '${info}' communicated in the message:\n '${hit.content}'` }
      : { info, met: false, justification: `Information '${info}' not communicated.` }
  })
}

export const evaluateCommunicate = (task: Task, messages: ReadonlyArray<Tau2Message>): CommunicateEvaluation => {
  const required = task.evaluation_criteria?.communicate_info
  if (!required || required.length === 0)
    return { reward: 1, communicate_checks: null, reward_breakdown: { COMMUNICATE: 1 }, info: { note: "No communicate_info to evaluate" } }
  const checks = checkCommunicated(messages, required)
  const reward = checks.every((c) => c.met) ? 1 : 0
  return { reward, communicate_checks: checks, reward_breakdown: { COMMUNICATE: reward }, info: null }
}
