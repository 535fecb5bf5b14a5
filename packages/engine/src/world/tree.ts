/**
 * A persistent JSON tree with structural sharing.
 *
 * Base databases are megabytes and an episode touches a handful of fields, so a world is never
 * copied: an update copies only the nodes on its path. Copying a large object (a collection of
 * thousands of orders) on every write would still cost O(database), so large objects are not
 * copied but wrapped in an `Overlay` that records only the changed keys. Every operation is
 * therefore O(path length × changed keys), independent of the database size.
 *
 * Nodes are either plain immutable PyValues (shared with the base) or overlays; readers get plain
 * values back (`get` materialises an overlay only when a caller asks for the whole large object).
 */
import { isObject, PyFloat, type PyObject, type PyValue } from "../py/value.ts"

const DELETED: unique symbol = Symbol("deleted")
/** Objects with more keys than this are overlaid instead of copied. */
const LARGE_OBJECT = 64

export class Overlay {
  readonly base: PyObject
  readonly changes: ReadonlyMap<string, Node | typeof DELETED>
  constructor(base: PyObject, changes: ReadonlyMap<string, Node | typeof DELETED>) {
    this.base = base
    this.changes = changes
  }
}

export type Node = PyValue | Overlay

export type Path = ReadonlyArray<string>

/**
 * Whether an object is large enough to be overlaid: counting stops past the threshold and
 * allocates nothing, and an object found large is remembered, since for-in over a large object
 * collects all its keys first. (Small objects are not remembered: every write copies the small
 * objects on its path, and a cache entry per copy cost more than the count.)
 */
const isLarge = (o: PyObject): boolean => {
  if (largeObjects.has(o)) return true
  let keys = 0
  for (const _ in o) {
    if (++keys > LARGE_OBJECT) {
      largeObjects.add(o)
      return true
    }
  }
  return false
}
const largeObjects = new WeakSet<PyObject>()

const isContainer = (n: Node | undefined): boolean => n instanceof Overlay || (typeof n === "object" && n !== null && !(n instanceof PyFloat))

export const child = (node: Node | undefined, key: string): Node | undefined => {
  if (node instanceof Overlay) {
    const c = node.changes.get(key)
    if (c === DELETED) return undefined
    if (c !== undefined) return c
    return Object.hasOwn(node.base, key) ? node.base[key] : undefined
  }
  if (Array.isArray(node)) {
    if (!/^(0|[1-9]\d*)$/.test(key)) return undefined
    return (node as ReadonlyArray<PyValue>)[Number(key)]
  }
  if (isObject(node)) return Object.hasOwn(node, key) ? node[key] : undefined
  return undefined
}

export const nodeAt = (root: Node, path: Path): Node | undefined => {
  let n: Node | undefined = root
  for (const key of path) {
    n = child(n, key)
    if (n === undefined) return undefined
  }
  return n
}

/** Plain value of a node (O(size) only for overlays). */
export const materialize = (n: Node): PyValue => {
  if (n instanceof Overlay) {
    const out: Record<string, PyValue> = {}
    for (const key of keysOf(n)) out[key] = materialize(child(n, key) as Node)
    return out
  }
  // A plain container on the path of a write can hold an overlay deeper down (e.g. the agent
  // database holding its overlaid `orders`); only those are rebuilt, everything else is shared.
  if (!holdsOverlay.has(n as object)) return n
  if (Array.isArray(n)) return (n as ReadonlyArray<Node>).map(materialize)
  const out: Record<string, PyValue> = {}
  for (const key of Object.keys(n as PyObject)) out[key] = materialize((n as PyObject)[key] as Node)
  return out
}

/** Plain containers (built by writes) that have an `Overlay` somewhere below them. */
const holdsOverlay = new WeakSet<object>()
const carriesOverlay = (n: Node | undefined): boolean => n instanceof Overlay || (typeof n === "object" && n !== null && holdsOverlay.has(n))
const markIfHoldsOverlay = <T extends object>(container: T, previous: Node, value: Node | undefined): T => {
  if (carriesOverlay(previous) || carriesOverlay(value)) holdsOverlay.add(container)
  return container
}

/** Keys in Python dict order: surviving base keys first, then keys added later. */
export const keysOf = (n: Node | undefined): string[] => {
  if (n instanceof Overlay) {
    const keys = Object.keys(n.base).filter((k) => n.changes.get(k) !== DELETED)
    for (const [k, c] of n.changes) if (c !== DELETED && !Object.hasOwn(n.base, k)) keys.push(k)
    return keys
  }
  if (Array.isArray(n)) return n.map((_, i) => String(i))
  if (isObject(n)) return Object.keys(n)
  return []
}

export const sizeOf = (n: Node | undefined): number => keysOf(n).length

export const get = (root: Node, path: Path): PyValue | undefined => {
  const n = nodeAt(root, path)
  return n === undefined ? undefined : materialize(n)
}

export type Op =
  | { readonly op: "add"; readonly path: string; readonly value: PyValue }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "replace"; readonly path: string; readonly value: PyValue }

export class PatchError extends Error {
  readonly path: string
  constructor(message: string, path: string) {
    super(`${message}: ${path}`)
    this.name = "PatchError"
    this.path = path
  }
}

/** Sets (value) or deletes (undefined) the key in a container, returning the new container. */
const withChild = (node: Node, key: string, value: Node | undefined, op: Op["op"], pointer: string): Node => {
  if (node instanceof Overlay) {
    const changes = new Map(node.changes)
    changes.set(key, value === undefined ? DELETED : value)
    return new Overlay(node.base, changes)
  }
  if (Array.isArray(node)) {
    const arr = [...(node as PyValue[])]
    const index = key === "-" ? arr.length : Number(key)
    if (!Number.isInteger(index) || index < 0 || index > arr.length || (op !== "add" && index >= arr.length))
      throw new PatchError("array index out of range", pointer)
    if (op === "add") arr.splice(index, 0, value as PyValue)
    else if (op === "remove") arr.splice(index, 1)
    else arr[index] = value as PyValue
    return markIfHoldsOverlay(arr, node, value)
  }
  if (!isObject(node)) throw new PatchError("parent is not a container", pointer)
  if (isLarge(node)) return withChild(new Overlay(node, new Map()), key, value, op, pointer)
  const out: Record<string, PyValue> = {}
  for (const k of Object.keys(node)) if (k !== key || value !== undefined) out[k] = k === key ? (value as PyValue) : node[k]
  if (value !== undefined && !Object.hasOwn(node, key)) out[key] = value as PyValue
  return markIfHoldsOverlay(out, node, value)
}

export const apply = (root: Node, op: Op): Node => applyAt(root, op, parsePointer(op.path))

/** `apply` with `op.path` already split into its tokens (`parsePointer(op.path)`): writers that built the pointer from the path skip parsing it back. */
export const applyAt = (root: Node, op: Op, path: Path): Node => {
  if (path.length === 0) {
    if (op.op === "remove") throw new PatchError("cannot remove the root", op.path)
    return op.value
  }
  const go = (node: Node, depth: number): Node => {
    const key = path[depth]
    if (depth === path.length - 1) {
      const exists = child(node, key) !== undefined
      if (op.op !== "add" && !exists && !(Array.isArray(node) && op.op === "replace")) throw new PatchError(`cannot ${op.op} a missing member`, op.path)
      if (!isContainer(node)) throw new PatchError("parent is not a container", op.path)
      return withChild(node, key, op.op === "remove" ? undefined : op.value, op.op, op.path)
    }
    const next = child(node, key)
    if (next === undefined) throw new PatchError("path does not exist", op.path)
    return withChild(node, key, go(next, depth + 1), "replace", op.path)
  }
  return go(root, 0)
}

export const applyAll = (root: Node, ops: ReadonlyArray<Op>): Node => ops.reduce(apply, root)

// Almost no key holds `~` or `/`: testing first saves two string scans and copies per token.
export const escapeToken = (t: string): string => (t.includes("~") || t.includes("/") ? t.replaceAll("~", "~0").replaceAll("/", "~1") : t)
export const unescapeToken = (t: string): string => (t.includes("~") ? t.replaceAll("~1", "/").replaceAll("~0", "~") : t)
export const toPointer = (path: Path): string => path.map((t) => `/${escapeToken(t)}`).join("")
export const parsePointer = (pointer: string): string[] => {
  if (pointer === "") return []
  if (!pointer.startsWith("/")) throw new PatchError("a JSON pointer starts with '/'", pointer)
  return pointer.slice(1).split("/").map(unescapeToken)
}
