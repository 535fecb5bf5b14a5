/**
 * Action evaluator (semantics §5.3): each expected action independently must be matched by some
 * tool call anywhere in the trajectory (assistant or user), same name and equal arguments
 * restricted to `compare_args` (or to the call's own argument names when absent). Requestor and
 * order are not compared; a call may satisfy several actions.
 */
import type { Action, Domain, PyObject, Task } from "@tau-sim/engine"
import { pythonEquals } from "./equality.ts"
import { type Tau2Message, type Tau2ToolCall, toolCallsOf } from "./messages.ts"
import { type ActionCheck, dumpAction, type EvaluatorInfo, type RewardBreakdown } from "./reward-info.ts"
import { toolRegistry } from "./tool-registry.ts"

export interface ActionEvaluation {
  readonly reward: number
  readonly action_checks: ReadonlyArray<ActionCheck> | null
  readonly reward_breakdown: RewardBreakdown
  readonly info: EvaluatorInfo
}

const restrict = (args: PyObject, keys: ReadonlySet<string>): Map<string, PyObject[string]> => {
  const out = new Map<string, PyObject[string]>()
  for (const [k, v] of Object.entries(args)) if (keys.has(k)) out.set(k, v)
  return out
}

/** Reference `Action.compare_with_tool_call`. */
export const actionMatchesCall = (action: Action, call: Tau2ToolCall): boolean => {
  if (action.name !== call.name) return false
  const keys = new Set(action.compare_args ?? Object.keys(call.arguments))
  if (keys.size === 0) return true
  const predicted = restrict(call.arguments, keys)
  const expected = restrict(action.arguments as PyObject, keys)
  if (predicted.size !== expected.size) return false
  for (const [k, v] of predicted) if (!expected.has(k) || !pythonEquals(v, expected.get(k))) return false
  return true
}

export const evaluateActions = (domain: Domain, task: Task, messages: ReadonlyArray<Tau2Message>): ActionEvaluation => {
  const actions = task.evaluation_criteria?.actions
  if (!actions || actions.length === 0) return { reward: 1, action_checks: null, reward_breakdown: { ACTION: 1 }, info: { note: "No actions to evaluate" } }
  const calls = toolCallsOf(messages)
  const registry = toolRegistry(domain)
  const checks: ActionCheck[] = actions.map((action) => {
    const matched = calls.some((call) => actionMatchesCall(action, call))
    return { action: dumpAction(action), action_match: matched, action_reward: matched ? 1 : 0, tool_type: registry.kind(action.name) }
  })
  const reward = checks.every((c) => c.action_match) ? 1 : 0
  return { reward, action_checks: checks, reward_breakdown: { ACTION: reward }, info: null }
}
