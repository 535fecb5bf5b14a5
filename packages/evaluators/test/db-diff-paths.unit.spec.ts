import { applyAll, float, type Node, type Op } from "@tau-sim/engine"
import { describe, expect, it } from "vitest"
import { compareDatabases, comparisonPaths, dbDiffPaths } from "../src/index.ts"

const base: Node = {
  agent: { list: ["x", "x", "y"], orders: { O1: { status: "pending", items: [{ id: 1 }] } }, n: 1 },
  user: { flag: false },
}
const worlds = (gold: ReadonlyArray<Op>, actual: ReadonlyArray<Op>) => {
  const g = applyAll(base, gold)
  const a = applyAll(base, actual)
  return { g, a, paths: [...comparisonPaths(gold, base, g), ...comparisonPaths(actual, base, a)] }
}

describe("dbDiffPaths: every differing value, not only the first", () => {
  it("is empty exactly when compareDatabases finds no difference", () => {
    const op: Op = { op: "replace", path: "/agent/n", value: 2 }
    const same = worlds([op], [op])
    expect(dbDiffPaths(same.g, same.a, same.paths, ["agent", "user"])).toEqual([])
    expect(compareDatabases(same.g, same.a, same.paths, ["agent", "user"])).toBeUndefined()
  })

  it("lists each differing leaf with the gold and the actual value, on both sides' paths", () => {
    const w = worlds(
      [
        { op: "replace", path: "/agent/orders/O1/status", value: "cancelled" },
        { op: "replace", path: "/user/flag", value: true },
      ],
      [{ op: "replace", path: "/agent/n", value: float(1) }],
    )
    expect(dbDiffPaths(w.g, w.a, w.paths, ["agent", "user"])).toEqual([
      { path: "/agent/orders/O1/status", gold: "cancelled", actual: "pending" },
      { path: "/user/flag", gold: true, actual: false },
      // 1 and 1.0 differ, as for the hash the reference compares.
      { path: "/agent/n", gold: 1, actual: float(1) },
    ])
    // Only the databases compared: without the user side, its flag is not a difference.
    expect(dbDiffPaths(w.g, w.a, w.paths, ["agent"]).map((d) => d.path)).toEqual(["/agent/orders/O1/status", "/agent/n"])
  })

  it("goes into a replaced object and names a key one side lacks", () => {
    const w = worlds(
      [{ op: "add", path: "/agent/orders/O2", value: { status: "placed", total: 3 } }],
      [{ op: "add", path: "/agent/orders/O2", value: { status: "placed" } }],
    )
    expect(dbDiffPaths(w.g, w.a, w.paths, ["agent"])).toEqual([{ path: "/agent/orders/O2/total", gold: 3, actual: undefined }])
  })

  it("says an array whose length differs once, as a whole, and equal-length arrays item by item", () => {
    const w = worlds([{ op: "remove", path: "/agent/list/0" }], [{ op: "replace", path: "/agent/orders/O1/items/0/id", value: 2 }])
    expect(dbDiffPaths(w.g, w.a, w.paths, ["agent"])).toEqual([
      { path: "/agent/list", gold: ["x", "y"], actual: ["x", "x", "y"] },
      { path: "/agent/orders/O1/items/0/id", gold: 1, actual: 2 },
    ])
  })
})
