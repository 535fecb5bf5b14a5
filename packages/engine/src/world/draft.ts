/**
 * A draft is how a tool reads and writes the world: reads see the tool's own earlier writes, and
 * every write is recorded as a JSON Patch operation. The tool never mutates anything; the engine
 * keeps the recorded patch as the fact of what the tool did.
 */
import type { PyValue } from "../py/value.ts"
import { applyAt, child, keysOf, materialize, type Node, nodeAt, type Op, parsePointer, type Path, toPointer } from "./tree.ts"

interface DraftState {
  root: Node
  readonly ops: Op[]
}

export class Draft {
  readonly #state: DraftState
  /** Path of this view inside the world root (e.g. `["agent"]` for the agent database). */
  readonly scope: Path

  constructor(root: Node, scope: Path = [], state?: DraftState) {
    this.#state = state ?? { root, ops: [] }
    this.scope = scope
  }

  /** A view of a sub-tree that shares this draft's recorded operations. */
  at(...path: string[]): Draft {
    return new Draft(this.#state.root, [...this.scope, ...path], this.#state)
  }

  /**
   * A view of the world root (not of this draft's scope) that shares this draft's recorded
   * operations: for world members that belong to no single database, such as state of the
   * reference's Python process that a domain models explicitly.
   */
  atRoot(...path: string[]): Draft {
    return new Draft(this.#state.root, path, this.#state)
  }

  get root(): Node {
    return this.#state.root
  }
  get ops(): ReadonlyArray<Op> {
    return this.#state.ops
  }

  /** The plain value at `path` (relative to the scope), or undefined. */
  get(...path: string[]): PyValue | undefined {
    const n = nodeAt(this.#state.root, [...this.scope, ...path])
    return n === undefined ? undefined : materialize(n)
  }
  has(...path: string[]): boolean {
    return nodeAt(this.#state.root, [...this.scope, ...path]) !== undefined
  }
  /** Keys of an object (in insertion order) or indices of an array, without materialising it. */
  keys(...path: string[]): string[] {
    return keysOf(nodeAt(this.#state.root, [...this.scope, ...path]))
  }
  /** Iterates the members of a large collection lazily. */
  *entries(...path: string[]): Generator<[string, PyValue]> {
    const n = nodeAt(this.#state.root, [...this.scope, ...path])
    for (const k of keysOf(n)) yield [k, materialize(child(n, k) as Node)]
  }

  /** Adds or replaces the member at `path`. */
  set(path: ReadonlyArray<string>, value: PyValue): void {
    const full = [...this.scope, ...path]
    this.#write({ op: nodeAt(this.#state.root, full) === undefined ? "add" : "replace", path: toPointer(full), value }, full)
  }
  /** Appends to the array at `path`. */
  push(path: ReadonlyArray<string>, value: PyValue): void {
    const full = [...this.scope, ...path]
    const length = keysOf(nodeAt(this.#state.root, full)).length
    full.push(String(length))
    this.#write({ op: "add", path: toPointer(full), value }, full)
  }
  remove(path: ReadonlyArray<string>): void {
    const full = [...this.scope, ...path]
    this.#write({ op: "remove", path: toPointer(full) }, full)
  }
  /** Applies an operation whose path is absolute (from the world root). */
  record(op: Op): void {
    this.#write(op, parsePointer(op.path))
  }
  /** `record` of an operation whose pointer was made from `path` (not parsed back). */
  #write(op: Op, path: Path): void {
    this.#state.root = applyAt(this.#state.root, op, path)
    this.#state.ops.push(op)
  }
}
