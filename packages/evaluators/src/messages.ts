/**
 * τ² trajectory messages as the evaluator reads them (semantics §1.2).
 *
 * Only the fields that evaluation looks at are kept; timestamps, costs and voice fields are
 * ignored. Values come from `PyJson.parse`, so tool-call arguments keep Python's int/float identity.
 */
import { isObject, type PyObject, PyJson, type PyValue, type Requestor } from "@tau-sim/engine"

export interface Tau2ToolCall {
  /** Python default `""`. */
  readonly id: string
  readonly name: string
  readonly arguments: PyObject
  /** Python default `"assistant"`, whatever the role of the message carrying the call. */
  readonly requestor: Requestor
}

export interface Tau2SystemMessage {
  readonly role: "system"
  readonly content: string | null
}

export interface Tau2ParticipantMessage {
  readonly role: "assistant" | "user"
  readonly content: string | null
  /** `null` = not a tool call; an empty list still counts as one (reference `is_tool_call`). */
  readonly tool_calls: ReadonlyArray<Tau2ToolCall> | null
}

export interface Tau2ToolMessage {
  readonly role: "tool"
  /** The id of the tool call this message answers. */
  readonly id: string
  readonly content: string | null
  readonly requestor: Requestor
  readonly error: boolean
}

export type Tau2Message = Tau2SystemMessage | Tau2ParticipantMessage | Tau2ToolMessage

export class MessageDecodeError extends Error {
  readonly at: string
  constructor(at: string, expected: string) {
    super(`trajectory${at}: expected ${expected}`)
    this.name = "MessageDecodeError"
    this.at = at
  }
}

const optionalString = (v: PyValue | undefined, at: string): string | null => {
  if (v === undefined || v === null) return null
  if (typeof v !== "string") throw new MessageDecodeError(at, "a string or null")
  return v
}

const requestorOf = (v: PyValue | undefined, at: string): Requestor => {
  if (v === undefined || v === null) return "assistant"
  if (v !== "assistant" && v !== "user") throw new MessageDecodeError(at, `"assistant" or "user"`)
  return v
}

const decodeToolCall = (v: PyValue, at: string): Tau2ToolCall => {
  if (!isObject(v)) throw new MessageDecodeError(at, "a tool call object")
  if (typeof v.name !== "string") throw new MessageDecodeError(`${at}.name`, "a string")
  const args = v.arguments ?? {}
  if (!isObject(args)) throw new MessageDecodeError(`${at}.arguments`, "an object")
  return {
    id: optionalString(v.id, `${at}.id`) ?? "",
    name: v.name,
    arguments: args,
    requestor: requestorOf(v.requestor, `${at}.requestor`),
  }
}

/** Decodes one message of a stored trajectory (unknown keys are ignored, like pydantic). */
export const decodeTau2Message = (v: PyValue, at = ""): Tau2Message => {
  if (!isObject(v)) throw new MessageDecodeError(at, "a message object")
  const content = optionalString(v.content, `${at}.content`)
  switch (v.role) {
    case "system":
      return { role: "system", content }
    case "assistant":
    case "user": {
      const calls = v.tool_calls
      if (calls !== undefined && calls !== null && !Array.isArray(calls))
        throw new MessageDecodeError(`${at}.tool_calls`, "a list or null")
      return {
        role: v.role,
        content,
        tool_calls: calls === undefined || calls === null ? null : calls.map((c, k) => decodeToolCall(c, `${at}.tool_calls[${k}]`)),
      }
    }
    case "tool":
      if (typeof v.id !== "string") throw new MessageDecodeError(`${at}.id`, "a string")
      return {
        role: "tool",
        id: v.id,
        content,
        requestor: requestorOf(v.requestor, `${at}.requestor`),
        error: v.error === true,
      }
    default:
      throw new MessageDecodeError(`${at}.role`, `one of "system", "assistant", "user", "tool"`)
  }
}

export const decodeTau2Messages = (v: PyValue): Tau2Message[] => {
  if (!Array.isArray(v)) throw new MessageDecodeError("", "a list of messages")
  return v.map((m, i) => decodeTau2Message(m, `[${i}]`))
}

/** Parses a JSON list of τ² messages (keeps int/float identity of tool-call arguments). */
export const parseTau2Messages = (json: string): Tau2Message[] => decodeTau2Messages(PyJson.parse(json))

/** Characters Python's `str.strip()` removes (`str.isspace`), which differ slightly from JS `trim`. */
const PY_BLANK = /^[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/

/** Reference `has_text_content`: content present and not blank. */
export const hasTextContent = (m: Tau2Message): boolean => m.content !== null && !PY_BLANK.test(m.content)

/** Every tool call of every assistant and user message, in trajectory order. */
export const toolCallsOf = (messages: ReadonlyArray<Tau2Message>): Tau2ToolCall[] => {
  const calls: Tau2ToolCall[] = []
  for (const m of messages) if ((m.role === "assistant" || m.role === "user") && m.tool_calls) calls.push(...m.tool_calls)
  return calls
}
