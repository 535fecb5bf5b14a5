import { describe, expect, it } from "vitest"
import { ToolError } from "../src/index.ts"

describe("ToolError", () => {
  it("carries its name and message but no stack frames, and leaves Error.stackTraceLimit as it was", () => {
    const limit = Error.stackTraceLimit
    const error = new ToolError("Task task_2 not found")
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe("ToolError")
    expect(error.message).toBe("Task task_2 not found")
    expect(error.stack?.split("\n").filter((line) => line.trimStart().startsWith("at "))).toEqual([])
    expect(Error.stackTraceLimit).toBe(limit)
  })
})
