/**
 * `db_match` without hashing whole databases.
 *
 * The reference compares SHA-256 hashes of the agent and the user database of the gold and the
 * predicted environment (semantics §3.4, §5.2). Both of our worlds derive from the same base node,
 * so they can only differ where one of them was written: we compare, with the hash's notion of
 * equality, the values at the paths either side's patches touched.
 *
 * Array insertions and removals shift the indices after them, so for those we compare the whole
 * array (arrays in τ² databases are short: order items, flight segments, bills, ...).
 */
import {
  child,
  comparisonPaths,
  exactEquals,
  keysOf,
  materialize,
  type Node,
  nodeAt,
  PyFloat,
  type PyValue,
  scopeOf,
  type Side,
  toPointer,
} from "@tau-sim/engine"

export { comparisonPaths }

export interface DbDifference {
  /** JSON pointer (from the world root) of the first difference found. */
  readonly path: string
}

/**
 * Compares the databases the agent and user toolkits point at (`_scopes`, §3.5) in two worlds
 * derived from the same base, at the given paths. Paths outside those databases are ignored, like
 * the reference ignores anything it does not hash.
 */
export const compareDatabases = (left: Node, right: Node, paths: Iterable<ReadonlyArray<string>>, sides: ReadonlyArray<Side>): DbDifference | undefined => {
  const roots = new Set(sides.map((s) => scopeOf(left, s)))
  for (const path of paths) {
    if (path.length === 0 ? false : !roots.has(path[0])) continue
    if (!exactEquals(nodeAt(left, path), nodeAt(right, path))) return { path: `/${path.join("/")}` }
  }
  return undefined
}

/** One value where the gold and the predicted database differ: absent on a side is `undefined`. */
export interface DbPathDifference {
  /** JSON pointer from the world root (`/agent/orders/O1/status`). */
  readonly path: string
  readonly gold: PyValue | undefined
  readonly actual: PyValue | undefined
}

const isMappingNode = (n: Node | undefined): boolean => n !== null && typeof n === "object" && !Array.isArray(n) && !(n instanceof PyFloat)

/**
 * Every place where the databases of two worlds derived from the same base differ, at the given
 * comparison paths, with `compareDatabases`'s equality, down to the deepest differing values (a
 * key one side lacks, a scalar, or an array whose length differs), in the order found. What
 * `db_match: false` does not say: the evaluator stops at the first difference; this is for people.
 */
export const dbDiffPaths = (gold: Node, actual: Node, paths: Iterable<ReadonlyArray<string>>, sides: ReadonlyArray<Side>): ReadonlyArray<DbPathDifference> => {
  const roots = new Set(sides.map((s) => scopeOf(gold, s)))
  const found = new Map<string, DbPathDifference>()
  const leaves = (g: Node | undefined, a: Node | undefined, path: ReadonlyArray<string>) => {
    if (exactEquals(g, a)) return
    if (isMappingNode(g) && isMappingNode(a)) {
      const keys = [...new Set([...keysOf(g), ...keysOf(a)])]
      for (const k of keys) leaves(child(g, k), child(a, k), [...path, k])
      return
    }
    if (Array.isArray(g) && Array.isArray(a) && g.length === a.length) {
      for (let i = 0; i < g.length; i++) leaves(g[i], a[i], [...path, String(i)])
      return
    }
    const pointer = toPointer([...path])
    if (!found.has(pointer))
      found.set(pointer, { path: pointer, gold: g === undefined ? undefined : materialize(g), actual: a === undefined ? undefined : materialize(a) })
  }
  for (const path of paths) {
    if (path.length === 0 || !roots.has(path[0])) continue
    leaves(nodeAt(gold, path), nodeAt(actual, path), path)
  }
  // A comparison path inside another one's difference (an array compared whole and one of its items) is said once.
  const all = [...found.keys()]
  return [...found.values()].filter((d) => !all.some((p) => p !== d.path && d.path.startsWith(`${p}/`)))
}
