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
})
