/**
 * The SDK's generator on a tiny domain: a counter world whose subtasks can interfere. A
 * composition whose solutions undo each other, or a subtask that breaks nothing, is left out with
 * the proof's reason; the sample is deterministic for a seed; defineDomain refuses a catalog or a
 * task that names what does not exist.
 */
import { describe, expect, it } from "vitest"
import {
  assertion,
  composeTask,
  compositionSpace,
  defineDomain,
  type DomainSpec,
  GenerationEnv,
  generatedRecordOf,
  gold,
  generateTasks,
  initCall,
  num,
  param,
  proveTask,
  reproveTask,
  Schema,
  type TaskFamily,
  tool,
} from "../../src/sdk/index.ts"

const setTool = tool({
  name: "set",
  kind: "write",
  description: "Set a counter.",
  params: { key: param(Schema.String), value: param(Schema.Int) },
  run: (db, { key, value }) => {
    db.set([key], value)
    return "ok"
  },
})

const spec = (groups: NonNullable<DomainSpec["subtasks"]>): DomainSpec => ({
  name: "counters",
  policy: "Set counters when asked.",
  database: { schema: Schema.Struct({ a: Schema.Int, b: Schema.Int }), data: { a: 0, b: 0 } },
  agentTools: {
    tools: [setTool],
    initFunctions: {
      put: (db, { key, value }) => {
        db.set([String(key)], num(value))
        return null
      },
    },
    assertions: { is: (db, { key, value }) => db.get(String(key)) === value },
  },
  tasks: [],
  subtasks: groups,
})

const fixA = {
  name: "a_wrong",
  init: [initCall("assistant", "put", { key: "a", value: 5 })],
  solution: [gold("assistant", "set", { key: "a", value: 1 })],
  assertions: [assertion("assistant", "is", { key: "a", value: 1 })],
}
// Sets `a` as well: with a_wrong, one solution undoes the other.
const clash = {
  name: "b_and_a",
  init: [initCall("assistant", "put", { key: "b", value: 5 })],
  solution: [gold("assistant", "set", { key: "b", value: 1 }), gold("assistant", "set", { key: "a", value: 2 })],
  assertions: [assertion("assistant", "is", { key: "b", value: 1 })],
}
const nothing = {
  name: "noop",
  init: [],
  solution: [gold("assistant", "set", { key: "b", value: 0 })],
  assertions: [assertion("assistant", "is", { key: "b", value: 0 })],
}

describe("generateTasks", () => {
  it("proves every composition and leaves out those that fail, saying why", () => {
    const domain = defineDomain(
      spec({
        groups: [
          { name: "A", subtasks: [fixA] },
          { name: "B", subtasks: [clash, nothing] },
        ],
      }),
    )
    const { tasks, rejected, space } = generateTasks(domain)
    expect(space.size).toBe(5)
    expect(tasks.map((t) => t.id)).toEqual(["[counters]a_wrong[PERSONA:None]"])
    expect(rejected).toEqual([
      // Alone, b_and_a's second write is not needed (b is fixed by the first).
      { id: "[counters]b_and_a[PERSONA:None]", reason: "fixed after 1 of 2 actions" },
      { id: "[counters]noop[PERSONA:None]", reason: expect.stringContaining("its assertions already hold after the initialisation: it breaks nothing") },
      {
        id: "[counters]a_wrong|b_and_a[PERSONA:None]",
        reason: expect.stringMatching(/not fixed after all actions: is\({"key":"a","value":1}\) is false, expected true/),
      },
      { id: "[counters]a_wrong|noop[PERSONA:None]", reason: expect.stringContaining("fixed after 1 of 2 actions") },
    ])
  })

  it("samples deterministically for a seed, and differently for another", () => {
    // Each group breaks its own counter (to 1, 2 or 3) and sets it back to 0: every composition is valid.
    const keys = ["G1", "G2", "G3", "G4"]
    const groups = keys.map((g) => ({
      name: g,
      subtasks: [1, 2, 3].map((v) => ({
        name: `${g}_${v}`,
        init: [initCall("assistant", "put", { key: g, value: v })],
        solution: [gold("assistant", "set", { key: g, value: 0 })],
        assertions: [assertion("assistant", "is", { key: g, value: 0 })],
      })),
    }))
    const domain = defineDomain({
      ...spec({ groups, personas: { P: null, Q: "q" } }),
      database: { schema: Schema.Record(Schema.String, Schema.Int), data: Object.fromEntries(keys.map((k) => [k, 0])) },
    })
    expect(compositionSpace(domain).size).toBe((4 ** 4 - 1) * 2)
    expect(compositionSpace(domain, { subtasks: { min: 2, max: 2 } }).size).toBe(6 * 9 * 2)
    const sample = (seed: number) => generateTasks(domain, { count: 5, seed })
    const first = sample(3)
    expect(first.rejected).toEqual([])
    expect(first.tasks).toHaveLength(5)
    expect(new Set(first.tasks.map((t) => t.id)).size).toBe(5)
    for (const t of first.tasks) expect(generatedRecordOf(t)?.seed).toBe(3)
    // The same seed: the same tasks, field for field (ids, gold actions, assertions, records).
    expect(sample(3).tasks).toEqual(first.tasks)
    expect(sample(4).tasks.map((t) => t.id)).not.toEqual(first.tasks.map((t) => t.id))
  })

  it("an unsolvable subtask needs family-wide assertions: defineDomain says so, and so does the proof of such a task", () => {
    const stuck = {
      name: "stuck",
      init: [initCall("assistant", "put", { key: "a", value: 5 })],
      solution: null,
      assertions: [assertion("assistant", "is", { key: "a", value: 0 })],
    }
    expect(() => defineDomain(spec({ groups: [{ name: "A", subtasks: [stuck] }] }))).toThrow(
      "subtask stuck of counters has no solution (null), which needs family-wide assertions(solvable, env) on counters",
    )
    const transfer = tool({
      name: "transfer_to_human_agents",
      kind: "generic",
      description: "Hand over.",
      params: { summary: param(Schema.String) },
      run: () => "Transfer successful",
    })
    const base = spec({ groups: [{ name: "A", subtasks: [fixA] }] })
    const domain = defineDomain({ ...base, agentTools: { ...base.agentTools, tools: [setTool, transfer] } })
    // A family handed to the proof directly (not through defineDomain) gets the same reason.
    const bare: TaskFamily = { name: "bare", groups: [{ name: "A", subtasks: [stuck] }] }
    const proof = proveTask(domain, composeTask(domain, bare, [stuck], "None"), bare, new GenerationEnv(domain))
    expect(proof.problems).toEqual([
      "it is unsolvable (a subtask's solution is null: gold action transfer_to_human_agents) and family bare has no family-wide assertions, " +
        "the only ones an unsolvable task is checked by (it ends broken, so its subtasks' assertions are not stored)",
    ])
    // With them (fixed: a is 0; unsolvable: a is left at 5), the same subtask is a valid task.
    const checked: TaskFamily = {
      ...bare,
      assertions: (solvable) => [assertion("assistant", "is", { key: "a", value: solvable ? 0 : 5 })],
    }
    const { tasks, rejected } = generateTasks(defineDomain({ ...base, agentTools: { ...base.agentTools, tools: [setTool, transfer] }, subtasks: [checked] }))
    expect(rejected).toEqual([])
    expect(tasks.map((t) => t.evaluation_criteria?.actions?.map((a) => a.name))).toEqual([["transfer_to_human_agents"]])
  })

  it("proves a task file's task again: a tampered solution fails", () => {
    const domain = defineDomain(spec({ groups: [{ name: "A", subtasks: [fixA] }] }))
    const [task] = generateTasks(domain).tasks
    expect(reproveTask(domain, task)).toEqual([])
    const tampered = { ...task, evaluation_criteria: { ...task.evaluation_criteria, actions: [] } }
    expect(reproveTask(domain, tampered)).toEqual([expect.stringMatching(/^not fixed after all actions: is\(/)])
    expect(proveTask(domain, task).problems).toEqual([])
  })

  it("refuses a solution given an extra write before its fix, which the proof alone lets through", () => {
    const domain = defineDomain(spec({ groups: [{ name: "A", subtasks: [fixA] }] }))
    const [task] = generateTasks(domain).tasks
    const actions = task.evaluation_criteria?.actions ?? []
    const extra = { action_id: "set_x", requestor: "assistant" as const, name: "set", arguments: { key: "b", value: 7 }, info: null, compare_args: null }
    const tampered = { ...task, evaluation_criteria: { ...task.evaluation_criteria, actions: [extra, ...actions] } }
    // Still broken before the fix and fixed after it: valid by the proof, yet its gold database has b = 7.
    expect(proveTask(domain, tampered).problems).toEqual([])
    expect(reproveTask(domain, tampered)).toEqual([
      expect.stringMatching(/^its initialisation, gold actions or env assertions are not the ones counters\/a_wrong composes/),
    ])
  })
})

describe("defineDomain", () => {
  it("lists every inconsistency: a task naming a missing tool, data that does not fit its schema, a subtask defined twice", () => {
    const bad: DomainSpec = {
      ...spec({ groups: [{ name: "A", subtasks: [fixA, fixA] }] }),
      database: { schema: Schema.Struct({ a: Schema.Int, b: Schema.Int }), data: { a: "zero", b: 0 } },
      tasks: [{ id: "t", user_scenario: { instructions: "x" }, evaluation_criteria: { actions: [{ action_id: "x", name: "sett", arguments: {} }] } }],
    }
    expect(() => defineDomain(bad)).toThrow(
      /the database does not fit its schema[\s\S]*task t: gold action x calls assistant tool sett, which does not exist[\s\S]*subtask a_wrong of counters is defined twice/,
    )
  })
})
