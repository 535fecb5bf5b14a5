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
import { comparisonPaths, exactEquals, type Node, nodeAt, scopeOf, type Side } from "@tau-sim/engine"

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
