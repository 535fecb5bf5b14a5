/**
 * Running reference-style, in-place-mutating tool code against the immutable world.
 *
 * The telecom reference mutates pydantic objects everywhere (a network search rewrites four device
 * fields, a refuel appends to a bill and bumps its total, sync crosses both databases). Porting that
 * code to path-by-path `Draft` writes would obscure it, and both telecom databases are small (a few
 * kilobytes), so a tool instead works on a private deep copy of the databases it needs and, when it
 * returns or raises, every difference is recorded in the draft as leaf-level JSON Patch writes.
 * Writes made before an exception are kept, like Python's in-place mutations.
 */
import { type Draft, isFloat, type PyValue } from "@tau-sim/engine"
import { isObj, type Obj } from "./python.ts"

/** Deep copy of a JSON value; `PyFloat`s are immutable and shared. */
export const deepClone = <T extends PyValue>(v: T): T => {
  if (v === null || typeof v !== "object" || isFloat(v)) return v
  if (Array.isArray(v)) return v.map((x) => deepClone(x)) as unknown as T
  const out: Obj = {}
  // Own keys in Object.keys order without an entries array per object (every tool call copies its database).
  const o = v as Obj
  for (const k in o) out[k] = deepClone(o[k] as PyValue)
  return out as T
}

/** Same value and same Python type (`1` and `1.0` differ: they render and hash differently). */
const sameScalar = (a: PyValue, b: PyValue): boolean => a === b || (isFloat(a) && isFloat(b) && Object.is(a.value, b.value))

const sameKeys = (beforeKeys: ReadonlyArray<string>, afterKeys: ReadonlyArray<string>): boolean => {
  if (beforeKeys.length !== afterKeys.length) return false
  for (let i = 0; i < beforeKeys.length; i++) if (beforeKeys[i] !== afterKeys[i]) return false
  return true
}

/** Whether the keys both objects have appear in the same relative order. */
const sameKeyOrder = (beforeKeys: ReadonlyArray<string>, afterKeys: ReadonlyArray<string>, before: Obj, after: Obj): boolean => {
  if (beforeKeys.length === afterKeys.length && beforeKeys.every((k, i) => afterKeys[i] === k)) return true
  const common = (keys: ReadonlyArray<string>, other: Obj) => keys.filter((k) => Object.hasOwn(other, k)).join("\u0000")
  return common(beforeKeys, after) === common(afterKeys, before)
}

/**
 * Records in `draft` the writes that turn `before` into `after`. `path` (relative to the draft's
 * scope) is a stack shared by the recursion; it is copied only when a write is recorded.
 */
const record = (draft: Draft, path: string[], before: PyValue, after: PyValue): void => {
  if (before === after) return
  if (isObj(before) && isObj(after)) {
    const beforeKeys = Object.keys(before)
    const afterKeys = Object.keys(after)
    if (sameKeys(beforeKeys, afterKeys)) {
      // The common case (a copy the tool left as it was, or changed in values only): nothing added or
      // removed, so the writes are those below each key in order; unchanged scalars cost no call.
      for (const k of afterKeys) {
        const b = before[k] as PyValue
        const a = after[k] as PyValue
        if (b === a || (typeof b !== "object" && typeof a !== "object")) {
          if (b !== a) draft.set([...path, k], a)
          continue
        }
        path.push(k)
        record(draft, path, b, a)
        path.pop()
      }
      return
    }
    if (!sameKeyOrder(beforeKeys, afterKeys, before, after)) {
      // Key order is part of a model dump; a reordered object is replaced as a whole.
      draft.set([...path], after)
      return
    }
    for (const k of beforeKeys) if (!Object.hasOwn(after, k)) draft.remove([...path, k])
    for (const k of afterKeys) {
      if (!Object.hasOwn(before, k)) {
        draft.set([...path, k], after[k])
        continue
      }
      path.push(k)
      record(draft, path, before[k], after[k])
      path.pop()
    }
    return
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const common = Math.min(before.length, after.length)
    for (let i = 0; i < common; i++) {
      path.push(String(i))
      record(draft, path, before[i], after[i])
      path.pop()
    }
    for (let i = common; i < after.length; i++) draft.set([...path, String(i)], after[i])
    for (let i = before.length - 1; i >= common; i--) draft.remove([...path, String(i)])
    return
  }
  if (!sameScalar(before, after)) draft.set([...path], after)
}

/** Records in `draft` (at `path`, relative to its scope) the writes that turn `before` into `after`. */
export const recordChanges = (draft: Draft, path: ReadonlyArray<string>, before: PyValue, after: PyValue): void => record(draft, [...path], before, after)

/**
 * Gives `run` mutable copies of the databases at `views` (drafts scoped to each database) and
 * records what it changed, also when it throws. Views on the same database share one copy, like
 * two reference toolkits pointing at one DB object.
 */
export const withWorkingCopies = <T>(views: ReadonlyArray<Draft>, run: (...dbs: Obj[]) => T): T => {
  const byScope = new Map<string, { view: Draft; before: PyValue; copy: Obj }>()
  const copies = views.map((view) => {
    const key = view.scope.join("\u0000")
    let entry = byScope.get(key)
    if (!entry) {
      const before = view.get() as PyValue
      const copy = deepClone(before)
      if (!isObj(copy)) throw new Error(`telecom: no database at /${view.scope.join("/")}`)
      entry = { view, before, copy }
      byScope.set(key, entry)
    }
    return entry.copy
  })
  try {
    return run(...copies)
  } finally {
    for (const { view, before, copy } of byScope.values()) recordChanges(view, [], before, copy)
  }
}

/** `withWorkingCopies` for one database. */
export const withWorkingCopy = <T>(view: Draft, run: (db: Obj) => T): T => withWorkingCopies([view], run)
