import { createHash } from "node:crypto"
import { float, type PyObject } from "@tau-sim/engine"
import { describe, expect, it } from "vitest"
import { hashTexts, tau2DbHash } from "../../src/index.ts"

const sha = (s: string) => createHash("sha256").update(s).digest("hex")

describe("tau2DbHash", () => {
  it("hashes Python's json.dumps(sort_keys=True) text: sorted keys, float repr, ASCII escapes", () => {
    const db: PyObject = { b: float(1), a: [1, "é"], c: { z: null, y: true } }
    expect(tau2DbHash(db)).toBe(sha('{"a": [1, "\\u00e9"], "b": 1.0, "c": {"y": true, "z": null}}'))
    expect(tau2DbHash({ b: 1 })).not.toBe(tau2DbHash({ b: float(1) }))
  })

  it("gives the same hash for a new state sharing memoised sub-objects", () => {
    const shared: PyObject = { x: [1, 2], y: { k: "v" } }
    const first = tau2DbHash({ users: shared, n: 1 })
    expect(tau2DbHash({ n: 1, users: shared })).toBe(first)
    expect(tau2DbHash({ users: { ...shared, z: 0 }, n: 1 })).not.toBe(first)
  })
})

describe("content hashes", () => {
  // The task hash is the engine's (`taskHash`, engine/test/task.unit.spec.ts).
  it("do not depend on the order texts are given in", () => {
    expect(hashTexts({ default: "p", solo: "s" })).toBe(hashTexts({ solo: "s", default: "p" }))
    expect(hashTexts({ default: "p", solo: "s" })).not.toBe(hashTexts({ default: "s", solo: "p" }))
  })
})
