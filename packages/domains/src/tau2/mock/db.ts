/**
 * The mock domain's databases (semantics §4.1): the agent DB `MockDB {tasks, users}` and the user
 * DB `MockUserDB {notifications}`, loaded as the JSON form of the reference's pydantic models
 * (declaration order, defaults filled in).
 */
import * as path from "node:path"
import { Schema } from "effect"
import type { Draft, PyObject, PyValue } from "@tau-sim/engine"
import type { Tau2Databases } from "../module.ts"
import { decodeOrThrow, forbidExtraKeys, readJsonFile } from "../validate.ts"

export const TaskStatus = Schema.Literals(["pending", "completed"])
export const NotificationStatus = Schema.Literals(["unread", "read"])

const TaskRecord = Schema.Struct({
  task_id: Schema.String,
  title: Schema.String,
  description: Schema.optional(Schema.NullOr(Schema.String)),
  status: TaskStatus,
})
const UserRecord = Schema.Struct({
  user_id: Schema.String,
  name: Schema.String,
  tasks: Schema.Array(Schema.String),
})
const MockDBFile = Schema.Struct({
  tasks: Schema.Record(Schema.String, TaskRecord),
  users: Schema.Record(Schema.String, UserRecord),
})
const NotificationRecord = Schema.Struct({
  notification_id: Schema.String,
  message: Schema.String,
  status: Schema.optional(NotificationStatus),
  task_id: Schema.optional(Schema.NullOr(Schema.String)),
})
const MockUserDBFile = Schema.Struct({
  notifications: Schema.optional(Schema.Record(Schema.String, NotificationRecord)),
})

/** JSON form of a `Task` model, in declaration order. */
export const taskJson = (t: { task_id: string; title: string; description?: string | null; status: PyValue }): PyObject => ({
  task_id: t.task_id,
  title: t.title,
  description: t.description ?? null,
  status: t.status,
})

export const userJson = (u: { user_id: string; name: string; tasks: ReadonlyArray<string> }): PyObject => ({
  user_id: u.user_id,
  name: u.name,
  tasks: [...u.tasks],
})

/** JSON form of a `Notification` model (status defaults to unread). */
export const notificationJson = (n: { notification_id: string; message: string; status?: string; task_id?: string | null }): PyObject => ({
  notification_id: n.notification_id,
  message: n.message,
  status: n.status ?? "unread",
  task_id: n.task_id ?? null,
})

const mapValues = <A>(record: Readonly<Record<string, A>>, f: (a: A) => PyObject): PyObject =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]))

/** `MockDB` forbids unknown top-level keys; `Task`/`User` ignore them (pydantic default). */
export const readMockDB = (file: string): PyObject => {
  const raw = readJsonFile(file)
  const db = decodeOrThrow(MockDBFile, raw, file)
  forbidExtraKeys(raw, ["tasks", "users"], file)
  return { tasks: mapValues(db.tasks, taskJson), users: mapValues(db.users, userJson) }
}

/** `MockUserDB` and `Notification` both forbid unknown keys. */
export const readMockUserDB = (file: string): PyObject => {
  const raw = readJsonFile(file)
  const db = decodeOrThrow(MockUserDBFile, raw, file, { excess: "error" })
  return { notifications: mapValues(db.notifications ?? {}, notificationJson) }
}

export const loadMockDatabases = (domainDir: string): Tau2Databases => {
  const agentFile = path.join(domainDir, "db.json")
  const userFile = path.join(domainDir, "user_db.json")
  return { agent: readMockDB(agentFile), user: readMockUserDB(userFile), files: [agentFile, userFile] }
}

/**
 * Which pydantic model a toolkit's DB is. Normally the toolkit's own, but a task's initialisation
 * data can re-point the user toolkit at the agent DB (reference `set_state`).
 */
export const mockModelName = (db: Draft): string => (db.has("tasks") || db.has("users") ? "MockDB" : "MockUserDB")
