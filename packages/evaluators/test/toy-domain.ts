/**
 * A tiny two-sided domain for evaluator unit tests: an agent DB with a keyed collection, a list and
 * a counter, and a user DB with a flag. The domain's sync copies the agent's `mirror` value into the
 * user DB, so that skipping the sync (gold actions) is observable.
 */
import { Schema } from "effect"
import { type Domain, type PyObject, type PyValue, type Task, type ToolDef, ToolError } from "@tau-sim/engine"

const param = (name: string, defaultValue?: PyValue) => ({ name, schema: Schema.Unknown, ...(defaultValue === undefined ? {} : { default: defaultValue }) })

const agentTools: ToolDef[] = [
  {
    name: "set_qty",
    kind: "write",
    description: "Set the quantity of an item.",
    params: [param("item"), param("qty")],
    run: (db, args) => {
      const item = args.item as string
      if (!db.has("items", item)) throw new ToolError(`Item ${item} not found`)
      db.set(["items", item, "qty"], args.qty)
      return { item, qty: args.qty }
    },
  },
  {
    name: "read_item",
    kind: "read",
    description: "Read an item.",
    params: [param("item")],
    run: (db, args) => {
      const item = db.get("items", args.item as string)
      if (item === undefined) throw new ToolError(`Item ${args.item} not found`)
      return item
    },
  },
  {
    name: "remove_first",
    kind: "write",
    description: "Remove the first list entry.",
    params: [],
    run: (db) => {
      db.remove(["list", "0"])
      return "removed"
    },
  },
  {
    name: "new_ticket",
    kind: "write",
    description: "Open a ticket with a random id.",
    params: [],
    run: (db, _args, ctx) => {
      const id = `T${Math.floor(ctx.random() * 0xffffffff).toString(16)}`
      db.set(["tickets", id], { id })
      return "ticket opened"
    },
  },
  {
    name: "set_mirror",
    kind: "write",
    description: "Set the value the sync mirrors to the user.",
    params: [param("value")],
    run: (db, args) => {
      db.set(["mirror"], args.value)
      return "ok"
    },
  },
  {
    name: "transfer",
    kind: "generic",
    description: "Transfer to a human.",
    params: [param("summary")],
    run: () => "Transfer successful",
  },
]

const userTools: ToolDef[] = [
  {
    name: "toggle",
    kind: "write",
    description: "Toggle the user's flag.",
    params: [],
    run: (db) => {
      db.set(["flag"], !(db.get("flag") as boolean))
      return { flag: db.get("flag") as boolean }
    },
  },
]

export const toyDomain: Domain = {
  name: "toy",
  agentToolkit: {
    className: "ToyTools",
    tools: agentTools,
    helpers: {
      assert_qty: (db, args) => db.get("items", args.item as string, "qty") === args.qty,
      assert_exists: (db, args) => {
        if (!db.has("items", args.item as string)) throw new ToolError(`Item ${args.item} not found`)
        return true
      },
      count_items: (db) => db.keys("items").length,
    },
  },
  userToolkit: {
    className: "ToyUserTools",
    tools: userTools,
    helpers: { assert_flag: (db, args) => db.get("flag") === args.expected },
  },
  initialWorld: {
    agent: { items: { a: { qty: 1 }, b: { qty: 5 } }, list: ["x", "x"], tickets: {}, mirror: null },
    user: { flag: false, mirror: null },
  },
  policy: { default: "Be nice." },
  tasks: [],
  splits: {},
  hashes: { data: "toy-data", tasks: "toy-tasks", policy: "toy-policy" },
  sync: (world) => {
    const user = world.at("user")
    const value = world.get("agent", "mirror") ?? null
    if (user.get("mirror") !== value) user.set(["mirror"], value)
  },
}

export const task = (id: string, criteria: PyObject | null, extra: PyObject = {}): Task =>
  ({ id, user_scenario: { instructions: "Do it." }, evaluation_criteria: criteria, ...extra }) as unknown as Task
