/**
 * Compositional task generation (τ²'s telecom generator, for any domain; semantics §4.4.6).
 *
 * A *subtask* is atomic: initialisation calls that break the world, the gold tool calls that fix
 * it (its solution; `null` when no tool can), and assertions that hold once it is fixed. Subtasks
 * come in *groups* of mutually exclusive ones; a composite task takes at most one subtask from
 * each of several groups of one *family*. Composing runs the family's setup and every subtask's
 * initialisation (sorted by name) on a fresh world, then reads the gold calls and assertions from
 * the broken world, so their arguments can depend on it.
 */
import type { Domain } from "../domain.ts"
import type { PyValue } from "../py/value.ts"
import type { RewardType, Task } from "../task.ts"
import type { EnvCall, GoldCall } from "./calls.ts"
import { GenerationEnv } from "./env.ts"
import { TaskGenerationError } from "./errors.ts"

/**
 * A call, or a function of the world that returns calls (evaluated when the task is composed).
 * Written as a method so that a family over a richer world (telecom's) is still a `TaskFamily`.
 */
export type Step<T, E extends GenerationEnv = GenerationEnv> = T | { calls(env: E): ReadonlyArray<T> }["calls"]

export interface Subtask<E extends GenerationEnv = GenerationEnv> {
  /** Unique within the family; task ids are made of subtask names. */
  readonly name: string
  readonly description?: string
  /** What the user asks for, in the user's instructions of a generated task (default family layout). */
  readonly request?: string
  /** Breaks the world: initialisation calls, and sanity `assertion`s that must hold afterwards (run, not stored). */
  readonly init: ReadonlyArray<Step<EnvCall, E>>
  /** The gold tool calls that fix it, computed on the broken world; `null`: no tool can (the agent should transfer). */
  readonly solution: ReadonlyArray<Step<GoldCall, E>> | null
  /** Hold once it is fixed (stored as the task's `env_assertions`); at least one must fail after `init`. */
  readonly assertions?: ReadonlyArray<Step<EnvCall, E>>
}

/** Mutually exclusive subtasks: a composition takes at most one of them. */
export interface SubtaskGroup<E extends GenerationEnv = GenerationEnv> {
  readonly name: string
  readonly subtasks: ReadonlyArray<Subtask<E>>
}

/** What a composed task is made of, before it is laid out as a τ² task. */
export interface TaskParts<E extends GenerationEnv = GenerationEnv> {
  readonly id: string
  readonly family: TaskFamily<E>
  /** Sorted by name, as in the id. */
  readonly subtasks: ReadonlyArray<Subtask<E>>
  readonly persona: string
  readonly personaText: string | null
  /** The broken world. */
  readonly env: E
  readonly solvable: boolean
  readonly initializationActions: ReadonlyArray<PyValue>
  readonly actions: ReadonlyArray<PyValue>
  readonly envAssertions: ReadonlyArray<PyValue>
  readonly rewardBasis: ReadonlyArray<RewardType>
}

export interface TaskFamily<E extends GenerationEnv = GenerationEnv> {
  /** Unique within the domain; the `[family]` of task ids. */
  readonly name: string
  readonly groups: ReadonlyArray<SubtaskGroup<E>>
  /** Persona name → persona text (null: none). Default `{ None: null }`. */
  readonly personas?: Readonly<Record<string, string | null>>
  /** Initialisation calls before any subtask's (e.g. who the user is); stored with the task. */
  readonly setup?: ReadonlyArray<Step<EnvCall, E>>
  /** Why a composition is not a task of this family (undefined: it is), beyond "one subtask per group". */
  accepts?(subtasks: ReadonlyArray<Subtask<E>>): string | undefined
  /**
   * Family-wide assertions: with `solvable` true, what "fixed" means for every task of the family
   * (checked by the validity proof besides the subtasks' own); with false, what an unsolvable task
   * ends with. Default: none (the subtasks' assertions say what fixed means).
   */
  assertions?(solvable: boolean, env: E): ReadonlyArray<EnvCall>
  /** The gold call of an unsolvable task. Default: `transfer_to_human_agents` with the summary "I cannot fix the issue.". */
  readonly unsolvable?: GoldCall
  /** Default: solvable `[DB, ENV_ASSERTION]`, unsolvable `[DB, ENV_ASSERTION, ACTION]`. */
  rewardBasis?(solvable: boolean): ReadonlyArray<RewardType>
  /** The user's instructions of the default layout. Default: the subtasks' requests, one sentence each. */
  instructions?(parts: TaskParts<E>): string
  /** Lays the task out (its key order is the file's). Default: `defaultTaskLayout`. */
  layout?(parts: TaskParts<E>): PyValue
  /** The world a composition is worked out in. Default: `new GenerationEnv(domain)`. */
  env?(domain: Domain): E
}

export const DEFAULT_PERSONAS: Readonly<Record<string, string | null>> = { None: null }
export const personasOf = (family: TaskFamily): Readonly<Record<string, string | null>> => family.personas ?? DEFAULT_PERSONAS

const TRANSFER: GoldCall = { requestor: "assistant", name: "transfer_to_human_agents", arguments: { summary: "I cannot fix the issue." }, compare_args: [] }

/** `[family]a|b[PERSONA:p]`, τ²'s generated-task id (subtask names sorted). */
export const composedTaskId = (family: string, subtaskNames: ReadonlyArray<string>, persona: string): string =>
  `[${family}]${[...subtaskNames].sort().join("|")}[PERSONA:${persona}]`

const expand = <T, E extends GenerationEnv>(steps: ReadonlyArray<Step<T, E>>, env: E): T[] =>
  steps.flatMap((s) => (typeof s === "function" ? [...(s as (env: E) => ReadonlyArray<T>)(env)] : [s as T]))

const envFunctionCall = (c: EnvCall): PyValue => ({ env_type: c.env_type, func_name: c.func_name, arguments: { ...c.arguments } })
export const envAssertionOf = (c: EnvCall): PyValue => ({
  env_type: c.env_type,
  func_name: c.func_name,
  arguments: { ...c.arguments },
  assert_value: true,
  message: c.assertion?.message ?? null,
})

/** The layout of tasks from the SDK's default families (telecom has its own, τ²'s). */
export const defaultTaskLayout = <E extends GenerationEnv>(parts: TaskParts<E>): PyValue => ({
  id: parts.id,
  description: {
    purpose: parts.subtasks.map((s) => s.description ?? s.name).join("; "),
    relevant_policies: null,
    notes: null,
  },
  user_scenario: {
    persona: parts.personaText,
    instructions: parts.family.instructions ? parts.family.instructions(parts) : defaultInstructions(parts as TaskParts),
  },
  initial_state: { initialization_data: null, initialization_actions: [...parts.initializationActions], message_history: null },
  evaluation_criteria: {
    actions: [...parts.actions],
    env_assertions: [...parts.envAssertions],
    communicate_info: null,
    nl_assertions: null,
    reward_basis: [...parts.rewardBasis],
  },
})

const defaultInstructions = (parts: TaskParts): string => parts.subtasks.map((s) => s.request ?? s.description ?? `Get this fixed: ${s.name}.`).join(" ")

/**
 * Composes the task of `subtasks` (at most one per group; sorted by name here) with `persona`.
 * Throws `TaskGenerationError` when an initialisation call or sanity check fails.
 */
export const composeTask = <E extends GenerationEnv>(domain: Domain, family: TaskFamily<E>, subtasks: ReadonlyArray<Subtask<E>>, persona: string): Task => {
  const sorted = [...subtasks].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const personas = personasOf(family)
  if (!Object.hasOwn(personas, persona))
    throw new TaskGenerationError({ message: `unknown persona "${persona}" of ${family.name}; known: ${Object.keys(personas).join(", ")}` })
  const env = family.env ? family.env(domain) : (new GenerationEnv(domain) as E)
  const init: EnvCall[] = []
  const breakWith = (steps: ReadonlyArray<Step<EnvCall, E>>) => {
    // Each step sees the world the steps before it left (a later call's arguments may depend on it).
    for (const step of steps) {
      const calls = expand([step], env)
      env.runAll(calls)
      init.push(...calls.filter((c) => !c.assertion))
    }
  }
  breakWith(family.setup ?? [])
  for (const s of sorted) breakWith(s.init)

  // Solutions are read from the broken world; an unsolvable subtask ends the list.
  const fixes: GoldCall[] = []
  let solvable = true
  for (const s of sorted) {
    if (s.solution === null) {
      solvable = false
      break
    }
    fixes.push(...expand(s.solution, env))
  }
  const goldCalls = solvable ? fixes : [family.unsolvable ?? TRANSFER]
  const actions: PyValue[] = goldCalls.map((f, i) => ({
    action_id: solvable ? `${f.name}_${i}` : f.name,
    requestor: f.requestor,
    name: f.name,
    arguments: { ...f.arguments },
    info: null,
    compare_args: f.compare_args === undefined || f.compare_args === null ? null : [...f.compare_args],
  }))
  const assertions = [...(family.assertions?.(solvable, env) ?? [])]
  if (solvable) for (const s of sorted) assertions.push(...expand(s.assertions ?? [], env))
  const rewardBasis = family.rewardBasis?.(solvable) ?? (solvable ? ["DB", "ENV_ASSERTION"] : ["DB", "ENV_ASSERTION", "ACTION"])
  const parts: TaskParts<E> = {
    id: composedTaskId(
      family.name,
      sorted.map((s) => s.name),
      persona,
    ),
    family,
    subtasks: sorted,
    persona,
    personaText: personas[persona] ?? null,
    env,
    solvable,
    initializationActions: init.map(envFunctionCall),
    actions,
    envAssertions: assertions.map(envAssertionOf),
    rewardBasis,
  }
  return (family.layout ? family.layout(parts) : defaultTaskLayout(parts)) as unknown as Task
}

/** The subtask named `name` of a family, with the index of its group. */
export const findSubtask = <E extends GenerationEnv>(family: TaskFamily<E>, name: string): { subtask: Subtask<E>; group: number } | undefined => {
  for (let g = 0; g < family.groups.length; g++) {
    const subtask = family.groups[g].subtasks.find((s) => s.name === name)
    if (subtask) return { subtask, group: g }
  }
  return undefined
}

/** The subtasks named, checked: known to the family, one per group, accepted by the family. Throws `TaskGenerationError`. */
export const subtasksByName = <E extends GenerationEnv>(family: TaskFamily<E>, names: ReadonlyArray<string>): ReadonlyArray<Subtask<E>> => {
  const used = new Map<number, string>()
  const subtasks = names.map((name) => {
    const found = findSubtask(family, name)
    if (!found) throw new TaskGenerationError({ message: `"${name}" is not a subtask of ${family.name}` })
    const other = used.get(found.group)
    if (other !== undefined)
      throw new TaskGenerationError({
        message: `${other} and ${name} are both in group ${family.groups[found.group].name} of ${family.name} (at most one per group)`,
      })
    used.set(found.group, name)
    return found.subtask
  })
  const rejected = family.accepts?.(subtasks)
  if (rejected) throw new TaskGenerationError({ message: `${names.join("|")} is not a task of ${family.name}: ${rejected}` })
  return subtasks
}
