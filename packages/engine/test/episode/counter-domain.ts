/**
 * A two-sided toy domain for orchestrator specs (the engine's tests import no domain of ours): the
 * agent reads and increments a counter, one tool always raises; the user's phone has a switch.
 */
import { Schema } from "effect"
import { type Domain, ToolError, type Toolkit } from "../../src/domain.ts"
import type { Task } from "../../src/task.ts"

const agentToolkit: Toolkit = {
  className: "CounterTools",
  helpers: {},
  tools: [
    { name: "get_count", kind: "read", description: "Read the counter.", params: [], run: (db) => db.get("count") ?? 0 },
    {
      name: "increment",
      kind: "write",
      description: "Add to the counter.",
      params: [{ name: "by", schema: Schema.Int }],
      run: (db, { by }) => {
        const next = (db.get("count") as number) + (by as number)
        db.set(["count"], next)
        return `count is ${next}`
      },
    },
    {
      name: "reset_all",
      kind: "write",
      description: "Always refuses, after a write (writes before the exception stay).",
      params: [],
      run: (db) => {
        db.set(["count"], 0)
        throw new ToolError("resetting is not allowed")
      },
    },
  ],
}

const userToolkit: Toolkit = {
  className: "PhoneTools",
  helpers: {},
  tools: [
    {
      name: "toggle",
      kind: "write",
      description: "Flip the phone's switch.",
      params: [],
      run: (db) => {
        db.set(["on"], !db.get("on"))
        return db.get("on") ? "on" : "off"
      },
    },
  ],
}

export const counterDomain: Domain = {
  name: "counter",
  agentToolkit,
  userToolkit,
  initialWorld: { agent: { count: 1 }, user: { on: false } },
  policy: { default: "Help with the counter.", solo: "Increment the counter, then stop." },
  tasks: [],
  splits: {},
  hashes: { data: "d".repeat(64), tasks: "t".repeat(64), policy: "p".repeat(64) },
  supportsSolo: true,
}

export const counterTask: Task = { id: "bump", user_scenario: { instructions: "Ask for the counter to go up by 2." } }
