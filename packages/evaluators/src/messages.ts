/**
 * τ² trajectory messages as the evaluator reads them (semantics §1.2).
 *
 * Only the fields that evaluation looks at are kept; timestamps, costs and voice fields are
 * ignored. Values come from `PyJson.parse`, so tool-call arguments keep Python's int/float identity.
 */
import { isObject, type PyObject, PyJson, type PyValue, type Requestor } from "@tau-sim/engine"
import { Result, Schema } from "effect"

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

/** A stored trajectory that is not a list of τ² messages; `at` is the place (`[3].tool_calls[0].name`). */
export class MessageDecodeError extends Schema.TaggedError<MessageDecodeError>()("MessageDecodeError", {
  at: Schema.String,
  expected: Schema.String,
}) {
  override get message(): string {
    return `trajectory${this.at}: expected ${this.expected}`
  }
}

type Decoded<A> = Result.Result<A, MessageDecodeError>
const expected = (at: string, what: string): Decoded<never> => Result.fail(new MessageDecodeError({ at, expected: what }))

const optionalString = (v: PyValue | undefined, at: string): Decoded<string | null> => {
  if (v === undefined || v === null) return Result.succeed(null)
  if (typeof v !== "string") return expected(at, "a string or null")
  return Result.succeed(v)
}

const requestorOf = (v: PyValue | undefined, at: string): Decoded<Requestor> => {
  if (v === undefined || v === null) return Result.succeed("assistant")
  if (v !== "assistant" && v !== "user") return expected(at, `"assistant" or "user"`)
  return Result.succeed(v)
}

// Plain checks rather than `Result.gen`: these run for every message of every trajectory read
// (results files, task histories), where a generator per message and per call cost 70x the checks.

const decodeToolCall = (v: PyValue, at: string): Decoded<Tau2ToolCall> => {
  if (!isObject(v)) return expected(at, "a tool call object")
  if (typeof v.name !== "string") return expected(`${at}.name`, "a string")
  const args = v.arguments ?? {}
  if (!isObject(args)) return expected(`${at}.arguments`, "an object")
  const id = optionalString(v.id, `${at}.id`)
  if (Result.isFailure(id)) return Result.fail(id.failure)
  const requestor = requestorOf(v.requestor, `${at}.requestor`)
  if (Result.isFailure(requestor)) return Result.fail(requestor.failure)
  return Result.succeed({ id: id.success ?? "", name: v.name, arguments: args, requestor: requestor.success })
}

/** Decodes one message of a stored trajectory (unknown keys are ignored, like pydantic). */
export const decodeTau2Message = (v: PyValue, at = ""): Decoded<Tau2Message> => {
  if (!isObject(v)) return expected(at, "a message object")
  const decodedContent = optionalString(v.content, `${at}.content`)
  if (Result.isFailure(decodedContent)) return Result.fail(decodedContent.failure)
  const content = decodedContent.success
  switch (v.role) {
    case "system":
      return Result.succeed({ role: "system", content })
    case "assistant":
    case "user": {
      const calls = v.tool_calls
      if (calls === undefined || calls === null) return Result.succeed({ role: v.role, content, tool_calls: null })
      if (!Array.isArray(calls)) return expected(`${at}.tool_calls`, "a list or null")
      const toolCalls: Tau2ToolCall[] = []
      for (let k = 0; k < calls.length; k++) {
        const call = decodeToolCall(calls[k], `${at}.tool_calls[${k}]`)
        if (Result.isFailure(call)) return Result.fail(call.failure)
        toolCalls.push(call.success)
      }
      return Result.succeed({ role: v.role, content, tool_calls: toolCalls })
    }
    case "tool": {
      if (typeof v.id !== "string") return expected(`${at}.id`, "a string")
      const requestor = requestorOf(v.requestor, `${at}.requestor`)
      if (Result.isFailure(requestor)) return Result.fail(requestor.failure)
      return Result.succeed({ role: "tool", id: v.id, content, requestor: requestor.success, error: v.error === true })
    }
    default:
      return expected(`${at}.role`, `one of "system", "assistant", "user", "tool"`)
  }
}

export const decodeTau2Messages = (v: PyValue): Decoded<Tau2Message[]> => {
  if (!Array.isArray(v)) return expected("", "a list of messages")
  const messages: Tau2Message[] = []
  for (let i = 0; i < v.length; i++) {
    const m = decodeTau2Message(v[i], `[${i}]`)
    if (Result.isFailure(m)) return Result.fail(m.failure)
    messages.push(m.success)
  }
  return Result.succeed(messages)
}

/** Parses a JSON list of τ² messages (keeps int/float identity of tool-call arguments). */
export const parseTau2Messages = (json: string): Decoded<Tau2Message[]> => {
  let parsed: PyValue
  try {
    parsed = PyJson.parse(json)
  } catch (e) {
    return expected("", `a JSON list of messages (${e instanceof Error ? e.message : String(e)})`)
  }
  return decodeTau2Messages(parsed)
}

/** Characters Python's `str.strip()` removes (`str.isspace`), which differ slightly from JS `trim`. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Python's str.isspace counts \x0b, \x0c and \x1c-\x1f (separators) as blank.
const PY_BLANK = /^[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/

/** Reference `has_text_content`: content present and not blank. */
export const hasTextContent = (m: Tau2Message): boolean => m.content !== null && !PY_BLANK.test(m.content)

/** Every tool call of every assistant and user message, in trajectory order. */
export const toolCallsOf = (messages: ReadonlyArray<Tau2Message>): Tau2ToolCall[] => {
  const calls: Tau2ToolCall[] = []
  for (const m of messages) if ((m.role === "assistant" || m.role === "user") && m.tool_calls) calls.push(...m.tool_calls)
  return calls
}
