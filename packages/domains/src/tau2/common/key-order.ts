/**
 * Python dict order for objects with integer-like keys.
 *
 * A JS object lists keys that look like array indices ("1008292230") first, in ascending numeric
 * order, whatever order they were inserted in; a Python dict keeps insertion order. Retail's
 * product and item ids are such keys, so `get_product_details` would list a product's variants in
 * a different order than the reference. The loader records the file order of those objects here
 * (keyed by object identity: the loaded database is immutable and shared), and `dumpsInSourceOrder`
 * renders JSON with it. Objects not recorded (or whose key set changed) fall back to JS order.
 */
import { isObject, type PyObject, PyJson, type PyValue } from "@tau-sim/engine"

const sourceOrder = new WeakMap<object, ReadonlyArray<string>>()

/** JS moves canonical array-index keys (0 .. 2^32-2) to the front. */
export const isArrayIndexKey = (key: string): boolean => /^(0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295

/** Remembers the file order of `obj`'s keys when JS iteration would differ from it. */
export const rememberKeyOrder = (obj: PyObject, keys: ReadonlyArray<string>): void => {
  const jsOrder = Object.keys(obj)
  if (jsOrder.length === keys.length && jsOrder.every((k, i) => k === keys[i])) return
  sourceOrder.set(obj, [...keys])
}

/** The keys of `obj` in Python dict order when known, else in JS order. */
export const keysInSourceOrder = (obj: PyObject): ReadonlyArray<string> => {
  const recorded = sourceOrder.get(obj)
  if (recorded === undefined) return Object.keys(obj)
  const current = Object.keys(obj)
  const same = recorded.length === current.length && recorded.every((k) => Object.hasOwn(obj, k))
  return same ? recorded : current
}

/** Python `json.dumps(v)` with recorded dict orders (otherwise identical to `PyJson.dumps`). */
export const dumpsInSourceOrder = (v: PyValue): string => {
  if (Array.isArray(v)) return `[${v.map(dumpsInSourceOrder).join(", ")}]`
  if (isObject(v)) return `{${keysInSourceOrder(v).map((k) => `${PyJson.dumps(k)}: ${dumpsInSourceOrder(v[k])}`).join(", ")}}`
  return PyJson.dumps(v)
}

/**
 * Scans JSON text and returns, for every object that has an integer-like key, its keys in file
 * order, by path (tokens joined with "\u0000"). Only the structure is read; values are skipped.
 */
export const integerKeyedObjectOrders = (text: string): Map<string, string[]> => {
  interface Frame {
    readonly object: boolean
    readonly path: ReadonlyArray<string>
    readonly keys: string[]
    index: number
    expectKey: boolean
    key: string | undefined
  }
  const found = new Map<string, string[]>()
  const stack: Frame[] = []
  const childPath = (): string[] => {
    const top = stack.at(-1)
    if (top === undefined) return []
    return [...top.path, top.object ? (top.key as string) : String(top.index)]
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      const start = i
      for (i++; text[i] !== '"'; i++) if (text[i] === "\\") i++
      const top = stack.at(-1)
      if (top?.object && top.expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string
        top.keys.push(key)
        top.key = key
        top.expectKey = false
      }
    } else if (c === "{" || c === "[") {
      stack.push({ object: c === "{", path: childPath(), keys: [], index: 0, expectKey: c === "{", key: undefined })
    } else if (c === "}" || c === "]") {
      const frame = stack.pop() as Frame
      if (frame.object && frame.keys.some(isArrayIndexKey)) found.set(frame.path.join("\u0000"), frame.keys)
    } else if (c === ",") {
      const top = stack.at(-1) as Frame
      if (top.object) top.expectKey = true
      else top.index++
    }
  }
  return found
}
