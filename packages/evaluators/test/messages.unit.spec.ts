import { isFloat } from "@tau-sim/engine"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { hasTextContent, MessageDecodeError, parseTau2Messages as parseTau2MessagesResult, toolCallsOf } from "../src/index.ts"

/** The messages, or the MessageDecodeError thrown. */
const parseTau2Messages = (json: string) => Result.getOrThrow(parseTau2MessagesResult(json))

describe("τ² trajectory messages", () => {
  it("keeps int/float identity and fills the reference's defaults", () => {
    const [call, tool] = parseTau2Messages(
      JSON.stringify([
        { role: "user", content: null, tool_calls: [{ name: "refuel", arguments: { gb: 2.0, n: 2 } }], turn_idx: 0, timestamp: "t" },
        { role: "tool", id: "", content: "ok" },
      ]).replace('"gb":2', '"gb":2.0'),
    )
    expect(call).toMatchObject({ role: "user", content: null })
    const [tc] = toolCallsOf([call])
    expect(tc.id).toBe("")
    expect(tc.requestor).toBe("assistant") // ToolCall's default, whatever the message role
    expect(isFloat(tc.arguments.gb)).toBe(true)
    expect(tc.arguments.n).toBe(2)
    expect(tool).toEqual({ role: "tool", id: "", content: "ok", requestor: "assistant", error: false })
  })

  it("treats Python-blank content as no text", () => {
    const [a, b, c] = parseTau2Messages('[{"role":"assistant","content":" \\u001c\\n"},{"role":"assistant","content":"\\ufeff"},{"role":"assistant"}]')
    expect(hasTextContent(a)).toBe(false)
    expect(hasTextContent(b)).toBe(true) // U+FEFF is not whitespace for Python
    expect(hasTextContent(c)).toBe(false)
  })

  it("names the place of a malformed message", () => {
    expect(() => parseTau2Messages('[{"role":"assistant","content":null},{"role":"robot"}]')).toThrow(MessageDecodeError)
    expect(() => parseTau2Messages('[{"role":"assistant","tool_calls":[{"name":1}]}]')).toThrow("trajectory[0].tool_calls[0].name: expected a string")
  })

  it("names the first malformed place, a message's content before its calls and a call's id before its requestor", () => {
    const malformed: Array<[unknown, string]> = [
      [{}, "trajectory: expected a list of messages"],
      [[1], "trajectory[0]: expected a message object"],
      [[{ role: "user", content: 1, tool_calls: 2 }], "trajectory[0].content: expected a string or null"],
      [[{ role: "user", tool_calls: 2 }], "trajectory[0].tool_calls: expected a list or null"],
      [[{ role: "user", tool_calls: [{ name: "a" }, 1] }], "trajectory[0].tool_calls[1]: expected a tool call object"],
      [[{ role: "user", tool_calls: [{ name: "a", arguments: [] }] }], "trajectory[0].tool_calls[0].arguments: expected an object"],
      [[{ role: "user", tool_calls: [{ name: "a", id: 3, requestor: "robot" }] }], "trajectory[0].tool_calls[0].id: expected a string or null"],
      [[{ role: "user", tool_calls: [{ name: "a", requestor: "robot" }] }], 'trajectory[0].tool_calls[0].requestor: expected "assistant" or "user"'],
      [[{ role: "system" }, { role: "tool", id: 1 }], "trajectory[1].id: expected a string"],
      [[{ role: "tool", id: "x", requestor: 1 }], 'trajectory[0].requestor: expected "assistant" or "user"'],
      [[{ role: "system" }, { role: "robot" }], 'trajectory[1].role: expected one of "system", "assistant", "user", "tool"'],
    ]
    for (const [json, message] of malformed) expect(() => parseTau2Messages(JSON.stringify(json)), message).toThrow(message)
    expect(parseTau2Messages('[{"role":"system"},{"role":"user","tool_calls":[]},{"role":"tool","id":"c","error":true}]')).toEqual([
      { role: "system", content: null },
      { role: "user", content: null, tool_calls: [] },
      { role: "tool", id: "c", content: null, requestor: "assistant", error: true },
    ])
  })
})
