/**
 * Python-faithful JSON values.
 *
 * The reference benchmark is Python: `2` and `2.0` are different values there (tool outputs echo
 * them as `2 GB` vs `2.0 GB`, pydantic float fields render as `60.0`). JavaScript numbers cannot tell
 * them apart, so every Python float is boxed in a `PyFloat`; a bare JS number is always a Python int.
 * World databases, tool arguments and tool results all use this value model.
 */
export class PyFloat {
  readonly value: number
  constructor(value: number) {
    this.value = value
  }
  toString(): string {
    return floatRepr(this.value)
  }
}

export type PyValue = null | boolean | number | string | PyFloat | PyArray | PyObject
export interface PyArray extends ReadonlyArray<PyValue> {}
export interface PyObject {
  readonly [key: string]: PyValue
}

export const float = (n: number): PyFloat => new PyFloat(n)
export const isFloat = (v: unknown): v is PyFloat => v instanceof PyFloat
export const isNumber = (v: unknown): v is number | PyFloat => typeof v === "number" || v instanceof PyFloat
export const isObject = (v: unknown): v is PyObject => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof PyFloat)

/** The numeric value of an int or float (throws a Python-like TypeError otherwise). */
export const num = (v: PyValue | undefined): number => {
  if (typeof v === "number") return v
  if (v instanceof PyFloat) return v.value
  throw new TypeError(`expected a number, got ${typeName(v)}`)
}

export const typeName = (v: PyValue | undefined): string => {
  if (v === undefined) return "undefined"
  if (v === null) return "NoneType"
  if (typeof v === "boolean") return "bool"
  if (typeof v === "number") return "int"
  if (typeof v === "string") return "str"
  if (v instanceof PyFloat) return "float"
  if (Array.isArray(v)) return "list"
  return "dict"
}

/** Python `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
export const floatRepr = (x: number): string => {
  if (Number.isNaN(x)) return "nan"
  if (x === Infinity) return "inf"
  if (x === -Infinity) return "-inf"
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0"
  const [mantissa, expText] = x.toExponential().split("e")
  const exp = Number(expText)
  const negative = mantissa.startsWith("-")
  const digits = mantissa.replace("-", "").replace(".", "")
  let out: string
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
    out = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`
  } else if (exp < 0) {
    out = `0.${"0".repeat(-exp - 1)}${digits}`
  } else if (digits.length <= exp + 1) {
    out = `${digits}${"0".repeat(exp + 1 - digits.length)}.0`
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`
  }
  return negative ? `-${out}` : out
}

/**
 * Python `round(x, ndigits)` for floats: correctly rounded on the exact binary value, exact
 * decimal ties to even. `toFixed` also works on the exact value but breaks exact ties upwards.
 */
export const pyRound = (x: number, ndigits = 0): number => {
  if (!Number.isFinite(x) || x === 0) return x // keeps the sign of -0.0, as Python does
  // toFixed(100) is the exact decimal expansion for every double of ordinary magnitude.
  const exact = Math.abs(x).toFixed(100)
  const rest = exact.slice(exact.indexOf(".") + 1 + ndigits)
  if (/^50*$/.test(rest)) {
    const truncated = Number(exact.slice(0, exact.indexOf(".") + 1 + ndigits))
    const lastDigit = Math.round(truncated * 10 ** ndigits) % 2
    const up = lastDigit === 1 ? 10 ** -ndigits : 0
    const magnitude = Number((truncated + up).toFixed(ndigits))
    return x < 0 ? -magnitude : magnitude
  }
  return Number(x.toFixed(ndigits))
}

/** Python `"%.2f" % x` / `f"{x:.2f}"` (same rounding as `round`). */
export const formatFixed = (x: number, digits: number): string => {
  const r = pyRound(x, digits)
  return (r < 0 || (r === 0 && x < 0) ? "-" : "") + Math.abs(r).toFixed(digits)
}

/** Python `str(v)` for scalars (`True`, `None`, `2.0`); containers use `pyRepr`. */
export const pyStr = (v: PyValue): string => (typeof v === "string" ? v : pyRepr(v))

/** Python `repr(v)`: `'text'`, `True`, `None`, `[1, 2]`, `{'a': 1}`. */
export const pyRepr = (v: PyValue): string => {
  if (v === null) return "None"
  if (v === true) return "True"
  if (v === false) return "False"
  if (typeof v === "number") return String(v)
  if (v instanceof PyFloat) return floatRepr(v.value)
  if (typeof v === "string") return stringRepr(v)
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`
  return `{${Object.entries(v as PyObject)
    .map(([k, x]) => `${stringRepr(k)}: ${pyRepr(x)}`)
    .join(", ")}}`
}

const stringRepr = (s: string): string => {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) {
    if (ch === quote || ch === "\\") out += `\\${ch}`
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (ch < " " || ch === "\x7f") out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`
    else out += ch
  }
  return out + quote
}

/** Python `==` on JSON-like values: `1 == 1.0`, key order irrelevant. */
export const pyEquals = (a: PyValue | undefined, b: PyValue | undefined): boolean => {
  if (a === b) return true
  if (isNumber(a) && isNumber(b)) return num(a) === num(b) && typeof a !== "boolean"
  if (a === null || b === null || a === undefined || b === undefined) return false
  if (typeof a !== "object" || typeof b !== "object") return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => pyEquals(x, b[i]))
  }
  if (Array.isArray(b) || a instanceof PyFloat || b instanceof PyFloat) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => Object.hasOwn(b, k) && pyEquals((a as PyObject)[k], (b as PyObject)[k]))
}

/** Python truthiness of a value that came from JSON. */
export const truthy = (v: PyValue | undefined): boolean => {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false
  if (v instanceof PyFloat) return v.value !== 0
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === "object") return Object.keys(v).length > 0
  return true
}
