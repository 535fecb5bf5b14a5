/**
 * τ²'s telecom tasks as one configuration of the SDK's compositional generator (semantics
 * §4.4.6): each intent is a task family whose groups are its selection sets, whose setup names the
 * user, whose family-wide assertions say what fixed means, and whose layout is the reference's
 * task. An id `[intent]name1|name2|…[PERSONA:p]` names the composed subtasks (sorted by name) and
 * the persona; the split `full` lists 2285 such ids while the original `tasks_full.json` is not
 * shipped; `telecomTaskFromId` rebuilds any of them, byte for byte.
 */
import type { Domain, PyValue, Task } from "@tau-sim/engine"
import { truthy } from "@tau-sim/engine"
import { composeTask, type TaskFamily, type TaskParts } from "@tau-sim/engine/sdk"
import { INTENTS, type Intent, type Subtask } from "./catalog.ts"
import { call, ScenarioEnv, TaskGenerationError } from "./scenario.ts"
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
  if (!m) throw new TaskGenerationError({ message: `${JSON.stringify(id)} is not a telecom task id of the form [intent]issue|issue…[PERSONA:persona]` })
  const [, intentName, body, persona] = m
  const intent = Object.hasOwn(INTENTS, intentName) ? INTENTS[intentName as Intent["name"]] : undefined
  if (!intent) throw new TaskGenerationError({ message: `unknown telecom intent "${intentName}" in ${id}; known: ${Object.keys(INTENTS).join(", ")}` })
  if (!Object.hasOwn(PERSONAS, persona))
    throw new TaskGenerationError({ message: `unknown persona "${persona}" in ${id}; known: ${Object.keys(PERSONAS).join(", ")}` })
  const names = body.split("|")
  const sorted = [...names].sort()
  if (names.some((n, i) => n !== sorted[i])) throw new TaskGenerationError({ message: `the issues of ${id} are not sorted by name` })
  const usedSets = new Set<number>()
  const subtasks = names.map((name) => {
    const setIndex = intent.selectionSets.findIndex((set) => set.subtasks.some((t) => t.name === name))
    if (setIndex < 0) throw new TaskGenerationError({ message: `"${name}" is not an issue of intent ${intent.name} (in ${id})` })
    if (usedSets.has(setIndex)) throw new TaskGenerationError({ message: `${id} takes two issues from one selection set (${name})` })
    usedSets.add(setIndex)
    return intent.selectionSets[setIndex].subtasks.find((t) => t.name === name) as Subtask
  })
  if (!intent.requiredSets.some((i) => usedSets.has(i)))
    throw new TaskGenerationError({ message: `${id} has no ${intent.name.replaceAll("_", " ")} proper (the reference's task validator rejects it)` })
  return { intent, subtasks, persona: persona as keyof typeof PERSONAS }
}

/** The reference's task layout: texts of the intent, what the user knows read from the broken scenario. */
const telecomLayout =
  (intent: Intent) =>
  (parts: TaskParts<ScenarioEnv>): PyValue => {
    const surroundings = parts.env.surroundings
    const userInfo = {
      name: String(surroundings.name),
      phone_number: String(surroundings.phone_number),
      location: truthy(surroundings.is_abroad) ? "abroad in France" : "at home in the United States",
    }
    return {
      id: parts.id,
      description: { purpose: intent.texts.purpose, relevant_policies: null, notes: null },
      user_scenario: {
        persona: parts.personaText,
        instructions: {
          domain: "telecom",
          reason_for_call: intent.texts.reasonForCall,
          known_info: intent.texts.knownInfo(userInfo),
          unknown_info: null,
          task_instructions: intent.texts.taskInstructions,
        },
      },
      ticket: intent.texts.ticket(userInfo),
      initial_state: { initialization_data: null, initialization_actions: [...parts.initializationActions], message_history: null },
      evaluation_criteria: {
        actions: [...parts.actions],
        env_assertions: [...parts.envAssertions],
        communicate_info: null,
        nl_assertions: null,
        reward_basis: [...parts.rewardBasis],
      },
    }
  }

/** An intent as a task family of the SDK's generator. */
const intentFamily = (intent: Intent): TaskFamily<ScenarioEnv> => ({
  name: intent.name,
  groups: intent.selectionSets,
  personas: PERSONAS,
  setup: [call("user", "set_user_info", { ...intent.user })],
  accepts: (subtasks) => {
    const used = new Set(subtasks.map((t) => intent.selectionSets.findIndex((set) => set.subtasks.includes(t))))
    return intent.requiredSets.some((i) => used.has(i))
      ? undefined
      : `it has no ${intent.name.replaceAll("_", " ")} proper (the reference's task validator rejects it)`
  },
  assertions: (solvable) => intent.assertions(solvable),
  rewardBasis: (solvable) => (solvable ? ["ENV_ASSERTION"] : ["ENV_ASSERTION", "ACTION"]),
  layout: telecomLayout(intent),
  env: (domain) => new ScenarioEnv(domain),
})

/** The three telecom task families (service, mobile data, MMS), in the reference's order. */
export const TELECOM_FAMILIES: ReadonlyArray<TaskFamily<ScenarioEnv>> = Object.values(INTENTS).map(intentFamily)

export const telecomFamily = (intent: Intent): TaskFamily<ScenarioEnv> => TELECOM_FAMILIES.find((f) => f.name === intent.name) as TaskFamily<ScenarioEnv>

/** The task with id `id`, generated against the initial world of `domain` (the telecom domain). */
export const telecomTaskFromId = (id: string, domain: Domain): Task => {
  const { intent, subtasks, persona } = parseTelecomTaskId(id)
  return composeTask(domain, telecomFamily(intent), subtasks, persona)
}
