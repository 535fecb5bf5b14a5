/**
 * τ² task model (semantics §1.1). Tasks are kept close to the reference shape so that a task file,
 * a results file and our episodes all speak the same language.
 */
import { createHash } from "node:crypto"
import { Schema } from "effect"
import { dumpsSorted } from "./py/json.ts"
import type { PyValue } from "./py/value.ts"

const Json = Schema.Unknown

export const EnvFunctionCall = Schema.Struct({
  env_type: Schema.Literals(["user", "assistant"]),
  func_name: Schema.String,
  arguments: Schema.Record(Schema.String, Json),
})
export type EnvFunctionCall = typeof EnvFunctionCall.Type

export const EnvAssertion = Schema.Struct({
  env_type: Schema.Literals(["user", "assistant"]),
  func_name: Schema.String,
  arguments: Schema.Record(Schema.String, Json),
  assert_value: Schema.optional(Schema.Boolean),
  message: Schema.optional(Schema.NullOr(Schema.String)),
})
export type EnvAssertion = typeof EnvAssertion.Type

export const Action = Schema.Struct({
  action_id: Schema.String,
  requestor: Schema.optional(Schema.Literals(["user", "assistant"])),
  name: Schema.String,
  arguments: Schema.Record(Schema.String, Json),
  info: Schema.optional(Schema.NullOr(Schema.String)),
  compare_args: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
})
export type Action = typeof Action.Type

export const RewardType = Schema.Literals(["DB", "ENV_ASSERTION", "NL_ASSERTION", "ACTION", "COMMUNICATE"])
export type RewardType = typeof RewardType.Type

export const EvaluationCriteria = Schema.Struct({
  actions: Schema.optional(Schema.NullOr(Schema.Array(Action))),
  env_assertions: Schema.optional(Schema.NullOr(Schema.Array(EnvAssertion))),
  communicate_info: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
  nl_assertions: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
  reward_basis: Schema.optional(Schema.NullOr(Schema.Array(RewardType))),
})
export type EvaluationCriteria = typeof EvaluationCriteria.Type

export const StructuredUserInstructions = Schema.Struct({
  domain: Schema.String,
  reason_for_call: Schema.String,
  known_info: Schema.optional(Schema.NullOr(Schema.String)),
  unknown_info: Schema.optional(Schema.NullOr(Schema.String)),
  task_instructions: Schema.String,
})

export const UserScenario = Schema.Struct({
  persona: Schema.optional(Schema.NullOr(Schema.String)),
  instructions: Schema.Union([Schema.String, StructuredUserInstructions]),
})

/** A message of a task's initial `message_history` (τ² message shape, extra keys kept). */
export const HistoryToolCall = Schema.Struct({
  id: Schema.optional(Schema.String),
  name: Schema.String,
  arguments: Schema.Record(Schema.String, Json),
  requestor: Schema.optional(Schema.Literals(["user", "assistant"])),
})
export const HistoryMessage = Schema.Struct({
  role: Schema.Literals(["system", "assistant", "user", "tool"]),
  content: Schema.optional(Schema.NullOr(Schema.String)),
  tool_calls: Schema.optional(Schema.NullOr(Schema.Array(HistoryToolCall))),
  id: Schema.optional(Schema.NullOr(Schema.String)),
  requestor: Schema.optional(Schema.Literals(["user", "assistant"])),
  error: Schema.optional(Schema.Boolean),
})
export type HistoryMessage = typeof HistoryMessage.Type

export const InitialState = Schema.Struct({
  initialization_data: Schema.optional(
    Schema.NullOr(
      Schema.Struct({
        agent_data: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Json))),
        user_data: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Json))),
      }),
    ),
  ),
  initialization_actions: Schema.optional(Schema.NullOr(Schema.Array(EnvFunctionCall))),
  message_history: Schema.optional(Schema.NullOr(Schema.Array(HistoryMessage))),
})
export type InitialState = typeof InitialState.Type

export const Task = Schema.Struct({
  id: Schema.String,
  description: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Json))),
  user_scenario: UserScenario,
  ticket: Schema.optional(Schema.NullOr(Schema.String)),
  initial_state: Schema.optional(Schema.NullOr(InitialState)),
  evaluation_criteria: Schema.optional(Schema.NullOr(EvaluationCriteria)),
  user_tools: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
})
export type Task = typeof Task.Type

export const DEFAULT_REWARD_BASIS: ReadonlyArray<RewardType> = ["DB", "COMMUNICATE"]
export const rewardBasis = (task: Task): ReadonlyArray<RewardType> => task.evaluation_criteria?.reward_basis ?? DEFAULT_REWARD_BASIS

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex")

/**
 * The content hash an episode records of the task it ran (`EpisodeStarted.hashes.task`): sha256
 * of the task as Python's `json.dumps(task, sort_keys=True)` writes it, so neither key order nor
 * how a float is held in memory changes it.
 */
export const taskHash = (task: Task): string => {
  // A loaded domain's tasks are deeply frozen (shared by every episode): each is hashed once.
  if (!Object.isFrozen(task)) return sha256(dumpsSorted(task as unknown as PyValue))
  let hash = frozenTaskHashes.get(task)
  if (hash === undefined) {
    hash = sha256(dumpsSorted(task as unknown as PyValue))
    frozenTaskHashes.set(task, hash)
  }
  return hash
}
const frozenTaskHashes = new WeakMap<Task, string>()

/**
 * The task hash recorded before the canonical one (stores written up to issue 10): the task's
 * `JSON.stringify` (key-order sensitive, a float rendered as `{"value":…}`). Only for comparing
 * with what old stores recorded; never recorded any more.
 */
export const legacyTaskHash = (task: Task): string => sha256(JSON.stringify(task))

/** Whether `recorded` (a stored task hash, canonical or legacy) is the hash of `task` as it is now. */
export const isTaskHashOf = (recorded: string, task: Task): boolean => recorded === taskHash(task) || recorded === legacyTaskHash(task)
