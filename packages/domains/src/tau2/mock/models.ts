/**
 * The mock domain's pydantic models (semantics §4.1): the agent DB `MockDB {tasks, users}` (whose
 * `Task` and `User` ignore unknown keys) and the user DB `MockUserDB {notifications}` (no-extra
 * throughout).
 */
import type { Draft } from "@tau-sim/engine"
import { defineModel, field, optionalField, py } from "../pydantic.ts"

export const TASK_STATUSES = ["pending", "completed"] as const

export const Task = defineModel("Task", [
  field("task_id", py.str),
  field("title", py.str),
  optionalField("description", py.str),
  field("status", py.literal(...TASK_STATUSES)),
])

const User = defineModel("User", [field("user_id", py.str), field("name", py.str), field("tasks", py.list(py.str))])

export const MockDB = defineModel("MockDB", [field("tasks", py.dict(py.model(Task))), field("users", py.dict(py.model(User)))], "forbid")

export const Notification = defineModel(
  "Notification",
  [field("notification_id", py.str), field("message", py.str), field("status", py.literal("unread", "read"), () => "unread"), optionalField("task_id", py.str)],
  "forbid",
)

export const MockUserDB = defineModel("MockUserDB", [field("notifications", py.dict(py.model(Notification)), () => ({}))], "forbid")

/**
 * Which pydantic model a toolkit's DB is. Normally the toolkit's own, but a task's initialisation
 * data can re-point the user toolkit at the agent DB (reference `set_state`).
 */
export const mockModelName = (db: Draft): string => (db.has("tasks") || db.has("users") ? "MockDB" : "MockUserDB")
