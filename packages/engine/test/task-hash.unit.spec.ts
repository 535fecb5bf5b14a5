/**
 * `taskHash` of a frozen task (a loaded domain's) is remembered per task object: it must stay the
 * hash of that task's content, whatever other tasks were hashed before it.
 */
import { describe, expect, it } from "vitest"
import { PyFloat } from "../src/py/value.ts"
import { type Task, taskHash } from "../src/task.ts"

const deepFreeze = <T>(v: T): T => {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v)
    for (const x of Object.values(v)) deepFreeze(x)
  }
  return v
}

const task = (id: string, amount: number | PyFloat): Task =>
  ({
    id,
    user_scenario: { instructions: "Pay." },
    evaluation_criteria: { actions: [{ action_id: "a", name: "pay", arguments: { amount } }] },
  }) as unknown as Task

describe("taskHash of frozen tasks", () => {
  it("is the hash of each task's own content, frozen or not, in any order", () => {
    const tasks = [task("a", 2), task("a", new PyFloat(2)), task("b", 2)]
    // Not frozen yet: computed, not remembered.
    const expected = tasks.map((t) => taskHash(t))
    // 2 and 2.0 are different tasks to Python's json.dumps; ids differ.
    expect(new Set(expected).size).toBe(3)
    const frozen = tasks.map((t) => deepFreeze(t))
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 1, 0],
    ])
      for (const i of order) expect(taskHash(frozen[i] as Task)).toBe(expected[i])
  })
})
