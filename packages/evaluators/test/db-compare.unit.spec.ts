import { applyAll, float, type Node, type Op } from "@tau-sim/engine"
import { describe, expect, it } from "vitest"
import { compareDatabases, comparisonPaths, hashEquals, pythonEquals } from "../src/index.ts"

const base: Node = { agent: { list: ["x", "x", "y"], obj: { n: 1, f: float(1) } }, user: { flag: false } }
const paths = (l: ReadonlyArray<Op>, r: ReadonlyArray<Op>) => {
  const left = applyAll(base, l)
  const right = applyAll(base, r)
  return { left, right, paths: [...comparisonPaths(l, base, left), ...comparisonPaths(r, base, right)] }
}

describe("equality notions", () => {
  it("pythonEquals is Python ==", () => {
    expect(pythonEquals(1, float(1))).toBe(true)
    expect(pythonEquals(true, 1)).toBe(true)
    expect(pythonEquals(false, float(0))).toBe(true)
    expect(pythonEquals({ a: [1, "x"] }, { a: [float(1), "x"] })).toBe(true)
    expect(pythonEquals("1", 1)).toBe(false)
    expect(pythonEquals(null, 0)).toBe(false)
    expect(pythonEquals([1], { 0: 1 })).toBe(false)
  })

  it("hashEquals is equality of sort_keys JSON text", () => {
    expect(hashEquals({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true)
    expect(hashEquals(1, float(1))).toBe(false)
    expect(hashEquals(true, 1)).toBe(false)
    expect(hashEquals(float(0), float(-0))).toBe(false)
    expect(hashEquals(float(Number.NaN), float(Number.NaN))).toBe(true)
    expect(hashEquals({ a: null }, {})).toBe(false)
  })
})

describe("comparing worlds by changed paths", () => {
  it("finds no difference when both sides made the same change", () => {
    const op: Op = { op: "replace", path: "/agent/obj/n", value: 2 }
    const { left, right, paths: p } = paths([op], [op])
    expect(compareDatabases(left, right, p, ["agent", "user"])).toBeUndefined()
  })

  it("finds a value written on one side only", () => {
    const { left, right, paths: p } = paths([{ op: "replace", path: "/user/flag", value: true }], [])
    expect(compareDatabases(left, right, p, ["agent", "user"])).toEqual({ path: "/user/flag" })
    expect(compareDatabases(left, right, p, ["agent"])).toBeUndefined()
  })

  it("compares whole arrays after insertions or removals, whose indices shift", () => {
    // Removing index 0 of ["x","x","y"] leaves "x" at index 0: only the list as a whole differs.
    const { left, right, paths: p } = paths([{ op: "remove", path: "/agent/list/0" }], [])
    expect(p).toEqual([["agent", "list"]])
    expect(compareDatabases(left, right, p, ["agent"])).toEqual({ path: "/agent/list" })
    const appended = paths([{ op: "add", path: "/agent/list/-", value: "z" }], [{ op: "add", path: "/agent/list/3", value: "z" }])
    expect(compareDatabases(appended.left, appended.right, appended.paths, ["agent"])).toBeUndefined()
  })

  it("tells an int from a float at a changed path", () => {
    const { left, right, paths: p } = paths([{ op: "replace", path: "/agent/obj/n", value: 2 }], [{ op: "replace", path: "/agent/obj/n", value: float(2) }])
    expect(compareDatabases(left, right, p, ["agent"])).toEqual({ path: "/agent/obj/n" })
  })
})
