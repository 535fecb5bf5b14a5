/**
 * Comparing two worlds derived from the same base, at the paths either side changed.
 *
 * Paths nobody touched hold the base value on both sides, so they cannot differ. Array insertions
 * and removals shift the indices after them, so for those the whole array is compared (arrays in
 * domain databases are short). Equality is exact, like a hash of `json.dumps(sort_keys=True)`:
 * key order is irrelevant, but `1` vs `1.0`, `True` vs `1` and `0.0` vs `-0.0` differ.
 */
import { PyFloat } from "../py/value.ts"
import { child, keysOf, type Node, nodeAt, type Op, Overlay, parsePointer, toPointer } from "./tree.ts"

const isMapping = (n: Node | undefined): boolean =>
  n instanceof Overlay || (typeof n === "object" && n !== null && !Array.isArray(n) && !(n instanceof PyFloat))

/** Exact structural equality on tree nodes; shared sub-trees short-cut, so cost ∝ what changed. */
export const exactEquals = (a: Node | undefined, b: Node | undefined): boolean => {
  if (a === b) return true
  if (a === undefined || b === undefined || a === null || b === null) return false
  if (a instanceof PyFloat) return b instanceof PyFloat && Object.is(a.value, b.value)
  if (typeof a !== "object" || typeof b !== "object") return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!exactEquals(a[i], b[i])) return false
    return true
  }
  if (!isMapping(a) || !isMapping(b)) return false
  const ka = keysOf(a)
  if (ka.length !== keysOf(b).length) return false
  for (const k of ka) {
    const cb = child(b, k)
    if (cb === undefined || !exactEquals(child(a, k), cb)) return false
  }
  return true
}

/** The paths to compare for patches applied to worlds that end as `worlds`. */
export const comparisonPaths = (ops: ReadonlyArray<Op>, ...worlds: ReadonlyArray<Node>): string[][] => {
  const out: string[][] = []
  const seen = new Set<string>()
  for (const op of ops) {
    let path = parsePointer(op.path)
    if (op.op !== "replace" && path.length > 0) {
      const parent = path.slice(0, -1)
      if (path[path.length - 1] === "-" || worlds.some((w) => Array.isArray(nodeAt(w, parent)))) path = parent
    }
    const key = path.join("\u0000")
    if (seen.has(key)) continue
    seen.add(key)
    out.push(path)
  }
  return out
}

/** The first path (JSON pointer) where two worlds differ after the given patches, if any. */
export const firstDifference = (left: Node, right: Node, ops: ReadonlyArray<Op>): string | undefined => {
  for (const path of comparisonPaths(ops, left, right)) {
    if (!exactEquals(nodeAt(left, path), nodeAt(right, path))) return toPointer(path)
  }
  return undefined
}
