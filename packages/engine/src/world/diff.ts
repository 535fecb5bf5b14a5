/**
 * Deterministic JSON Patch generation and path-based world comparison.
 *
 * `diff` produces the same patch shape as the conformance fixtures (removed keys sorted, then
 * common keys recursively, then added keys; arrays by common prefix, then adds or removes from the
 * end). `1` and `1.0` count as equal.
 */
import { isNumber, isObject, num, PyFloat, pyEquals, type PyValue } from "../py/value.ts"
import { escapeToken, type Op } from "./tree.ts"

export const diff = (before: PyValue, after: PyValue, prefix = ""): Op[] => {
  const ops: Op[] = []
  const go = (a: PyValue, b: PyValue, path: string) => {
    if (isNumber(a) && isNumber(b) && typeof a !== "boolean" && typeof b !== "boolean") {
      if (num(a) !== num(b)) ops.push({ op: "replace", path, value: b })
      return
    }
    if (isObject(a) && isObject(b)) {
      const ka = Object.keys(a)
      const kb = Object.keys(b)
      for (const k of ka.filter((k) => !Object.hasOwn(b, k)).sort()) ops.push({ op: "remove", path: `${path}/${escapeToken(k)}` })
      for (const k of ka.filter((k) => Object.hasOwn(b, k)).sort()) go(a[k], b[k], `${path}/${escapeToken(k)}`)
      for (const k of kb.filter((k) => !Object.hasOwn(a, k)).sort()) ops.push({ op: "add", path: `${path}/${escapeToken(k)}`, value: b[k] })
      return
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const common = Math.min(a.length, b.length)
      for (let i = 0; i < common; i++) go(a[i], b[i], `${path}/${i}`)
      for (let i = common; i < b.length; i++) ops.push({ op: "add", path: `${path}/${i}`, value: b[i] })
      for (let i = a.length - 1; i >= common; i--) ops.push({ op: "remove", path: `${path}/${i}` })
      return
    }
    if (!sameScalar(a, b)) ops.push({ op: "replace", path, value: b })
  }
  go(before, after, prefix)
  return ops
}

const sameScalar = (a: PyValue, b: PyValue): boolean =>
  a === b || (a instanceof PyFloat && b instanceof PyFloat && Object.is(a.value, b.value)) || pyEquals(a, b)
