/**
 * Rebuilding an environment's state from a trajectory, as the reference's `set_state` step 4 does
 * (semantics §3.5, conformance README "Evaluator behaviour" 2).
 *
 * Every tool call is paired with the tool message that follows it (ids must match). Calls to
 * unknown tools and to tools that do not mutate state are skipped; the others are re-executed
 * (with the domain sync, like `get_response`) and their JSON-decoded output is compared with the
 * recorded one: a mismatch raises in strict mode and is ignored in lenient mode.
 */
import { type Domain, executeToolCall, type Node, type Op, PyJson, type PyValue, type ToolContext } from "@tau-sim/engine"
import { pythonEquals } from "./equality.ts"
import { Result } from "effect"
import { type EvaluationError, evaluationError } from "./errors.ts"
import type { Tau2Message, Tau2ToolCall, Tau2ToolMessage } from "./messages.ts"
import { toolRegistry } from "./tool-registry.ts"

const pythonClassOf = (m: Tau2Message): string =>
  `<class 'tau2.data_model.message.${{ system: "SystemMessage", assistant: "AssistantMessage", user: "UserMessage", tool: "ToolMessage" }[m.role]}'>`

/** Pairs each tool call with its tool message, failing like the reference raises on a broken trajectory. */
export const pairToolCalls = (messages: ReadonlyArray<Tau2Message>): Result.Result<Array<readonly [Tau2ToolCall, Tau2ToolMessage]>, EvaluationError> => {
  const pairs: Array<readonly [Tau2ToolCall, Tau2ToolMessage]> = []
  const fail = (detail: string) => Result.fail(evaluationError("trajectory", "ValueError", detail))
  let i = 0
  while (i < messages.length) {
    const m = messages[i++]
    if (m.role === "tool") return fail("Tool message not expected. Tool messages should always follow a tool call.")
    if ((m.role !== "assistant" && m.role !== "user") || m.tool_calls === null) continue
    for (const call of m.tool_calls) {
      if (i >= messages.length) return fail("Tool message expected. Got None.")
      const reply = messages[i++]
      if (reply.role !== "tool") return fail(`Tool message expected. Got ${pythonClassOf(reply)}`)
      if (call.id !== reply.id) return fail(`Tool call id mismatch. Got ${call.id} and ${reply.id}`)
      pairs.push([call, reply])
    }
  }
  return Result.succeed(pairs)
}

/** `json.loads(text)`, or the raw text when it is not JSON. */
const decodedOrRaw = (text: string): PyValue => {
  // Most non-JSON outputs ("Error: ...", plain sentences) are recognisable from their first
  // character; skipping the parser for them avoids building an exception per call.
  if (!JSON_START.test(text)) return text
  try {
    return PyJson.parse(text)
  } catch {
    return text
  }
}

/** First non-blank character of any text Python's `json.loads` could accept. */
const JSON_START = /^[ \t\n\r]*[[{"\-0-9tfnNI]/

/** The reference's comparison: `json.loads` of both sides (raw text when not JSON), Python `==`. */
const sameOutput = (replayed: string, recorded: string): boolean => {
  // Equal texts decode to equal values, except that NaN is unequal to itself in Python.
  if (replayed === recorded && !replayed.includes("NaN")) return true
  return pythonEquals(decodedOrRaw(replayed), decodedOrRaw(recorded))
}

export interface ReplayOptions {
  readonly strict: boolean
  readonly solo: boolean
  readonly ctx: ToolContext
}

export interface ReplayResult {
  readonly world: Node
  /** Every write the replay made (for path-based comparison). */
  readonly ops: ReadonlyArray<Op>
}

/** Re-executes the state-changing calls of `messages` on `world` (no final sync). */
export const replayToolCalls = (
  domain: Domain,
  world: Node,
  messages: ReadonlyArray<Tau2Message>,
  options: ReplayOptions,
): Result.Result<ReplayResult, EvaluationError> => {
  if (options.solo && messages.some((m) => m.role === "user"))
    return Result.fail(evaluationError("trajectory", "AssertionError", "User messages are not allowed in solo mode"))
  const paired = pairToolCalls(messages)
  if (Result.isFailure(paired)) return Result.fail(paired.failure)
  const registry = toolRegistry(domain)
  const ops: Op[] = []
  for (const [call, recorded] of paired.success) {
    if (!registry.has(call.name) || !registry.mutates(call.name)) continue
    const outcome = executeToolCall(domain, world, call, options.ctx, { solo: options.solo })
    // json.loads(None) raises TypeError in the reference (not caught as a decode error), in strict and lenient mode alike.
    if (recorded.content === null) return Result.fail(evaluationError("replay", "TypeError", "the JSON object must be str, bytes or bytearray, not NoneType"))
    if (options.strict && !sameOutput(outcome.output, recorded.content)) {
      return Result.fail(
        evaluationError(
          "replay",
          "ValueError",
          `Tool call:\n${call.name}(${PyJson.dumps(call.arguments)}) [${call.id}]\n\nReturned:\n${outcome.output}\n\nExpected:\n${recorded.content}`,
        ),
      )
    }
    world = outcome.world
    for (const op of outcome.patch) ops.push(op)
  }
  return Result.succeed({ world, ops })
}
