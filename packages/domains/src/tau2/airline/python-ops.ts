/**
 * Python operators on the raw argument values the airline tools compute with (semantics §3.2:
 * arguments are not coerced, so `50 * nonfree_baggages` may see a float, a bool or a string).
 * Results keep Python's int/float distinction; type errors carry CPython's messages.
 */
import { float, isFloat, num, pyRepr, type PyValue, ToolError, typeName } from "@tau-sim/engine"

type PyNumber = number | boolean | { readonly value: number }

const isNumeric = (v: PyValue): v is Extract<PyValue, PyNumber> => typeof v === "number" || typeof v === "boolean" || isFloat(v)
const jsNumber = (v: PyValue): number => (v === true ? 1 : v === false ? 0 : num(v))
const isIntLike = (v: PyValue): v is number | boolean => typeof v === "number" || typeof v === "boolean"

/** Python `a <op> b` for `+`, `-`, `*` (augmented forms name the operator `+=` etc.). */
export const pyArith = (op: "+" | "-" | "*", a: PyValue, b: PyValue, augmented = false): PyValue => {
  if (isNumeric(a) && isNumeric(b)) {
    const x = jsNumber(a)
    const y = jsNumber(b)
    const r = op === "+" ? x + y : op === "-" ? x - y : x * y
    return isFloat(a) || isFloat(b) ? float(r) : r === 0 ? 0 : r
  }
  if (op === "*") {
    const sequence = typeof a === "string" || Array.isArray(a) ? a : typeof b === "string" || Array.isArray(b) ? b : undefined
    if (sequence !== undefined) {
      const count = sequence === a ? b : a
      if (!isIntLike(count)) throw new ToolError(`can't multiply sequence by non-int of type '${typeName(count)}'`)
      const n = Math.max(0, jsNumber(count))
      return typeof sequence === "string" ? sequence.repeat(n) : Array.from({ length: n }, () => sequence).flat()
    }
  }
  if (op === "+" && typeof a === "string" && typeof b === "string") return a + b
  if (op === "+" && Array.isArray(a) && Array.isArray(b)) return [...a, ...b]
  if (op === "+" && typeof a === "string") throw new ToolError(`can only concatenate str (not "${typeName(b)}") to str`)
  if (op === "+" && Array.isArray(a)) throw new ToolError(`can only concatenate list (not "${typeName(b)}") to list`)
  throw new ToolError(`unsupported operand type(s) for ${op}${augmented ? "=" : ""}: '${typeName(a)}' and '${typeName(b)}'`)
}

/** Python `a < b` for the values the tools compare (numbers, or strings with strings). */
export const pyLess = (a: PyValue, b: PyValue): boolean => {
  if (isNumeric(a) && isNumeric(b)) return jsNumber(a) < jsNumber(b)
  if (typeof a === "string" && typeof b === "string") return a < b
  throw new ToolError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`)
}

/** Python `max(a, b)`: the first of equal maxima. */
export const pyMax = (a: PyValue, b: PyValue): PyValue => (pyLess(a, b) ? b : a)

/** Python `x != 0` on a number. */
export const isNonZero = (x: PyValue): boolean => !(isNumeric(x) && jsNumber(x) === 0)

/** `obj.attr` where `obj` should be a model built from a dict but is some other value. */
export const noAttribute = (v: PyValue, attribute: string): never => {
  throw new ToolError(`'${typeName(v)}' object has no attribute '${attribute}'`)
}

/** Python `int(s)` for a string (`int("05")` is 5; anything else raises ValueError). */
export const pyIntOfStr = (s: string): number => {
  const m = /^\s*([+-]?\d+(?:_\d+)*)\s*$/.exec(s)
  if (!m) throw new ToolError(`invalid literal for int() with base 10: ${pyRepr(s)}`)
  return Number(m[1].replaceAll("_", ""))
}
