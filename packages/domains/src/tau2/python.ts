/**
 * Python dict, attribute and iteration semantics for tools that read a DB through a `Draft`.
 *
 * Tool arguments arrive undecoded (an LLM may send `1`, `1.0` or a list where a string id is
 * expected), and the reference simply does `key in self.db.users`: a non-string never matches a
 * string key, and a list or dict raises `TypeError: unhashable type`. JS property lookup would
 * instead coerce `1` to `"1"`, so every id lookup goes through `hasKey`.
 */
import { type Draft, isFloat, isObject, type PyValue, ToolError, typeName } from "@tau-sim/engine"

/** Python `key in db[...path]` for a dict with string keys. */
export const hasKey = (db: Draft, path: ReadonlyArray<string>, key: PyValue | undefined): key is string => {
  if (Array.isArray(key) || (key !== null && typeof key === "object" && !isFloat(key))) throw new ToolError(`unhashable type: '${typeName(key)}'`)
  return typeof key === "string" && db.has(...path, key)
}

/**
 * Python attribute access `self.db.<field>` on a pydantic DB: when a task re-pointed this toolkit at
 * the other side's database (reference `set_state`), the field may not exist and Python raises
 * `AttributeError: '<Model>' object has no attribute '<field>'`.
 */
export const requireField = (db: Draft, field: string, modelName: (db: Draft) => string): void => {
  if (!db.has(field)) throw new ToolError(`'${modelName(db)}' object has no attribute '${field}'`)
}

/** `for x in v`: list items, string characters (code points), dict keys; anything else is not iterable. */
export const iterate = (v: PyValue): PyValue[] => {
  if (Array.isArray(v)) return [...v]
  if (typeof v === "string") return [...v]
  if (isObject(v)) return Object.keys(v)
  throw new ToolError(`'${typeName(v)}' object is not iterable`)
}

/** `len(v)`. */
export const len = (v: PyValue): number => {
  if (Array.isArray(v)) return v.length
  if (typeof v === "string") return [...v].length
  if (isObject(v)) return Object.keys(v).length
  throw new ToolError(`object of type '${typeName(v)}' has no len()`)
}
