/**
 * Argument binding for non-tool helpers. The engine binds tool arguments like a Python call but
 * hands helpers the raw arguments; the reference calls helpers as methods too, so a missing or
 * unexpected argument raises the same `TypeError` text and optional parameters take their default.
 */
import type { PyValue } from "@tau-sim/engine"
import { ToolError } from "@tau-sim/engine"

/** A helper parameter: `"name"` is required, `["name", default]` is optional. */
export type HelperParam = string | readonly [string, PyValue]

export const bindHelperArguments = (
  className: string,
  name: string,
  params: ReadonlyArray<HelperParam>,
  args: Readonly<Record<string, PyValue>>,
): Record<string, PyValue> => {
  const names = params.map((p) => (typeof p === "string" ? p : p[0]))
  for (const key of Object.keys(args)) {
    if (!names.includes(key)) throw new ToolError(`${className}.${name}() got an unexpected keyword argument '${key}'`)
  }
  const missing = params.filter((p): p is string => typeof p === "string" && !Object.hasOwn(args, p)).map((p) => `'${p}'`)
  if (missing.length > 0) {
    const list = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(", ")} and ${missing.at(-1)}`
    throw new ToolError(`${className}.${name}() missing ${missing.length} required positional argument${missing.length === 1 ? "" : "s"}: ${list}`)
  }
  const bound: Record<string, PyValue> = {}
  for (const p of params) {
    const [key, fallback] = typeof p === "string" ? [p, undefined] : p
    bound[key] = Object.hasOwn(args, key) ? args[key] : (fallback as PyValue)
  }
  return bound
}
