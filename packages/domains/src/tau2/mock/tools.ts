/**
 * The mock domain's agent toolkit `MockTools` (semantics §4.1): a task list per user.
 * Tools and helpers read the DB through a `Draft` and record their writes there.
 */
import { Schema } from "effect"
import { type Draft, type Helper, pyEquals, pyStr, type PyValue, type ToolDef, ToolError, type Toolkit } from "@tau-sim/engine"
import { build } from "../pydantic.ts"
import { hasKey, requireField } from "../python.ts"
import { mockModelName, Task, TASK_STATUSES } from "./models.ts"
import { transferToHumanAgents } from "../common/transfer.ts"

/** `id in self.db.<table>` (an `AttributeError` when a task re-pointed this toolkit at the user DB). */
const exists = (db: Draft, table: "users" | "tasks", id: PyValue | undefined): id is string => {
  requireField(db, table, mockModelName)
  return hasKey(db, [table], id)
}

const createTask: ToolDef = {
  name: "create_task",
  kind: "write",
  description: "Create a new task for a user.",
  params: [
    { name: "user_id", description: "The ID of the user creating the task", schema: Schema.String },
    { name: "title", description: "The title of the task", schema: Schema.String },
    { name: "description", description: "Optional description of the task", schema: Schema.String, default: null },
  ],
  run: (db, { user_id, title, description }) => {
    if (!exists(db, "users", user_id)) throw new ToolError(`User ${pyStr(user_id)} not found`)
    // The id counts existing tasks, so it can collide with a task created under another id scheme;
    // like the reference, the new task then replaces the old one in place.
    const taskId = `task_${db.keys("tasks").length + 1}`
    const task = build(Task, { task_id: taskId, title, description, status: "pending" })
    db.set(["tasks", taskId], task)
    db.push(["users", user_id, "tasks"], taskId)
    return task
  },
}

const getUsers: ToolDef = {
  name: "get_users",
  kind: "read",
  description: "Get all users in the database.",
  params: [],
  run: (db) => {
    requireField(db, "users", mockModelName)
    return [...db.entries("users")].map(([, user]) => user)
  },
}

const updateTaskStatus: ToolDef = {
  name: "update_task_status",
  kind: "write",
  description: "Update the status of a task.",
  params: [
    { name: "task_id", description: "The ID of the task to update", schema: Schema.String },
    { name: "status", description: "The new status of the task", schema: Schema.Literals(TASK_STATUSES) },
  ],
  run: (db, { task_id, status }) => {
    if (!exists(db, "tasks", task_id)) throw new ToolError(`Task ${pyStr(task_id)} not found`)
    // Plain attribute assignment on the pydantic model: the status is not validated.
    db.set(["tasks", task_id, "status"], status)
    return db.get("tasks", task_id) as PyValue
  },
}

/** Python `==` between a length and an expected number (`True == 1` included). */
const equalsCount = (count: number, expected: PyValue | undefined): boolean =>
  typeof expected === "boolean" ? count === (expected ? 1 : 0) : pyEquals(count, expected)

const assertNumberOfTasks: Helper = (db, { user_id, expected_number }) => {
  if (!exists(db, "users", user_id)) throw new ToolError(`User ${pyStr(user_id ?? null)} not found`)
  return equalsCount(db.keys("users", user_id, "tasks").length, expected_number)
}

const assertTaskStatus: Helper = (db, { task_id, expected_status }) => {
  if (!exists(db, "tasks", task_id)) throw new ToolError(`Task ${pyStr(task_id ?? null)} not found`)
  return pyEquals(db.get("tasks", task_id, "status"), expected_status)
}

export const mockAgentToolkit: Toolkit = {
  className: "MockTools",
  tools: [createTask, getUsers, updateTaskStatus, transferToHumanAgents],
  helpers: {
    assert_number_of_tasks: assertNumberOfTasks,
    assert_task_status: assertTaskStatus,
  },
}
