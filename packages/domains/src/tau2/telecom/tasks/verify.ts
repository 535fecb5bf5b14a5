/**
 * The reference generator's self-check of a task (`TaskManager.verify_task`): the fresh scenario is
 * fixed; after the initial state it is not; it stays broken until the last gold action (run one by
 * one with sync) and is fixed after it (or stays broken when the task is unfixable); finally every
 * env assertion of the task holds.
 */
import { applyInitialState, type Domain, executeToolCall, type Node, type PyValue, runHelper, seededRandom, type Task } from "@tau-sim/engine"
import { parseTelecomTaskId } from "./generate.ts"
import type { EnvCall } from "./scenario.ts"

const holds = (
  domain: Domain,
  world: Node,
  a: { env_type: string; func_name: string; arguments: Readonly<Record<string, PyValue>> },
  expected = true,
): boolean => {
  const side = a.env_type === "user" ? "user" : "agent"
  return runHelper(domain, world, side, a.func_name, a.arguments, { random: seededRandom(0) }).result === expected
}

/** Problems found (empty when the task passes the reference's verification). */
export const verifyTelecomTask = (domain: Domain, task: Task): string[] => {
  const { intent } = parseTelecomTaskId(task.id)
  const fixed = (world: Node) => intent.assertions(true).every((a: EnvCall) => holds(domain, world, a))
  const problems: string[] = []
  if (!fixed(domain.initialWorld)) problems.push("the fresh scenario is already broken")
  let world = applyInitialState(domain, task).world
  const actions = task.evaluation_criteria?.actions ?? []
  const fixable = !actions.some((a) => a.name === "transfer_to_human_agents")
  actions.forEach((action, i) => {
    if (fixed(world)) problems.push(`fixed after ${i} of ${actions.length} actions`)
    const outcome = executeToolCall(
      domain,
      world,
      { id: action.action_id, name: action.name, arguments: action.arguments as Readonly<Record<string, PyValue>>, requestor: action.requestor ?? "assistant" },
      { random: seededRandom(i) },
    )
    if (outcome.error) problems.push(`action ${action.action_id} failed: ${outcome.output}`)
    world = outcome.world
  })
  if (fixable && !fixed(world)) problems.push("not fixed after all actions")
  if (!fixable && fixed(world)) problems.push("fixed although the task is unfixable")
  for (const a of task.evaluation_criteria?.env_assertions ?? []) {
    if (!holds(domain, world, a as EnvCall, a.assert_value ?? true)) problems.push(`env assertion ${a.func_name} does not hold`)
  }
  return problems
}
