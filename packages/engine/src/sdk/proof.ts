/**
 * The validity proof of a composed task (τ²'s `TaskManager.verify_task`, for any domain): its
 * assertions fail after the initialisation, no world-changing gold action but the last fixes it,
 * every gold action runs without error, and after the last one it is fixed (an unsolvable task
 * stays broken), and then every env assertion of the task holds.
 *
 * "Fixed" is the family's own success assertions when it has them (telecom), else the task's env
 * assertions; so an unsolvable task (no env assertions: it ends broken) needs family-wide ones.
 * Generation proves every task; loading a generated task file proves them again.
 */
import { type Domain, findTool, mutates } from "../domain.ts"
import { executeToolCall, runHelper } from "../execute.ts"
import { applyInitialState, seededRandom } from "../initial-state.ts"
import type { PyValue } from "../py/value.ts"
import type { Task } from "../task.ts"
import type { Node } from "../world/tree.ts"
import { describeCall, type EnvCall } from "./calls.ts"
import type { GenerationEnv } from "./env.ts"
import type { TaskFamily } from "./family.ts"

interface Check {
  readonly env_type: string
  readonly func_name: string
  readonly arguments: Readonly<Record<string, PyValue>>
  readonly assert_value?: boolean | undefined
}

/** Whether an assertion gives what it expects; an assertion that throws does not hold (its error is said). */
const check = (domain: Domain, world: Node, a: Check): { holds: boolean; why: string } => {
  const side = a.env_type === "user" ? "user" : "agent"
  const expected = a.assert_value ?? true
  const name = describeCall(a.func_name, a.arguments)
  try {
    const result = runHelper(domain, world, side, a.func_name, a.arguments, { random: seededRandom(0) }).result
    return { holds: result === expected, why: `${name} is ${JSON.stringify(result)}, expected ${expected}` }
  } catch (e) {
    return { holds: false, why: `${name} raised: ${e instanceof Error ? e.message : String(e)}` }
  }
}

export interface Proof {
  /** Empty when the task is valid; each a sentence. */
  readonly problems: ReadonlyArray<string>
  /** The success assertions that fail after the initialisation (what the task breaks). */
  readonly brokenAfterInit: ReadonlyArray<string>
}

/**
 * Why nothing says when a task is fixed. A subtask's own assertions are stored only with a
 * solvable task (an unsolvable one ends broken, so they would fail): an unsolvable task is
 * checked by its family's assertions, and a family without them cannot have one.
 */
const noAssertions = (solvable: boolean, unsolvableCall: string, family: { readonly name: string; readonly assertions?: unknown } | undefined): string => {
  if (solvable) return "it has no assertions: nothing says when it is fixed"
  const which = family ? `family ${family.name}` : "the task"
  return family?.assertions
    ? `it is unsolvable (gold action ${unsolvableCall}) and ${which}'s assertions(true, env) give none: nothing says what fixed would be`
    : `it is unsolvable (a subtask's solution is null: gold action ${unsolvableCall}) and ${which} has no family-wide assertions, ` +
        "the only ones an unsolvable task is checked by (it ends broken, so its subtasks' assertions are not stored)"
}

export const proveTask = <E extends GenerationEnv>(domain: Domain, task: Task, family?: TaskFamily<E>, env?: E): Proof => {
  const criteria = task.evaluation_criteria
  const taskAssertions = (criteria?.env_assertions ?? []) as ReadonlyArray<Check>
  const success: ReadonlyArray<Check> = family?.assertions && env ? family.assertions(true, env) : taskAssertions
  const failing = (world: Node) => success.map((a) => check(domain, world, a)).filter((c) => !c.holds)
  const fixed = (world: Node) => failing(world).length === 0
  const problems: string[] = []
  if (family?.assertions && !fixed(domain.initialWorld)) problems.push("the fresh scenario is already broken")
  const actions = criteria?.actions ?? []
  const unsolvableCall = family?.unsolvable?.name ?? "transfer_to_human_agents"
  const solvable = !actions.some((a) => a.name === unsolvableCall)
  if (success.length === 0) problems.push(noAssertions(solvable, unsolvableCall, family))
  let world: Node
  try {
    world = applyInitialState(domain, task).world
  } catch (e) {
    return { problems: [...problems, `its initial state cannot be applied: ${e instanceof Error ? e.message : String(e)}`], brokenAfterInit: [] }
  }
  const broken = failing(world).map((c) => c.why)
  if (success.length > 0 && broken.length === 0) problems.push("its assertions already hold after the initialisation: it breaks nothing")
  actions.forEach((action, i) => {
    const requestor = action.requestor ?? "assistant"
    const tool = findTool(requestor === "user" ? domain.userToolkit : domain.agentToolkit, action.name)
    // A read at the end of a solution is harmless; a write after the world is fixed is not needed.
    if (tool && mutates(tool) && fixed(world)) problems.push(`fixed after ${i} of ${actions.length} actions`)
    const outcome = executeToolCall(
      domain,
      world,
      { id: action.action_id, name: action.name, arguments: action.arguments as Readonly<Record<string, PyValue>>, requestor },
      { random: seededRandom(i) },
    )
    if (outcome.error) problems.push(`action ${action.action_id} failed: ${outcome.output}`)
    world = outcome.world
  })
  const left = failing(world)
  if (solvable && left.length > 0) problems.push(`not fixed after all actions: ${left.map((c) => c.why).join("; ")}`)
  if (!solvable && success.length > 0 && left.length === 0) problems.push("fixed although the task is unfixable")
  // When "fixed" is the task's own assertions, the line above said it all.
  for (const a of success === taskAssertions ? [] : taskAssertions) {
    const c = check(domain, world, a)
    if (!c.holds) problems.push(`env assertion ${a.func_name} does not hold: ${c.why}`)
  }
  return { problems, brokenAfterInit: broken }
}

export type { EnvCall }
