/**
 * Executing one tool call against a world: the pure decider `(world, call) -> { output, error, patch }`.
 *
 * Follows the reference's `get_response` (semantics §3.2-3.3): routing by requestor, Python-style
 * argument binding errors, tool exceptions rendered as `Error: <message>`, results rendered as the
 * string itself or Python `json.dumps`, and the domain's sync after a successful call.
 */
import { type Domain, findTool, type Helper, type Requestor, type Side, ToolError, type ToolContext, type ToolDef, type Toolkit } from "./domain.ts"
import { dumps } from "./py/json.ts"
import type { PyValue } from "./py/value.ts"
import { Draft } from "./world/draft.ts"
import { child, type Node, type Op } from "./world/tree.ts"

export interface ToolCall {
  readonly id: string
  readonly name: string
  readonly arguments: Readonly<Record<string, PyValue>>
  readonly requestor: Requestor
}

export interface ToolOutcome {
  readonly output: string
  readonly error: boolean
  readonly patch: ReadonlyArray<Op>
  /** The world after the patch (not stored; handy for callers that continue from it). */
  readonly world: Node
}

export interface ExecuteOptions {
  readonly solo?: boolean
  /** Run the domain's sync after a successful call (true in live runs, false for gold actions). */
  readonly sync?: boolean
}

/** A Python-like exception raised while binding arguments (missing / unexpected). */
class BindError extends Error {}

const bindArguments = (kit: Toolkit, tool: ToolDef, args: Readonly<Record<string, PyValue>>): Record<string, PyValue> => {
  const known = new Set(tool.params.map((p) => p.name))
  for (const key of Object.keys(args)) {
    if (!known.has(key)) throw new BindError(`${kit.className}.${tool.name}() got an unexpected keyword argument '${key}'`)
  }
  const missing = tool.params.filter((p) => p.default === undefined && !Object.hasOwn(args, p.name)).map((p) => `'${p.name}'`)
  if (missing.length > 0) {
    const list = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(", ")} and ${missing.at(-1)}`
    throw new BindError(`${kit.className}.${tool.name}() missing ${missing.length} required positional argument${missing.length === 1 ? "" : "s"}: ${list}`)
  }
  const bound: Record<string, PyValue> = {}
  for (const p of tool.params) bound[p.name] = Object.hasOwn(args, p.name) ? args[p.name] : (p.default as PyValue)
  return bound
}

/**
 * The database a toolkit works on. Normally its own side; the reference re-points toolkits when a
 * task's initialisation data is merged (§3.5), which we record in the world under `_scopes`.
 */
export const SCOPES_KEY = "_scopes"
export const scopeOf = (world: Node, side: Side): string => {
  const scoped = child(child(world, SCOPES_KEY), side)
  return typeof scoped === "string" ? scoped : side
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** Routes and runs one call (§3.2); throws the tool's exception. */
const route = (domain: Domain, draft: Draft, call: ToolCall, ctx: ToolContext, solo: boolean): PyValue => {
  let kit: Toolkit | undefined
  let side: Side
  if (call.requestor === "user") {
    if (solo) throw new ToolError("User tool calls are not allowed in solo mode")
    if (!domain.userToolkit) throw new ToolError("User tools not available")
    kit = domain.userToolkit
    side = "user"
  } else if (solo && findTool(domain.userToolkit, call.name)) {
    kit = domain.userToolkit
    side = "user"
  } else {
    kit = domain.agentToolkit
    side = "agent"
  }
  const tool = findTool(kit, call.name)
  if (!kit || !tool) throw new ToolError(`Tool '${call.name}' not found.`)
  const args = bindArguments(kit, tool, call.arguments)
  return tool.run(draft.at(scopeOf(draft.root, side)), args, ctx)
}

export const renderResult = (result: PyValue): string => (typeof result === "string" ? result : dumps(result))

export const executeToolCall = (domain: Domain, world: Node, call: ToolCall, ctx: ToolContext, options: ExecuteOptions = {}): ToolOutcome => {
  const draft = new Draft(world)
  try {
    const result = route(domain, draft, call, ctx, options.solo ?? false)
    if (options.sync !== false) domain.sync?.(draft)
    return { output: renderResult(result), error: false, patch: draft.ops, world: draft.root }
  } catch (e) {
    // Like Python, writes made before the exception stay; there is no sync after a failed call.
    return { output: `Error: ${errorText(e)}`, error: true, patch: draft.ops, world: draft.root }
  }
}

/** Runs a non-tool helper (initialisation action or assertion) on one side of the world. */
export const runHelper = (
  domain: Domain,
  world: Node,
  side: Side,
  funcName: string,
  args: Readonly<Record<string, PyValue>>,
  ctx: ToolContext,
): { result: PyValue; patch: ReadonlyArray<Op>; world: Node } => {
  const kit = side === "user" ? domain.userToolkit : domain.agentToolkit
  const draft = new Draft(world)
  const scoped = draft.at(scopeOf(world, side))
  const helper: Helper | undefined = kit?.helpers[funcName]
  let result: PyValue
  if (helper) result = helper(scoped, args, ctx)
  else {
    const tool = findTool(kit, funcName)
    if (!kit || !tool) throw new ToolError(`Function '${funcName}' not found in ${side} tools`)
    result = tool.run(scoped, bindArguments(kit, tool, args), ctx)
  }
  return { result, patch: draft.ops, world: draft.root }
}

/** Runs the domain's synchronisation on a world, returning its patch (empty for most domains). */
export const syncWorld = (domain: Domain, world: Node): { patch: ReadonlyArray<Op>; world: Node } => {
  if (!domain.sync) return { patch: [], world }
  const draft = new Draft(world)
  domain.sync(draft)
  return { patch: draft.ops, world: draft.root }
}
