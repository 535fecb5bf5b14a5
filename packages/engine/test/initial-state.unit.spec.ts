/**
 * `applyInitialState` reuses the steps of initialisation-action prefixes tasks share: what it
 * returns must be what a first application gives (the same steps, world and random draws), for
 * tasks met in any order and with any seed.
 */
import { describe, expect, it } from "vitest"
import type { Domain, Toolkit } from "../src/domain.ts"
import { applyInitialState } from "../src/initial-state.ts"
import type { Task } from "../src/task.ts"
import { materialize } from "../src/world/tree.ts"

/** A counter domain whose helpers count their own calls; `draw` writes a random number. */
const makeDomain = () => {
  const calls = { n: 0 }
  const agentToolkit: Toolkit = {
    className: "CounterTools",
    tools: [],
    helpers: {
      add: (db, { by }) => {
        calls.n++
        db.set(["count"], (db.get("count") as number) + (by as number))
        return null
      },
      draw: (db, _args, ctx) => {
        calls.n++
        const x = Math.floor(ctx.random() * 1e9)
        db.set(["last"], x)
        return x
      },
    },
  }
  const domain: Domain = {
    name: "counter",
    agentToolkit,
    initialWorld: { agent: { count: 1 } },
    policy: { default: "Help with the counter." },
    tasks: [],
    splits: {},
    hashes: { data: "d".repeat(64), tasks: "t".repeat(64), policy: "p".repeat(64) },
    supportsSolo: false,
  }
  return { domain, calls }
}

const task = (id: string, actions: ReadonlyArray<readonly [string, Record<string, number>]>): Task => ({
  id,
  user_scenario: { instructions: "Count." },
  initial_state: {
    initialization_data: null,
    initialization_actions: actions.map(([func_name, args]) => ({ env_type: "assistant", func_name, arguments: args })),
    message_history: null,
  },
})

/** What an application gives, as plain data. */
const applied = (domain: Domain, t: Task, seed: number) => {
  const r = applyInitialState(domain, t, { seed })
  return { steps: r.steps.map((s) => ({ ...s })), world: materialize(r.world) }
}

/** The same application on a domain nothing was applied to before. */
const fresh = (t: Task, seed: number) => applied(makeDomain().domain, t, seed)

describe("applyInitialState over tasks sharing initialisation actions", () => {
  const a = task("a", [
    ["add", { by: 2 }],
    ["add", { by: 3 }],
    ["add", { by: 5 }],
  ])
  const b = task("b", [
    ["add", { by: 2 }],
    ["add", { by: 3 }],
    ["add", { by: 7 }],
  ])
  const shorter = task("shorter", [["add", { by: 2 }]])

  it("gives each task what a first application gives, and runs a shared prefix once", () => {
    const { domain, calls } = makeDomain()
    for (const t of [a, b, shorter, a]) expect(applied(domain, t, 0)).toEqual(fresh(t, 0))
    // a: 3 calls; b: its third action only; shorter and a again: none.
    expect(calls.n).toBe(4)
  })

  it("runs a prefix that drew random numbers again under another seed", () => {
    const c = task("c", [
      ["draw", {}],
      ["add", { by: 1 }],
    ])
    const d = task("d", [
      ["draw", {}],
      ["draw", {}],
    ])
    const { domain } = makeDomain()
    expect(applied(domain, c, 1)).toEqual(fresh(c, 1))
    expect(applied(domain, d, 2)).toEqual(fresh(d, 2))
    // Under the first seed again: the draws after the shared prefix continue its random sequence.
    expect(applied(domain, d, 1)).toEqual(fresh(d, 1))
    expect(fresh(d, 1)).not.toEqual(fresh(d, 2))
  })

  it("tells arguments apart by their Python type (1 and 1.0)", async () => {
    const { float } = await import("../src/py/value.ts")
    const { domain } = makeDomain()
    const int = task("int", [["add", { by: 1 }]])
    const flt: Task = {
      ...int,
      id: "float",
      initial_state: {
        initialization_data: null,
        initialization_actions: [{ env_type: "assistant", func_name: "add", arguments: { by: float(1) } }],
        message_history: null,
      },
    }
    applied(domain, int, 0)
    expect(applied(domain, flt, 0).steps[0]?.args).toEqual({ by: float(1) })
  })
})
