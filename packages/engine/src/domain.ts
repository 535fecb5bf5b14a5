/**
 * The contract between the engine and a domain: toolkits of pure tools over a shared world.
 *
 * A world root is an object with one member per database: `agent` (the domain database) and, in
 * dual-control domains, `user` (the user's device). A tool runs against a `Draft` scoped to the
 * database its toolkit owns, and either returns a result or throws `ToolError`.
 */
import type { Schema } from "effect"
import type { PyValue } from "./py/value.ts"
import type { TaskFamily } from "./sdk/family.ts"
import type { Task } from "./task.ts"
import type { Draft } from "./world/draft.ts"
import type { Node } from "./world/tree.ts"

export type ToolKind = "read" | "write" | "think" | "generic"
export type Side = "agent" | "user"
export type Requestor = "assistant" | "user"

/** An error a tool raises on purpose; its message becomes the output `Error: <message>`. */
export class ToolError extends Error {
  constructor(message: string) {
    // Tools raise on purpose and often (a failed lookup is an answer): the message is the whole
    // outcome, so no stack is captured; capturing it cost more than the rest of a failed call.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      super(message)
    } finally {
      Error.stackTraceLimit = limit
    }
    this.name = "ToolError"
  }
}

export interface ToolParam {
  readonly name: string
  readonly description?: string
  /** Describes the parameter to models (JSON schema); arguments are not validated against it. */
  readonly schema: Schema.Top
  /** Python default; a parameter without one is required. */
  readonly default?: PyValue
}

export interface ToolContext {
  /** Deterministic randomness for this call (seeded by the episode and the call). */
  readonly random: () => number
}

export interface ToolDef {
  readonly name: string
  readonly kind: ToolKind
  /** Defaults to `kind === "write"`. */
  readonly mutates?: boolean
  /** Docstring: summary, then optionally a blank line and a longer description. */
  readonly description: string
  readonly params: ReadonlyArray<ToolParam>
  /** Returns a string (shown verbatim) or a value (shown as Python `json.dumps`). */
  readonly run: (db: Draft, args: Readonly<Record<string, PyValue>>, ctx: ToolContext) => PyValue
}

/** Non-tool functions used by initialisation actions and env assertions. */
export type Helper = (db: Draft, args: Readonly<Record<string, PyValue>>, ctx: ToolContext) => PyValue

export interface Toolkit {
  /** Python class name, used in argument-binding error texts (`<Class>.<tool>() ...`). */
  readonly className: string
  readonly tools: ReadonlyArray<ToolDef>
  readonly helpers: Readonly<Record<string, Helper>>
}

/** Policy texts by variant; a variant the domain does not have is absent or undefined (like any index). */
export interface PolicyVariants {
  readonly default: string
  readonly solo?: string | undefined
  readonly [variant: string]: string | undefined
}

export interface Domain {
  readonly name: string
  readonly agentToolkit: Toolkit
  readonly userToolkit?: Toolkit
  /** Immutable world root `{ agent, user? }`, loaded once and shared by every episode. */
  readonly initialWorld: Node
  readonly policy: PolicyVariants
  readonly tasks: ReadonlyArray<Task>
  /** Task ids per split name (`base`, `train`, ...). */
  readonly splits: Readonly<Record<string, ReadonlyArray<string>>>
  /** Content hashes of what the domain was loaded from (data, tasks, policy). */
  readonly hashes: { readonly data: string; readonly tasks: string; readonly policy: string }
  /** Agent/user synchronisation after every tool call and step (telecom); records writes in the draft. */
  readonly sync?: (world: Draft) => void
  /** Whether the domain can run without a user (solo mode). */
  readonly supportsSolo?: boolean
  /** Atomic subtasks in groups, by family, that `tau tasks generate` composes into tasks (sdk/family.ts). */
  readonly taskFamilies?: ReadonlyArray<TaskFamily>
}

export const mutates = (t: ToolDef): boolean => t.mutates ?? t.kind === "write"

/** The tasks of one split in task-file order (like tau2's `get_tasks(split)`); no split = all tasks; undefined for an unknown split. */
export const splitTasks = (domain: Domain, split?: string): ReadonlyArray<Task> | undefined => {
  if (split === undefined) return domain.tasks
  const ids = Object.hasOwn(domain.splits, split) ? domain.splits[split] : undefined
  if (!ids) return undefined
  const wanted = new Set(ids)
  return domain.tasks.filter((t) => wanted.has(t.id))
}

const toolIndex = new WeakMap<Toolkit, Map<string, ToolDef>>()

/** Looks a tool up by name (indexed once per toolkit: this is on every call's path). */
export const findTool = (kit: Toolkit | undefined, name: string): ToolDef | undefined => {
  if (!kit) return undefined
  let index = toolIndex.get(kit)
  if (!index) {
    index = new Map(kit.tools.map((t) => [t.name, t]))
    toolIndex.set(kit, index)
  }
  return index.get(name)
}
