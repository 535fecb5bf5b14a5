import { applyInitialState, executeToolCall, float, type Node, type PyValue, type Requestor, runHelper, seededRandom } from "@tau-sim/engine"
import { expect, it } from "vitest"
import { loadTau2Domain } from "../../src/index.ts"
import { needsData } from "../../testing/index.ts"
import { dbOf } from "../conformance/harness.ts"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

const domain = data.ifPresent(() => loadTau2Domain("mock", TAU2_DATA_DIR))
const ctx = { random: seededRandom(1) }
const call = (name: string, args: Record<string, PyValue>, requestor: Requestor = "assistant", world: Node = domain.initialWorld, solo = false) =>
  executeToolCall(domain, world, { id: "c", name, arguments: args, requestor }, ctx, { solo })

data.describe("mock agent tools", () => {
  it("create_task appends a pending task with the next id and renders it like Python json.dumps", () => {
    const r = call("create_task", { user_id: "user_1", title: "Café" })
    expect(r.error).toBe(false)
    expect(r.output).toBe('{"task_id": "task_2", "title": "Caf\\u00e9", "description": null, "status": "pending"}')
    expect(r.patch.map((op) => `${op.op} ${op.path}`)).toEqual(["add /agent/tasks/task_2", "add /agent/users/user_1/tasks/1"])
  })

  it("create_task rejects unknown users, unhashable ids and non-string titles like the reference", () => {
    expect(call("create_task", { user_id: "user_9", title: "x" }).output).toBe("Error: User user_9 not found")
    expect(call("create_task", { user_id: float(1), title: "x" }).output).toBe("Error: User 1.0 not found")
    expect(call("create_task", { user_id: ["user_1"], title: "x" }).output).toBe("Error: unhashable type: 'list'")
    const r = call("create_task", { user_id: "user_1", title: 7 })
    expect(r.error).toBe(true)
    expect(r.output).toMatch(
      /^Error: 1 validation error for Task\ntitle\n {2}Input should be a valid string \[type=string_type, input_value=7, input_type=int\]/,
    )
    expect(r.patch).toEqual([])
  })

  it("update_task_status sets any status (no validation) and fails on unknown tasks", () => {
    const r = call("update_task_status", { task_id: "task_1", status: "archived" })
    expect(r.output).toBe('{"task_id": "task_1", "title": "Test task", "description": "A test task", "status": "archived"}')
    expect(call("update_task_status", { task_id: "task_7", status: "completed" }).output).toBe("Error: Task task_7 not found")
  })

  it("get_users lists users in DB order; transfer is a constant text", () => {
    expect(call("get_users", {}).output).toBe('[{"user_id": "user_1", "name": "Test User", "tasks": ["task_1"]}]')
    expect(call("transfer_to_human_agents", { summary: "s" }).output).toBe("Transfer successful")
    expect(call("transfer_to_human_agents", {}).output).toBe("Error: MockTools.transfer_to_human_agents() missing 1 required positional argument: 'summary'")
  })

  it("assertion helpers compare counts and statuses Python-style", () => {
    const world = domain.initialWorld
    expect(runHelper(domain, world, "agent", "assert_number_of_tasks", { user_id: "user_1", expected_number: float(1) }, ctx).result).toBe(true)
    expect(runHelper(domain, world, "agent", "assert_number_of_tasks", { user_id: "user_1", expected_number: 2 }, ctx).result).toBe(false)
    expect(runHelper(domain, world, "agent", "assert_task_status", { task_id: "task_1", expected_status: "pending" }, ctx).result).toBe(true)
    expect(() => runHelper(domain, world, "agent", "assert_task_status", { task_id: "task_2", expected_status: "pending" }, ctx)).toThrow(
      "Task task_2 not found",
    )
  })
})

data.describe("mock user tools", () => {
  it("dismiss_notification marks the notification read in the user DB", () => {
    const r = call("dismiss_notification", { notification_id: "notif_1" }, "user")
    expect(r.output).toBe("Notification notif_1 dismissed")
    expect(r.patch).toEqual([{ op: "replace", path: "/user/notifications/notif_1/status", value: "read" }])
    expect(call("dismiss_notification", { notification_id: "notif_2" }, "user").output).toBe("Error: Notification notif_2 not found")
    expect(call("check_notifications", {}, "user", r.world).output).toBe(
      '[{"notification_id": "notif_1", "message": "Task \'Test task\' has been assigned to you.", "status": "read", "task_id": "task_1"}]',
    )
  })

  it("add_notification fills model defaults; the assistant reaches user tools only in solo mode", () => {
    const added = runHelper(domain, domain.initialWorld, "user", "add_notification", { notification_id: "n2", message: "hi" }, ctx)
    expect(added.result).toEqual({ notification_id: "n2", message: "hi", status: "unread", task_id: null })
    expect(runHelper(domain, added.world, "user", "assert_notification_status", { notification_id: "n2", expected_status: "unread" }, ctx).result).toBe(true)
    expect(call("check_notifications", {}, "assistant").output).toBe("Error: Tool 'check_notifications' not found.")
    expect(call("check_notifications", {}, "assistant", domain.initialWorld, true).error).toBe(false)
  })

  it("after initialisation data re-points the user toolkit at the agent DB, user tools fail like Python", () => {
    const task = domain.tasks.find((t) => t.id === "update_task_with_initialization_data")
    if (!task) throw new Error("task missing")
    const { world } = applyInitialState(domain, task)
    expect(dbOf(world, "user")).toEqual(dbOf(world, "agent"))
    expect(call("check_notifications", {}, "user", world).output).toBe("Error: 'MockDB' object has no attribute 'notifications'")
  })
})
