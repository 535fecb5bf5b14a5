/**
 * Checking a domain from its own tests, without a store or a model: call a tool on a world, and
 * play a task's gold actions to see that its assertions then hold.
 */
import type { Domain, Requestor } from "../domain.ts"
import { executeToolCall, runHelper } from "../execute.ts"
import { applyInitialState, seededRandom } from "../initial-state.ts"
import type { PyValue } from "../py/value.ts"
import type { Task } from "../task.ts"
import type { Node } from "../world/tree.ts"
import { describeCall } from "./calls.ts"

export interface ToolResult {
  readonly output: string
  readonly error: boolean
  /** The world after the call. */
  readonly world: Node
}

/** Calls one tool (the agent's, or the user's with `requestor: "user"`) on `world` (default: the domain's initial world). */
export const callTool = (
  domain: Domain,
  name: string,
  args: Readonly<Record<string, PyValue>> = {},
  options: { readonly requestor?: Requestor; readonly world?: Node } = {},
): ToolResult => {
  const outcome = executeToolCall(
    domain,
    options.world ?? domain.initialWorld,
    { id: "call", name, arguments: args, requestor: options.requestor ?? "assistant" },
    { random: seededRandom(0) },
  )
  return { output: outcome.output, error: outcome.error, world: outcome.world }
}

export interface GoldRun {
  readonly world: Node
  /** `action_id: Error: ...` for each gold action that failed. */
  readonly failedActions: ReadonlyArray<string>
  /** Each env assertion that does not hold after the gold actions, as a sentence. */
  readonly failedAssertions: ReadonlyArray<string>
}

/** Applies the task's initial state, performs its gold actions in order, and checks its env assertions. */
export const playGold = (domain: Domain, task: Task): GoldRun => {
  let world = applyInitialState(domain, task).world
  const failedActions: string[] = []
  for (const [i, a] of (task.evaluation_criteria?.actions ?? []).entries()) {
    const outcome = executeToolCall(
      domain,
      world,
      { id: a.action_id, name: a.name, arguments: a.arguments as Readonly<Record<string, PyValue>>, requestor: a.requestor ?? "assistant" },
      { random: seededRandom(i) },
    )
    if (outcome.error) failedActions.push(`${a.action_id}: ${outcome.output}`)
    world = outcome.world
  }
  const failedAssertions: string[] = []
  for (const a of task.evaluation_criteria?.env_assertions ?? []) {
    const side = a.env_type === "user" ? "user" : "agent"
    const args = a.arguments as Readonly<Record<string, PyValue>>
    const result = runHelper(domain, world, side, a.func_name, args, { random: seededRandom(0) }).result
    if (result !== (a.assert_value ?? true)) failedAssertions.push(`${describeCall(a.func_name, args)} is ${JSON.stringify(result)}`)
  }
  return { world, failedActions, failedAssertions }
}
