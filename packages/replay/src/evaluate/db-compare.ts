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
import { type Node, nodeAt, type Op, parsePointer, scopeOf, type Side } from "@tau-sim/engine"
import { hashEquals } from "./equality.ts"

/** The paths to compare for a list of patches applied to a world that ends as `world`. */
export const comparisonPaths = (ops: ReadonlyArray<Op>, ...worlds: ReadonlyArray<Node>): string[][] => {
  const out: string[][] = []
  const seen = new Set<string>()
  for (const op of ops) {
    let path = parsePointer(op.path)
    if (op.op !== "replace" && path.length > 0) {
      const parent = path.slice(0, -1)
      if (path[path.length - 1] === "-" || worlds.some((w) => Array.isArray(nodeAt(w, parent)))) path = parent
    }
    const key = path.join("/")
    if (seen.has(key)) continue
    seen.add(key)
    out.push(path)
  }
  return out
}

export interface DbDifference {
  /** JSON pointer (from the world root) of the first difference found. */
  readonly path: string
}

/**
 * Compares the databases the agent and user toolkits point at (`_scopes`, §3.5) in two worlds
 * derived from the same base, at the given paths. Paths outside those databases are ignored, like
 * the reference ignores anything it does not hash.
 */
export const compareDatabases = (
  left: Node,
  right: Node,
  paths: Iterable<ReadonlyArray<string>>,
  sides: ReadonlyArray<Side>,
): DbDifference | undefined => {
  const roots = new Set(sides.map((s) => scopeOf(left, s)))
  for (const path of paths) {
    if (path.length === 0 ? false : !roots.has(path[0])) continue
    if (!hashEquals(nodeAt(left, path), nodeAt(right, path))) return { path: `/${path.join("/")}` }
  }
  return undefined
}
