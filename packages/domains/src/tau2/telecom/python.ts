/**
 * The slice of Python semantics the telecom tools need beyond the engine's value model.
 *
 * The reference tools mutate pydantic objects in place and receive their arguments undecoded, so a
 * faithful port needs Python's operators on arbitrary JSON values (with their `TypeError` texts),
 * attribute access that fails like CPython on `None`, and slicing.
 */
import { float, isFloat, isNumber, num, type PyValue, pyRepr, pyStr, ToolError, typeName } from "@tau-sim/engine"

/** A mutable JSON object: the working copy of a pydantic model inside one tool call. */
export type Obj = Record<string, PyValue>

export const isObj = (v: PyValue | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v) && !isFloat(v)

/** Python numbers include bools (`True + 1 == 2`). */
const isPyNumeric = (v: PyValue | undefined): v is number | boolean | ReturnType<typeof float> => typeof v === "boolean" || isNumber(v)

const numeric = (v: number | boolean | ReturnType<typeof float>): number => (typeof v === "boolean" ? Number(v) : num(v))

/** An int result stays an int, anything involving a float becomes a float (Python arithmetic). */
const numberResult = (a: PyValue, b: PyValue, value: number): PyValue => (isFloat(a) || isFloat(b) ? float(value) : value)

export type ComparisonOp = "<" | "<=" | ">" | ">="

/** Python rich comparison of two JSON values (numbers with numbers, strings with strings). */
export const pyCompare = (a: PyValue, op: ComparisonOp, b: PyValue): boolean => {
  let x: number | string
  let y: number | string
  if (isPyNumeric(a) && isPyNumeric(b)) {
    x = numeric(a)
    y = numeric(b)
  } else if (typeof a === "string" && typeof b === "string") {
    x = a
    y = b
  } else {
    throw new ToolError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`)
  }
  switch (op) {
    case "<":
      return x < y
    case "<=":
      return x <= y
    case ">":
      return x > y
    case ">=":
      return x >= y
  }
}

/** Python `a + b` (`+=` when `augmented`) for numbers and strings. */
export const pyAdd = (a: PyValue, b: PyValue, augmented = false): PyValue => {
  if (isPyNumeric(a) && isPyNumeric(b)) return numberResult(a, b, numeric(a) + numeric(b))
  if (typeof a === "string" && typeof b === "string") return a + b
  throw new ToolError(`unsupported operand type(s) for ${augmented ? "+=" : "+"}: '${typeName(a)}' and '${typeName(b)}'`)
}

/** Python `a - b` for numbers. */
export const pySub = (a: PyValue, b: PyValue): PyValue => {
  if (isPyNumeric(a) && isPyNumeric(b)) return numberResult(a, b, numeric(a) - numeric(b))
  throw new ToolError(`unsupported operand type(s) for -: '${typeName(a)}' and '${typeName(b)}'`)
}

/** Python `a * b` for numbers (sequence repetition is not needed by any telecom tool). */
export const pyMul = (a: PyValue, b: PyValue): PyValue => {
  if (isPyNumeric(a) && isPyNumeric(b)) return numberResult(a, b, numeric(a) * numeric(b))
  if ((typeof a === "string" || Array.isArray(a)) && !isPyNumeric(b)) throw new ToolError(`can't multiply sequence by non-int of type '${typeName(b)}'`)
  throw new ToolError(`unsupported operand type(s) for *: '${typeName(a)}' and '${typeName(b)}'`)
}

/** Python `abs(x)` for numbers. */
export const pyAbs = (a: PyValue): PyValue => {
  if (isPyNumeric(a)) return isFloat(a) ? float(Math.abs(a.value)) : Math.abs(numeric(a))
  throw new ToolError(`bad operand type for abs(): '${typeName(a)}'`)
}

/** Python `==` between a stored string and an argument of any type (no coercion). */
export const eq = (a: PyValue | undefined, b: PyValue | undefined): boolean => {
  if (typeof a === "string" || typeof b === "string") return a === b
  if (isPyNumeric(a) && isPyNumeric(b)) return numeric(a) === numeric(b)
  return a === b
}

/** Python `x in some_list` (membership compares with `==`, never hashes). */
export const inList = (list: PyValue | undefined, x: PyValue): boolean => Array.isArray(list) && list.some((item) => eq(item, x))

/**
 * Python attribute access `obj.name` on a value that may be `None` or not a model at all (a tool
 * argument stored as is): raises CPython's `AttributeError` text.
 */
export const attr = (obj: PyValue | undefined, name: string): PyValue => {
  if (isObj(obj) && Object.hasOwn(obj, name)) return obj[name]
  throw new ToolError(`'${typeName(obj)}' object has no attribute '${name}'`)
}

/**
 * The pydantic class a database object stands for. A task's initialisation data can re-point a
 * toolkit at the other side's database (reference `set_state`), so an attribute may be missing.
 */
const dbModelName = (db: Obj): string =>
  Object.hasOwn(db, "device") || Object.hasOwn(db, "surroundings") ? "TelecomUserDB" : Object.hasOwn(db, "plans") ? "TelecomDB" : "dict"

/** `self.db.<field>` on a telecom database: CPython's `AttributeError` if the model has no such field. */
export const dbField = (db: Obj, field: string): PyValue => {
  if (Object.hasOwn(db, field)) return db[field]
  throw new ToolError(`'${dbModelName(db)}' object has no attribute '${field}'`)
}

/** `attr` for assignment targets: the object itself. */
export const model = (obj: PyValue | undefined, name: string): Obj => {
  const v = attr(obj, name)
  if (!isObj(v)) throw new ToolError(`'${typeName(v)}' object has no attribute '${name}'`)
  return v
}

/** Python `s.method(...)` on a value that must be a string. */
export const requireStr = (v: PyValue | undefined, method: string): string => {
  if (typeof v === "string") return v
  throw new ToolError(`'${typeName(v)}' object has no attribute '${method}'`)
}

/** Python `seq[:stop]` with a `stop` of any type. */
export const sliceTo = <T>(list: ReadonlyArray<T>, stop: PyValue): T[] => {
  if (stop === null) return [...list]
  if (typeof stop === "boolean") return list.slice(0, Number(stop))
  if (typeof stop === "number") return list.slice(0, stop)
  throw new ToolError("slice indices must be integers or None or have an __index__ method")
}

/** Python `str(x)` as used in f-strings. */
export const s = (v: PyValue | undefined): string => (v === undefined ? "None" : pyStr(v))

/** Python `repr(x)`. */
export const r = (v: PyValue): string => pyRepr(v)

/** Python truthiness of a model attribute (`if device.vpn_details:`): any model is truthy. */
export const truthyValue = (v: PyValue | undefined): boolean => {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false
  if (isFloat(v)) return v.value !== 0
  if (Array.isArray(v)) return v.length > 0
  return true
}
