/** Tool JSON schemas generated from the tools' Effect Schemas, for the demo and every τ² domain. */
import { demoDomain } from "@tau-sim/domains/demo"
import { loadTau2Domain } from "@tau-sim/domains"
import type { ToolDef } from "@tau-sim/engine"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { DONE_TOOL, type FunctionTool, functionTool, modelJsonSchema, toolsJson } from "../src/index.ts"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

describe("modelJsonSchema", () => {
  it("keeps what a model needs and drops the JSON-codec details", () => {
    expect(modelJsonSchema(Schema.Number)).toEqual({ type: "number" })
    expect(modelJsonSchema(Schema.Int)).toEqual({ type: "integer" })
    expect(modelJsonSchema(Schema.NullOr(Schema.String))).toEqual({ anyOf: [{ type: "string" }, { type: "null" }] })
    expect(modelJsonSchema(Schema.Literals(["a", "b"]))).toEqual({ type: "string", enum: ["a", "b"] })
    const Named = Schema.Struct({ id: Schema.String.annotate({ description: "The id." }), n: Schema.Number }).annotate({ identifier: "Item" })
    expect(modelJsonSchema(Schema.Array(Named))).toEqual({
      type: "array",
      items: {
        type: "object",
        properties: { id: { type: "string", description: "The id." }, n: { type: "number" } },
        required: ["id", "n"],
      },
    })
    expect(modelJsonSchema(Schema.Record(Schema.String, Schema.Boolean))).toEqual({ type: "object", additionalProperties: { type: "boolean" } })
  })
})

describe("functionTool", () => {
  it("renders a tool in τ²'s function-schema shape: titles, descriptions, defaults, required", () => {
    const tool: ToolDef = {
      name: "create_task",
      kind: "write",
      description: "Create a task.\n\nLonger text.",
      params: [
        { name: "user_id", description: "The user.", schema: Schema.String },
        { name: "priority", schema: Schema.Int, default: 3 },
        { name: "note", description: "Optional.", schema: Schema.NullOr(Schema.String), default: null },
      ],
      run: () => null,
    }
    expect(functionTool(tool)).toEqual({
      type: "function",
      function: {
        name: "create_task",
        description: "Create a task.\n\nLonger text.",
        parameters: {
          type: "object",
          properties: {
            user_id: { type: "string", description: "The user.", title: "User Id" },
            priority: { type: "integer", title: "Priority", default: 3 },
            note: { anyOf: [{ type: "string" }, { type: "null" }], description: "Optional.", title: "Note", default: null },
          },
          required: ["user_id"],
        },
      },
    })
  })

  const domains = [
    ["demo", () => demoDomain()],
    ...(["mock", "airline", "retail", "telecom"] as const).map((name) => [name, () => loadTau2Domain(name, TAU2_DATA_DIR)] as const),
  ] as const

  for (const [name, load] of domains) {
    ;(name === "demo" ? it : data.it)(`gives every ${name} tool a self-contained schema listing exactly its parameters`, () => {
      const domain = load()
      const tools = [...domain.agentToolkit.tools, ...(domain.userToolkit?.tools ?? [])]
      expect(tools.length).toBeGreaterThan(0)
      for (const tool of tools) {
        const { function: f } = functionTool(tool)
        const text = JSON.stringify(f.parameters)
        expect(text, tool.name).not.toMatch(/\$ref|"NaN"|9007199254740991|"additionalProperties":true/)
        const properties = f.parameters.properties as Record<string, { title: string }>
        expect(Object.keys(properties), tool.name).toEqual(tool.params.map((p) => p.name))
        expect(f.parameters.required, tool.name).toEqual(tool.params.filter((p) => p.default === undefined).map((p) => p.name))
        expect(f.description).toBe(tool.description)
      }
    })
  }
})

describe("toolsJson", () => {
  it("is JSON.stringify of the tool list, for tools made here (their texts kept) and others alike", () => {
    const made = demoDomain().agentToolkit.tools.map(functionTool)
    const other: FunctionTool = {
      type: "function",
      function: { name: "x", description: 'a "quoted" tool', parameters: { type: "object", properties: {}, required: [] } },
    }
    for (const tools of [[], made, [...made, DONE_TOOL], [other, ...made], [other]]) expect(toolsJson(tools)).toBe(JSON.stringify(tools))
  })
})
