import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { applyAll, diff, Draft, float, get, materialize, type PyValue, pyEquals, PyJson } from "../../src/index.ts"

const big = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, { n: i, tags: ["a"] }]))

describe("persistent world tree", () => {
  it("shares structure: writes never touch the base", () => {
    const base = { agent: { items: big(1000) } }
    const frozen = JSON.stringify(base)
    const d = new Draft(base).at("agent")
    d.set(["items", "k5", "n"], 99)
    d.set(["items", "new"], { n: -1, tags: [] })
    d.remove(["items", "k7"])
    d.push(["items", "k1", "tags"], "b")
    expect(JSON.stringify(base)).toBe(frozen)
    expect(d.get("items", "k5")).toEqual({ n: 99, tags: ["a"] })
    expect(d.has("items", "k7")).toBe(false)
    expect(d.keys("items").length).toBe(1000)
    expect(d.keys("items").at(-1)).toBe("new")
    expect(d.get("items", "k1", "tags")).toEqual(["a", "b"])
    // Replaying the recorded ops on the base gives the same world.
    expect(materialize(applyAll(base, d.ops))).toEqual(materialize(d.root))
  })

  it("diff produces a patch that transforms before into after (any JSON)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const before = { root: PyJson.fromPlain(a) } as PyValue
        const after = { root: PyJson.fromPlain(b) } as PyValue
        const patched = materialize(applyAll(before, diff(before, after)))
        return pyEquals(patched, after)
      }),
    )
  })

  it("diff treats 1 and 1.0 as equal and orders ops like the fixtures", () => {
    const ops = diff(PyJson.parse('{"a":[1,2,3],"b":1,"c":{"z":1}}'), PyJson.parse('{"a":[1,5],"b":1.0,"d":2,"c":{}}'))
    expect(ops).toEqual([
      { op: "replace", path: "/a/1", value: 5 },
      { op: "remove", path: "/a/2" },
      { op: "remove", path: "/c/z" },
      { op: "add", path: "/d", value: 2 },
    ])
    expect(get({ x: { "a/b": float(1) } }, ["x", "a/b"])).toEqual(float(1))
  })
})
