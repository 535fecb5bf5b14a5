/**
 * Building a telecom task from its id, as the reference's task generator does (`TaskManager.
 * create_task`, semantics §4.4.6). An id `[intent]name1|name2|…[PERSONA:p]` names the composed
 * subtasks (sorted by name) and the persona; the generator breaks a fresh scenario with the
 * subtasks' initialisation calls, in that order, and derives the gold fix, the env assertions and
 * the reward basis. The split `full` lists 2285 such ids while the original `tasks_full.json`
 * is not shipped; this rebuilds any of them.
 */
import type { Domain, PyValue, Task } from "@tau-sim/engine"
import { truthy } from "@tau-sim/engine"
import { INTENTS, type Intent, type Subtask } from "./catalog.ts"
import { type EnvCall, type FixCall, ScenarioEnv, TaskGenerationError } from "./scenario.ts"
import { PERSONAS } from "./texts.ts"

export { TaskGenerationError } from "./scenario.ts"

const ID = /^\[([a-z_]+)\](.+)\[PERSONA:([A-Za-z]+)\]$/

export interface ParsedTaskId {
  readonly intent: Intent
  readonly subtasks: ReadonlyArray<Subtask>
  readonly persona: keyof typeof PERSONAS
}

/** Parses and validates a generated-task id (known intent, persona and subtasks; one per set). */
export const parseTelecomTaskId = (id: string): ParsedTaskId => {
  const m = ID.exec(id)
  if (!m) throw new TaskGenerationError(`${JSON.stringify(id)} is not a telecom task id of the form [intent]issue|issue…[PERSONA:persona]`)
  const [, intentName, body, persona] = m
  const intent = Object.hasOwn(INTENTS, intentName) ? INTENTS[intentName as Intent["name"]] : undefined
  if (!intent) throw new TaskGenerationError(`unknown telecom intent "${intentName}" in ${id}; known: ${Object.keys(INTENTS).join(", ")}`)
  if (!Object.hasOwn(PERSONAS, persona)) throw new TaskGenerationError(`unknown persona "${persona}" in ${id}; known: ${Object.keys(PERSONAS).join(", ")}`)
  const names = body.split("|")
  const sorted = [...names].sort()
  if (names.some((n, i) => n !== sorted[i])) throw new TaskGenerationError(`the issues of ${id} are not sorted by name`)
  const usedSets = new Set<number>()
  const subtasks = names.map((name) => {
    const setIndex = intent.selectionSets.findIndex((set) => set.some((t) => t.name === name))
    if (setIndex < 0) throw new TaskGenerationError(`"${name}" is not an issue of intent ${intent.name} (in ${id})`)
    if (usedSets.has(setIndex)) throw new TaskGenerationError(`${id} takes two issues from one selection set (${name})`)
    usedSets.add(setIndex)
    return intent.selectionSets[setIndex].find((t) => t.name === name) as Subtask
  })
  if (!intent.requiredSets.some((i) => usedSets.has(i)))
    throw new TaskGenerationError(`${id} has no ${intent.name.replaceAll("_", " ")} proper (the reference's task validator rejects it)`)
  return { intent, subtasks, persona: persona as keyof typeof PERSONAS }
}

const envFunctionCall = (c: EnvCall): PyValue => ({ env_type: c.env_type, func_name: c.func_name, arguments: { ...c.arguments } })
const envAssertion = (c: EnvCall): PyValue => ({
  env_type: c.env_type,
  func_name: c.func_name,
  arguments: { ...c.arguments },
  assert_value: true,
  message: c.assertion?.message ?? null,
})

/** The task with id `id`, generated against the initial world of `domain` (the telecom domain). */
export const telecomTaskFromId = (id: string, domain: Domain): Task => {
  const { intent, subtasks, persona } = parseTelecomTaskId(id)
  const env = new ScenarioEnv(domain)

  const setSurrounding = [{ env_type: "user", func_name: "set_user_info", arguments: { ...intent.user } } satisfies EnvCall]
  env.runAll(setSurrounding)
  const initActions: EnvCall[] = [...setSurrounding]
  for (const step of subtasks.flatMap((t) => t.init)) {
    const calls = step(env)
    env.runAll(calls)
    initActions.push(...calls.filter((c) => !c.assertion))
  }

  // Fixes are computed on the broken scenario; an unfixable issue stops the list.
  const fixes: FixCall[] = []
  let expectedFailure = false
  for (const step of subtasks.flatMap((t) => t.fix)) {
    if (step === null) {
      expectedFailure = true
      break
    }
    fixes.push(...step(env))
  }
  const actions: PyValue[] = expectedFailure
    ? [
        {
          action_id: "transfer_to_human_agents",
          requestor: "assistant",
          name: "transfer_to_human_agents",
          arguments: { summary: "I cannot fix the issue." },
          info: null,
          compare_args: [],
        },
      ]
    : fixes.map((f, i) => ({
        action_id: `${f.name}_${i}`,
        requestor: f.requestor,
        name: f.name,
        arguments: { ...f.arguments },
        info: null,
        compare_args: null,
      }))
  const assertions = intent.assertions(!expectedFailure)
  if (!expectedFailure) for (const extra of subtasks.flatMap((t) => t.extraAssertions ?? [])) assertions.push(...extra(env))

  const surroundings = env.surroundings
  const userInfo = {
    name: String(surroundings.name),
    phone_number: String(surroundings.phone_number),
    location: truthy(surroundings.is_abroad) ? "abroad in France" : "at home in the United States",
  }
  const task = {
    id,
    description: { purpose: intent.texts.purpose, relevant_policies: null, notes: null },
    user_scenario: {
      persona: PERSONAS[persona],
      instructions: {
        domain: "telecom",
        reason_for_call: intent.texts.reasonForCall,
        known_info: intent.texts.knownInfo(userInfo),
        unknown_info: null,
        task_instructions: intent.texts.taskInstructions,
      },
    },
    ticket: intent.texts.ticket(userInfo),
    initial_state: { initialization_data: null, initialization_actions: initActions.map(envFunctionCall), message_history: null },
    evaluation_criteria: {
      actions,
      env_assertions: assertions.map(envAssertion),
      communicate_info: null,
      nl_assertions: null,
      reward_basis: expectedFailure ? ["ENV_ASSERTION", "ACTION"] : ["ENV_ASSERTION"],
    },
  }
  return task as unknown as Task
}
