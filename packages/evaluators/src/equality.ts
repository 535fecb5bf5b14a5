/**
 * The two notions of equality the reference evaluator uses.
 *
 * - `pythonEquals`: Python `==` on JSON-decoded values (action arguments, replayed tool outputs):
 *   `1 == 1.0`, `True == 1`, key order irrelevant.
 * - `hashEquals`: equality of the reference's DB hash (`json.dumps(..., sort_keys=True)` compared
 *   textually): key order irrelevant, but `1` vs `1.0`, `True` vs `1` and `0.0` vs `-0.0` differ.
 *   It works on persistent-tree nodes and short-cuts on shared sub-trees, so comparing two worlds
 *   derived from the same base costs only what they changed.
 */
import { exactEquals, isNumber, num, PyFloat, type PyObject, type PyValue } from "@tau-sim/engine"

const numericValue = (v: PyValue | undefined): number | undefined => {
  if (typeof v === "boolean") return v ? 1 : 0
  return isNumber(v) ? num(v) : undefined
}

export const pythonEquals = (a: PyValue | undefined, b: PyValue | undefined): boolean => {
  if (a === b) return a !== undefined
  const na = numericValue(a)
  if (na !== undefined) {
    const nb = numericValue(b)
    return nb !== undefined && na === nb
  }
  if (a === null || b === null || a === undefined || b === undefined) return false
  if (typeof a !== "object" || typeof b !== "object" || b instanceof PyFloat) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!pythonEquals(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) if (!Object.hasOwn(b, k) || !pythonEquals((a as PyObject)[k], (b as PyObject)[k])) return false
  return true
}

/** Equality of the reference's DB hash (exact: `1` vs `1.0` differ); see the engine's world comparison. */
export const hashEquals = exactEquals
