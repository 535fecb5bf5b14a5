/**
 * The mock domain's user toolkit `MockUserTools` (semantics §4.1): a notification inbox on the
 * user's side, plus the helpers used by initialisation actions and env assertions.
 */
import { Schema } from "effect"
import { type Draft, type Helper, pyEquals, pyStr, type PyValue, type ToolDef, ToolError, type Toolkit } from "@tau-sim/engine"
import { build } from "../pydantic.ts"
import { hasKey, requireField } from "../python.ts"
import { mockModelName, Notification } from "./models.ts"

const notificationExists = (db: Draft, id: PyValue | undefined): id is string => {
  requireField(db, "notifications", mockModelName)
  return hasKey(db, ["notifications"], id)
}

const checkNotifications: ToolDef = {
  name: "check_notifications",
  kind: "read",
  description: "Check all notifications in the user's inbox.",
  params: [],
  run: (db) => {
    requireField(db, "notifications", mockModelName)
    return [...db.entries("notifications")].map(([, n]) => n)
  },
}

const dismissNotification: ToolDef = {
  name: "dismiss_notification",
  kind: "write",
  description: "Dismiss (mark as read) a notification.",
  params: [{ name: "notification_id", description: "The ID of the notification to dismiss.", schema: Schema.String }],
  run: (db, { notification_id }) => {
    if (!notificationExists(db, notification_id)) throw new ToolError(`Notification ${pyStr(notification_id)} not found`)
    db.set(["notifications", notification_id, "status"], "read")
    return `Notification ${notification_id} dismissed`
  },
}

const addNotification: Helper = (db, { notification_id, message, task_id = null }) => {
  const notification = build(Notification, { notification_id, message, task_id })
  requireField(db, "notifications", mockModelName)
  db.set(["notifications", notification_id as string], notification)
  return notification
}

const assertNotificationStatus: Helper = (db, { notification_id, expected_status }) => {
  if (!notificationExists(db, notification_id)) throw new ToolError(`Notification ${pyStr(notification_id ?? null)} not found`)
  return pyEquals(db.get("notifications", notification_id, "status"), expected_status)
}

export const mockUserToolkit: Toolkit = {
  className: "MockUserTools",
  tools: [checkNotifications, dismissNotification],
  helpers: {
    add_notification: addNotification,
    assert_notification_status: assertNotificationStatus,
  },
}
