/**
 * Tool definitions as models see them: τ²'s function-schema shape
 * `{type: "function", function: {name, description, parameters}}`, with the parameter schemas
 * generated from the tools' Effect Schemas.
 *
 * Effect's JSON Schema describes its JSON codec, which is looser than what a model should be
 * told (numbers also accept "NaN"/"Infinity" strings, integers carry ±2^53 bounds, objects are
 * explicitly open, named schemas are `$ref`s); those details are simplified away here.
 */
import { type PyValue, PyJson, type ToolDef } from "@tau-sim/engine"
import { Schema } from "effect"
import type { FunctionTool, JsonSchema } from "./port.ts"

type Json = { [key: string]: unknown }

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v)

const isNonFiniteNumberBranch = (s: unknown): boolean =>
  isObject(s) && s.type === "string" && Array.isArray(s.enum) && s.enum.every((e) => e === "NaN" || e === "Infinity" || e === "-Infinity")

const MAX_DEPTH = 32

const simplify = (schema: unknown, definitions: Json, depth = 0): unknown => {
  if (!isObject(schema) || depth > MAX_DEPTH) return schema
  let s: Json = schema
  if (typeof s.$ref === "string") {
    const name = decodeURIComponent(s.$ref.replace(/^#\/(\$defs|definitions)\//, ""))
    const { $ref: _ref, ...rest } = s
    s = { ...(isObject(definitions[name]) ? definitions[name] : {}), ...rest }
  }
  const out: Json = {}
  for (const [key, value] of Object.entries(s)) {
    if (key === "additionalProperties" && value === true) continue
    if ((key === "minimum" || key === "maximum") && s.type === "integer" && Math.abs(Number(value)) === Number.MAX_SAFE_INTEGER) continue
    if (key === "properties" && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, simplify(v, definitions, depth + 1)]))
    } else if ((key === "anyOf" || key === "oneOf" || key === "allOf") && Array.isArray(value)) {
      out[key] = value.filter((v) => !isNonFiniteNumberBranch(v)).map((v) => simplify(v, definitions, depth + 1))
    } else if ((key === "items" || key === "additionalProperties" || key === "not") && isObject(value)) {
      out[key] = simplify(value, definitions, depth + 1)
    } else if (key === "prefixItems" && Array.isArray(value)) {
      out[key] = value.map((v) => simplify(v, definitions, depth + 1))
    } else {
      out[key] = value
    }
  }
  // A union left with one branch is that branch.
  for (const key of ["anyOf", "oneOf"] as const) {
    const branches = out[key]
    if (Array.isArray(branches) && branches.length === 1 && isObject(branches[0])) {
      const { [key]: _, ...rest } = out
      return { ...(branches[0] as Json), ...rest }
    }
  }
  return out
}

/** The JSON schema of one Effect Schema, simplified for models. */
export const modelJsonSchema = (schema: Schema.Top): JsonSchema => {
  const document = Schema.toJsonSchemaDocument(schema)
  return simplify(document.schema, document.definitions as Json) as JsonSchema
}

/** `user_id` → `User Id` (pydantic's default field title, as τ² shows it). */
const title = (name: string) =>
  name
    .split("_")
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(" ")

/** Tool definitions never change: each is converted once. */
const converted = new WeakMap<ToolDef, FunctionTool>()

/** The JSON texts of the tools made here (never changed once made); the request hash takes them on every call. */
const texts = new WeakMap<FunctionTool, string>()

export const functionTool = (tool: ToolDef): FunctionTool => {
  let fn = converted.get(tool)
  if (!fn) {
    fn = toFunctionTool(tool)
    converted.set(tool, fn)
    texts.set(fn, JSON.stringify(fn))
  }
  return fn
}

/** `JSON.stringify(tools)`, from the texts kept for the tools made here. */
export const toolsJson = (tools: ReadonlyArray<FunctionTool>): string => {
  let out = "["
  for (let i = 0; i < tools.length; i++) out += `${i > 0 ? "," : ""}${texts.get(tools[i]) ?? JSON.stringify(tools[i]) ?? "null"}`
  return `${out}]`
}

const toFunctionTool = (tool: ToolDef): FunctionTool => {
  const properties: Json = {}
  for (const param of tool.params) {
    const schema = modelJsonSchema(param.schema) as Json
    properties[param.name] = {
      ...schema,
      ...(param.description !== undefined ? { description: param.description } : {}),
      title: title(param.name),
      ...(param.default !== undefined ? { default: PyJson.toPlain(param.default as PyValue) } : {}),
    }
  }
  return {
    type: "function",
    function: {
      name: tool.name,
      description: tool.description,
      parameters: {
        type: "object",
        properties,
        required: tool.params.filter((p) => p.default === undefined).map((p) => p.name),
      },
    },
  }
}

/** The `done` tool of the solo agent (§6.4): calling it ends the episode. */
export const DONE_TOOL: FunctionTool = {
  type: "function",
  function: {
    name: "done",
    description: "Call this when the ticket is fully resolved. It ends the session; make no other call in the same turn.",
    parameters: { type: "object", properties: {}, required: [] },
  },
}
texts.set(DONE_TOOL, JSON.stringify(DONE_TOOL))
