/**
 * What `tau domain init <dir>` writes: a small working domain (a plant shop's orders) on the
 * public SDK, with tasks, a subtask catalog and tests (`tau domain test <dir>` runs them).
 * `__NAME__` becomes the domain's name. The files avoid template literals so they can live here
 * as template literals themselves.
 */

const PACKAGE_JSON = `{
  "name": "__NAME__",
  "private": true,
  "type": "module"
}
`

const INDEX_TS = `/**
 * The __NAME__ domain: a plant shop's order desk. Load it with --domain ./path/to/this/folder.
 */
import { assertion, defineDomain, gold, initCall, Schema } from "@tau-sim/engine/sdk"
import { shopAssertions, shopInitFunctions, shopTools } from "./tools.ts"

// The database model: what the data must fit when the domain is loaded.
const Order = Schema.Struct({
  order_id: Schema.String,
  customer: Schema.String,
  plant: Schema.String,
  address: Schema.String,
  gift_wrap: Schema.Boolean,
  status: Schema.Literals(["placed", "shipped", "cancelled"]),
})
const ShopDb = Schema.Struct({ orders: Schema.Record(Schema.String, Order) })

const POLICY = [
  "# Plant shop order desk",
  "",
  "- Look the order up with get_order before changing it.",
  "- Only orders that are still placed (not shipped) can be cancelled or changed.",
  "- Make one change at a time and tell the customer the outcome.",
].join("\\n")

export default defineDomain({
  name: "__NAME__",
  policy: POLICY,
  database: {
    schema: ShopDb,
    data: {
      orders: {
        O1: { order_id: "O1", customer: "Ada", plant: "fern", address: "1 Elm Street", gift_wrap: false, status: "placed" },
        O2: { order_id: "O2", customer: "Bo", plant: "cactus", address: "9 Oak Road", gift_wrap: false, status: "shipped" },
      },
    },
  },
  agentTools: { tools: shopTools, initFunctions: shopInitFunctions, assertions: shopAssertions },
  // Tasks in τ²'s task format: what the user wants, and how success is judged.
  tasks: [
    {
      id: "cancel_placed_order",
      user_scenario: { instructions: "You are Ada. Cancel your order O1." },
      evaluation_criteria: {
        actions: [
          { action_id: "look", name: "get_order", arguments: { order_id: "O1" } },
          { action_id: "cancel", name: "cancel_order", arguments: { order_id: "O1" } },
        ],
        env_assertions: [{ env_type: "assistant", func_name: "assert_status", arguments: { order_id: "O1", expected: "cancelled" } }],
        reward_basis: ["DB", "ENV_ASSERTION"],
      },
    },
    {
      id: "shipped_cannot_cancel",
      user_scenario: { instructions: "You are Bo. Ask to cancel order O2; if it cannot be cancelled, accept that." },
      evaluation_criteria: {
        actions: [{ action_id: "look", name: "get_order", arguments: { order_id: "O2" } }],
        reward_basis: ["DB"],
      },
    },
  ],
  // Atomic subtasks for tau tasks generate: each breaks the world, fixes it, and says when it is fixed.
  subtasks: {
    personas: { None: null, Hurried: "You are in a hurry and answer in few words." },
    instructions: (parts) => ["You are Ada, order O1.", ...parts.subtasks.map((s) => s.request ?? "")].join(" "),
    groups: [
      {
        name: "address",
        subtasks: [
          {
            name: "old_address",
            description: "Order O1 goes to an old address",
            request: "Your order O1 should go to 2 Birch Lane, not to your old address.",
            init: [initCall("assistant", "set_address", { order_id: "O1", address: "7 Old Road" })],
            solution: [gold("assistant", "change_address", { order_id: "O1", address: "2 Birch Lane" })],
            assertions: [assertion("assistant", "assert_address", { order_id: "O1", expected: "2 Birch Lane" })],
          },
        ],
      },
      {
        name: "wrapping",
        subtasks: [
          {
            name: "needs_gift_wrap",
            description: "Order O1 is a gift but is not wrapped",
            request: "Order O1 is a gift: ask for gift wrapping.",
            init: [],
            solution: [gold("assistant", "set_gift_wrap", { order_id: "O1", gift_wrap: true })],
            assertions: [assertion("assistant", "assert_gift_wrap", { order_id: "O1", expected: true })],
          },
        ],
      },
    ],
  },
})
`

const TOOLS_TS = `/**
 * The tools of the __NAME__ domain: what the agent can do on the shop's database.
 */
import { type Draft, type Helper, param, type PyObject, Schema, ToolError, tool } from "@tau-sim/engine/sdk"

const orderOf = (db: Draft, orderId: string): PyObject => {
  const order = db.get("orders", orderId)
  if (order === undefined) throw new ToolError("Order " + orderId + " not found")
  return order as PyObject
}

const placed = (db: Draft, orderId: string): PyObject => {
  const order = orderOf(db, orderId)
  if (order.status !== "placed") throw new ToolError("Order " + orderId + " is " + String(order.status) + ", not placed")
  return order
}

const orderId = param(Schema.String, "The order id, such as 'O1'.")

export const shopTools = [
  tool({
    name: "get_order",
    kind: "read",
    description: "Get an order: customer, plant, address, gift wrapping and status.",
    params: { order_id: orderId },
    run: (db, { order_id }) => orderOf(db, order_id),
  }),
  tool({
    name: "cancel_order",
    kind: "write",
    description: "Cancel an order that has not shipped yet.",
    params: { order_id: orderId },
    run: (db, { order_id }) => {
      placed(db, order_id)
      db.set(["orders", order_id, "status"], "cancelled")
      return "Order " + order_id + " cancelled"
    },
  }),
  tool({
    name: "change_address",
    kind: "write",
    description: "Change the delivery address of an order that has not shipped yet.",
    params: { order_id: orderId, address: param(Schema.String, "The new address.") },
    run: (db, { order_id, address }) => {
      placed(db, order_id)
      db.set(["orders", order_id, "address"], address)
      return "Order " + order_id + " will go to " + address
    },
  }),
  tool({
    name: "set_gift_wrap",
    kind: "write",
    description: "Turn gift wrapping of an order that has not shipped yet on or off.",
    params: { order_id: orderId, gift_wrap: param(Schema.Boolean, "Whether to wrap it.") },
    run: (db, { order_id, gift_wrap }) => {
      placed(db, order_id)
      db.set(["orders", order_id, "gift_wrap"], gift_wrap)
      return "Gift wrapping of " + order_id + " is " + (gift_wrap ? "on" : "off")
    },
  }),
]

/** Functions tasks use to set a world up (initialization_actions, subtask init). */
export const shopInitFunctions: Record<string, Helper> = {
  set_address: (db, { order_id, address }) => {
    orderOf(db, String(order_id))
    db.set(["orders", String(order_id), "address"], String(address))
    return null
  },
}

/** Checks on the world (env_assertions, subtask assertions): each returns true or false. */
export const shopAssertions: Record<string, Helper> = {
  assert_status: (db, { order_id, expected }) => orderOf(db, String(order_id)).status === expected,
  assert_address: (db, { order_id, expected }) => orderOf(db, String(order_id)).address === expected,
  assert_gift_wrap: (db, { order_id, expected }) => orderOf(db, String(order_id)).gift_wrap === expected,
}
`

const TEST_TS = `/**
 * Tests of the __NAME__ domain; run them with: tau domain test <this folder>
 */
import assert from "node:assert/strict"
import { test } from "node:test"
import { callTool, generateTasks, playGold } from "@tau-sim/engine/sdk"
import domain from "../index.ts"

test("the gold actions of every task leave its assertions holding", () => {
  for (const task of domain.tasks) {
    const run = playGold(domain, task)
    assert.deepEqual(run.failedActions, [], task.id)
    assert.deepEqual(run.failedAssertions, [], task.id)
  }
})

test("a shipped order cannot be cancelled", () => {
  const result = callTool(domain, "cancel_order", { order_id: "O2" })
  assert.equal(result.output, "Error: Order O2 is shipped, not placed")
})

test("every task the subtasks compose is valid", () => {
  const generated = generateTasks(domain)
  assert.deepEqual(generated.rejected, [])
  assert.equal(generated.tasks.length, generated.space.size)
})
`

const README_MD = `# __NAME__

A domain for tau-sim, made by \`tau domain init\`. See docs/writing-a-domain.md in tau-sim.

    tau domain test ./__NAME__                                   # its tests
    tau run --domain ./__NAME__ --agent oracle --user scripted   # an offline run
    tau tasks generate --domain ./__NAME__ --out tasks.json      # tasks from the subtasks
`

/** The files of a new domain named `name`, by path relative to its folder. */
export const scaffoldFiles = (name: string): Readonly<Record<string, string>> => {
  const fill = (text: string) => text.replaceAll("__NAME__", name)
  return {
    "package.json": fill(PACKAGE_JSON),
    "index.ts": fill(INDEX_TS),
    "tools.ts": fill(TOOLS_TS),
    "test/domain.test.ts": fill(TEST_TS),
    "README.md": fill(README_MD),
  }
}
