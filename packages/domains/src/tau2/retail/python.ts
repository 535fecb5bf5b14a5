/**
 * Python semantics for tool arguments that arrive unvalidated (semantics §3.2).
 *
 * The reference passes the model's JSON arguments straight into Python code, so a wrong type does
 * not fail up front: a string iterates as characters, `list.count` compares with `==`, a list used
 * as a dict key raises `unhashable type`. These helpers reproduce what the retail tools observably
 * do with such values, including the exception texts that end up in `Error: ...` outputs.
 */
import { isFloat, isObject, num, pyEquals, pyStr, type PyValue, typeName } from "@tau-sim/engine"
import { iterate } from "../python.ts"

/** A Python built-in exception; only its message is observable (`Error: <message>`). */
export class PythonError extends Error {
  constructor(type: "TypeError" | "AttributeError" | "IndexError", message: string) {
    super(message)
    this.name = type
  }
}

/** `container.count(x)` for a list (by `==`) or a string (non-overlapping substrings). */
export const count = (container: PyValue, x: PyValue): number => {
  if (Array.isArray(container)) return container.filter((y) => pyEquals(y, x)).length
  if (typeof container === "string") {
    if (typeof x !== "string") throw new PythonError("TypeError", `must be str, not ${typeName(x)}`)
    if (x === "") return [...container].length + 1
    return container.split(x).length - 1
  }
  throw new PythonError("AttributeError", `'${typeName(container)}' object has no attribute 'count'`)
}

/**
 * The key `x` denotes in `x in some_dict` / `some_dict[x]` for a dict whose keys are strings:
 * unhashable values raise, other non-strings can never be present.
 */
export const dictKey = (x: PyValue): string | undefined => {
  if (Array.isArray(x) || isObject(x)) throw new PythonError("TypeError", `unhashable type: '${typeName(x)}'`)
  return typeof x === "string" ? x : undefined
}

/** `x in {"a", "b"}` for a set of strings. */
export const inStringSet = (x: PyValue, set: ReadonlySet<string>): boolean => {
  const key = dictKey(x)
  return key !== undefined && set.has(key)
}

/** `s.lower()` on a value that should be a string. */
export const lower = (s: PyValue): string => {
  if (typeof s !== "string") throw new PythonError("AttributeError", `'${typeName(s)}' object has no attribute 'lower'`)
  return s.toLowerCase()
}

/** Python's `<` on str: code point order (JS `<` compares UTF-16 code units). */
export const compareStr = (a: string, b: string): number => {
  const ia = a[Symbol.iterator]()
  const ib = b[Symbol.iterator]()
  for (;;) {
    const x = ia.next()
    const y = ib.next()
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1
    const d = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number)
    if (d !== 0) return d
  }
}

/** Python's ordering class of a value: str, number (bool/int/float), or nothing comparable. */
const sortKind = (x: PyValue): "str" | "number" | undefined =>
  typeof x === "string" ? "str" : typeof x === "number" || typeof x === "boolean" || isFloat(x) ? "number" : undefined

const numeric = (x: PyValue): number => (x === true ? 1 : x === false ? 0 : num(x))

/**
 * `sorted(v)` for the values a tool can reach it with (strings, or numbers). Mixed types raise
 * Python's TypeError naming the first incomparable pair.
 */
export const sorted = (v: PyValue): PyValue[] => {
  const items = iterate(v)
  for (let i = 1; i < items.length; i++) {
    const k = sortKind(items[i])
    if (k === undefined || k !== sortKind(items[i - 1]))
      throw new PythonError("TypeError", `'<' not supported between instances of '${typeName(items[i])}' and '${typeName(items[i - 1])}'`)
  }
  if (items.length > 0 && sortKind(items[0]) === "str") return (items as string[]).sort(compareStr)
  return items.sort((a, b) => numeric(a) - numeric(b))
}

/** f-string interpolation `f"{x}"` (= `str(x)`). */
export const fstr = (x: PyValue): string => pyStr(x)
