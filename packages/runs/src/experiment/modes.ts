/**
 * Modes as run configuration: whether a domain can run a mode, and which tasks qualify under it.
 * What a mode means is the engine's (`modeTraits` in engine/src/mode.ts); this derives from it.
 * Everything here is checked before the first episode starts, so an unsupported combination
 * never costs a model call.
 */
import { type Domain, type Mode, modeTraits, type Task } from "@tau-sim/engine"
import { Schema } from "effect"

/** A domain (or policy variant) cannot run a mode; raised before anything runs. */
export class ModeNotSupportedError extends Schema.TaggedError<ModeNotSupportedError>()("ModeNotSupportedError", {
  domain: Schema.String,
  mode: Schema.String,
  policyVariant: Schema.String,
  reason: Schema.String,
}) {
  override get message(): string {
    const variant = this.policyVariant === "default" ? "" : ` (policy variant ${this.policyVariant})`
    return `domain ${this.domain}${variant} does not support mode ${this.mode}: ${this.reason}`
  }
}

/** Explicitly requested tasks that cannot run in a mode (a split is filtered instead, like the reference). */
export class TaskNotEligibleError extends Schema.TaggedError<TaskNotEligibleError>()("TaskNotEligibleError", {
  domain: Schema.String,
  mode: Schema.String,
  tasks: Schema.Array(Schema.Struct({ id: Schema.String, reason: Schema.String })),
}) {
  override get message(): string {
    return `${this.tasks.length} task(s) of ${this.domain} cannot run in mode ${this.mode}: ${this.tasks.map((t) => `${t.id} (${t.reason})`).join("; ")}`
  }
}

/** Policy variants that only exist for some domains (the published `telecom-workflow`). */
const variantOwners: Readonly<Record<string, string>> = { workflow: "telecom" }

/** Checks that `domain` loaded with `policyVariant` can run `mode`. */
export const validateMode = (domain: Domain, mode: Mode, policyVariant: string): ModeNotSupportedError | null => {
  const fail = (reason: string) => new ModeNotSupportedError({ domain: domain.name, mode, policyVariant, reason })
  const owner = variantOwners[policyVariant]
  if (owner !== undefined && owner !== domain.name) return fail(`the ${policyVariant} policy variant exists only for ${owner}`)
  const traits = modeTraits(mode)
  if (traits.solo) {
    if (!domain.supportsSolo)
      return fail("it has no solo (no-user) setup; only domains with solo policies and user tools the agent may call (mock, telecom) do")
    if (traits.policy && !domain.policy.solo) return fail(`it has no solo policy${policyVariant === "default" ? "" : ` for variant ${policyVariant}`}`)
  }
  if (traits.oraclePlan && !domain.tasks.some((t) => goldActions(t).length > 0)) return fail("none of its tasks has gold actions to reveal as a plan")
  return null
}

const goldActions = (task: Task) => task.evaluation_criteria?.actions ?? []

/**
 * Why a task cannot run in a mode, or null. Mirrors the reference's task filters: the oracle-plan
 * agent needs at least one gold action (§6.3); a solo task needs an initial state whose history has
 * no user messages and no assistant text, or else a ticket and at least one gold action (§6.4).
 */
export const taskIneligibility = (task: Task, mode: Mode): string | null => {
  const traits = modeTraits(mode)
  if (traits.oraclePlan && goldActions(task).length === 0) return "no gold actions to give as a plan"
  if (traits.solo) {
    const state = task.initial_state
    if (state) {
      const history = state.message_history ?? []
      const conversational = history.some((m) => m.role === "user" || (m.role === "assistant" && (m.content ?? null) !== null && m.content !== ""))
      if (conversational) return "its message history has user messages or assistant text"
    } else {
      if (!task.ticket) return "no ticket for a solo agent"
      if (goldActions(task).length === 0) return "no gold actions"
    }
  }
  return null
}

export interface EligibleTasks {
  readonly tasks: ReadonlyArray<Task>
  readonly excluded: ReadonlyArray<{ readonly id: string; readonly reason: string }>
}

/** Splits the selected tasks into those the mode can run and those it cannot. */
export const eligibleTasks = (tasks: ReadonlyArray<Task>, mode: Mode): EligibleTasks => {
  const kept: Task[] = []
  const excluded: Array<{ id: string; reason: string }> = []
  for (const task of tasks) {
    const reason = taskIneligibility(task, mode)
    if (reason === null) kept.push(task)
    else excluded.push({ id: task.id, reason })
  }
  return { tasks: kept, excluded }
}
