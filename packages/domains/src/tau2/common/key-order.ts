/**
 * Python dict order for objects with integer-like keys.
 *
 * A JS object lists keys that look like array indices ("1008292230") first, in ascending numeric
 * order, whatever order they were inserted in; a Python dict keeps insertion order. Retail's
 * product and item ids are such keys, so `get_product_details` would list a product's variants in
 * a different order than the reference. The JSON database loader (`loadJsonModel` with
 * `keyOrder`) records the file order of those objects here (keyed by object identity: the loaded
 * database is immutable and shared), and `dumpsInSourceOrder` renders JSON with it. Objects not
 * recorded (or whose key set changed) fall back to JS order.
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
  if (isObject(v))
    return `{${keysInSourceOrder(v)
      .map((k) => `${PyJson.dumps(k)}: ${dumpsInSourceOrder(v[k])}`)
      .join(", ")}}`
  return PyJson.dumps(v)
}

/** The end of the JSON string whose opening quote is at `open`: the index of its closing quote. */
const stringEnd = (text: string, open: number): number => {
  let i = text.indexOf('"', open + 1)
  // A quote preceded by an odd number of backslashes is escaped.
  for (;;) {
    let backslashes = 0
    while (text.charCodeAt(i - 1 - backslashes) === 92) backslashes++
    if (backslashes % 2 === 0) return i
    i = text.indexOf('"', i + 1)
  }
}

const stringAt = (text: string, open: number, close: number): string => {
  const raw = text.slice(open + 1, close)
  return raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw
}

/** The keys of the object whose `{` is at `open`, in file order. */
const keysOfObjectAt = (text: string, open: number): string[] => {
  const keys: string[] = []
  let depth = 0
  let expectKey = true
  const structural = /["{}[\],]/g
  structural.lastIndex = open
  for (let m = structural.exec(text); m !== null; m = structural.exec(text)) {
    const c = text.charCodeAt(m.index)
    if (c === 34 /* " */) {
      const close = stringEnd(text, m.index)
      if (depth === 1 && expectKey) keys.push(stringAt(text, m.index, close))
      expectKey = false
      structural.lastIndex = close + 1
    } else if (c === 123 /* { */ || c === 91 /* [ */) depth++
    else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (--depth === 0) break
    } else if (depth === 1) expectKey = true
  }
  return keys
}

/**
 * Scans JSON text and returns, for every object that has an integer-like key, its keys in file
 * order, by path (tokens joined with "\u0000"). Only the structure is read; values are skipped.
 * It runs over every JSON database at load time, so it keeps almost nothing per container: the
 * rare objects with such a key are read again for their keys, and paths are built only for them.
 */
export const integerKeyedObjectOrders = (text: string): Map<string, string[]> => {
  interface Frame {
    readonly parent: Frame | undefined
    /** Where the parent holds this container: a key's quote positions, or an index. */
    readonly segment: readonly [open: number, close: number] | number
    readonly open: number
    readonly object: boolean
    index: number
    expectKey: boolean
    /** Quote positions of the current key. */
    key: readonly [open: number, close: number]
    hasIndexKey: boolean
  }
  const pathOf = (frame: Frame): string => {
    const segments: string[] = []
    for (let f: Frame = frame; f.parent !== undefined; f = f.parent)
      segments.push(typeof f.segment === "number" ? String(f.segment) : stringAt(text, f.segment[0], f.segment[1]))
    return segments.reverse().join("\u0000")
  }
  const found = new Map<string, string[]>()
  let top: Frame | undefined
  const structural = /["{}[\],]/g
  for (let m = structural.exec(text); m !== null; m = structural.exec(text)) {
    const i = m.index
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      const close = stringEnd(text, i)
      structural.lastIndex = close + 1
      if (top?.object && top.expectKey) {
        top.key = [i, close]
        top.expectKey = false
        // Only keys starting with a digit can be array indices.
        const first = text.charCodeAt(i + 1)
        if (!top.hasIndexKey && first >= 48 && first <= 57 && isArrayIndexKey(stringAt(text, i, close))) top.hasIndexKey = true
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      const segment = top === undefined ? -1 : top.object ? top.key : top.index
      top = { parent: top, segment, open: i, object: c === 123, index: 0, expectKey: c === 123, key: [i, i], hasIndexKey: false }
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      const frame = top as Frame
      if (frame.hasIndexKey) found.set(pathOf(frame), keysOfObjectAt(text, frame.open))
      top = frame.parent
    } else {
      const frame = top as Frame
      if (frame.object) frame.expectKey = true
      else frame.index++
    }
  }
  return found
}
