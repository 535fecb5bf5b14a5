/**
 * What the evaluator needs to know about a domain's tools, looked up once per domain.
 *
 * The reference asks the environment: `_has_tool` (agent or user toolkit), `is_mutating_tool`
 * (agent toolkit first, then the user toolkit) and the tool-type map used by action checks, where
 * the user toolkit's entries overwrite the agent's (`tool_types.update(user_tool_types)`).
 */
import { type Domain, mutates, type ToolKind } from "@tau-sim/engine"

export interface ToolRegistry {
  readonly has: (name: string) => boolean
  readonly mutates: (name: string) => boolean
  /** `tool_type` of action checks; null when neither toolkit has the tool. */
  readonly kind: (name: string) => ToolKind | null
}

const registries = new WeakMap<Domain, ToolRegistry>()

export const toolRegistry = (domain: Domain): ToolRegistry => {
  const cached = registries.get(domain)
  if (cached) return cached
  const mutating = new Map<string, boolean>()
  const kinds = new Map<string, ToolKind>()
  // Later writes win: the agent's mutation flag, the user's tool type.
  for (const kit of [domain.userToolkit, domain.agentToolkit]) for (const tool of kit?.tools ?? []) mutating.set(tool.name, mutates(tool))
  for (const kit of [domain.agentToolkit, domain.userToolkit]) for (const tool of kit?.tools ?? []) kinds.set(tool.name, tool.kind)
  const registry: ToolRegistry = {
    has: (name) => mutating.has(name),
    mutates: (name) => mutating.get(name) ?? true,
    kind: (name) => kinds.get(name) ?? null,
  }
  registries.set(domain, registry)
  return registry
}
