import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import { float, isTaskHashOf, legacyTaskHash, type Task, taskHash } from "../src/index.ts"

const sha = (s: string) => createHash("sha256").update(s).digest("hex")

const task = (fields: Record<string, unknown>): Task => ({ id: "t1", user_scenario: { instructions: "ask" }, ...fields }) as Task

describe("taskHash", () => {
  it("is sha256 of Python's json.dumps(task, sort_keys=True)", () => {
    const t = task({ evaluation_criteria: { actions: [{ action_id: "a", name: "f", arguments: { x: float(2), y: 1 } }] } })
    expect(taskHash(t)).toBe(
      sha(
        '{"evaluation_criteria": {"actions": [{"action_id": "a", "arguments": {"x": 2.0, "y": 1}, "name": "f"}]}, "id": "t1", "user_scenario": {"instructions": "ask"}}',
      ),
    )
  })

  it("does not depend on key order; a changed value changes it", () => {
    const a = { id: "t1", user_scenario: { instructions: "ask", persona: "p" } } as Task
    const b = { user_scenario: { persona: "p", instructions: "ask" }, id: "t1" } as Task
    expect(taskHash(a)).toBe(taskHash(b))
    expect(legacyTaskHash(a)).not.toBe(legacyTaskHash(b))
    expect(taskHash({ ...a, id: "t2" })).not.toBe(taskHash(a))
  })
})

describe("isTaskHashOf", () => {
  const t = task({ evaluation_criteria: { actions: [{ action_id: "a", name: "f", arguments: { x: float(2) } }] } })

  it("accepts the canonical hash and the legacy one (JSON.stringify, floats as {value})", () => {
    expect(legacyTaskHash(t)).toBe(sha(JSON.stringify(t)))
    expect(JSON.stringify(t)).toContain('{"value":2}')
    expect(isTaskHashOf(taskHash(t), t)).toBe(true)
    expect(isTaskHashOf(legacyTaskHash(t), t)).toBe(true)
  })

  it("rejects either hash of a changed task", () => {
    const changed = task({ evaluation_criteria: { actions: [{ action_id: "a", name: "f", arguments: { x: float(3) } }] } })
    expect(isTaskHashOf(taskHash(t), changed)).toBe(false)
    expect(isTaskHashOf(legacyTaskHash(t), changed)).toBe(false)
  })
})
