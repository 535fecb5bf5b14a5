/** Example events for store tests, one builder per event type, plus fast-check arbitraries. */
import * as fc from "fast-check"
import type { EpisodeEnded, EpisodeEvent, EpisodeStarted, MessageSent, ModelCalled, ParentRef, TerminationReason, ToolExecuted } from "../src/events.ts"
import { TERMINATION_REASONS } from "../src/events.ts"

export const started = (episodeId: string, options: { runId?: string; taskId?: string; trial?: number; parent?: ParentRef | null } = {}): EpisodeStarted => ({
  _tag: "EpisodeStarted",
  v: 2,
  runId: options.runId ?? "run-1",
  episodeId,
  domain: "airline",
  taskId: options.taskId ?? "task-7",
  trial: options.trial ?? 0,
  hashes: { task: "t".repeat(64), policy: "p".repeat(64), data: "d".repeat(64) },
  dataDir: "/data/tau2/domains/airline",
  policyVariant: "default",
  mode: "default",
  agent: "llm:gpt-4.1",
  user: "llm:gpt-4.1",
  seed: 300,
  limits: { maxSteps: 200, maxErrors: 10 },
  engineVersion: "0.1.0",
  parent: options.parent ?? null,
})

export const agentMessage = (text: string | null = "How can I help?"): MessageSent => ({
  _tag: "MessageSent",
  v: 1,
  role: "agent",
  text,
  toolCalls: text === null ? [{ id: "call_1", name: "get_user_details", argumentsJson: '{"user_id": "mia_li_3668"}' }] : [],
})

export const userMessage = (text: string): MessageSent => ({ _tag: "MessageSent", v: 1, role: "user", text, toolCalls: [] })

export const toolExecuted = (output = '{"user_id": "mia_li_3668", "balance": 2.0}'): ToolExecuted => ({
  _tag: "ToolExecuted",
  v: 1,
  callId: "call_1",
  actor: "agent",
  name: "get_user_details",
  argumentsJson: '{"user_id":"mia_li_3668"}',
  output,
  error: false,
  patchJson: '[{"op":"replace","path":"/agent/users/mia_li_3668/balance","value":2.0}]',
})

export const modelCalled = (): ModelCalled => ({
  _tag: "ModelCalled",
  v: 1,
  participant: "agent",
  provider: "openai",
  model: "gpt-4.1",
  request: { messages: [{ role: "system", content: "policy ✈️ \u0000 \ud83d" }], temperature: 0.5, tools: [] },
  response: { choices: [{ message: { content: null, tool_calls: [] } }], nested: { deep: [1, 2.5, true, null] } },
  usage: { promptTokens: 1234, completionTokens: 56 },
  cost: 0.001234,
  latencyMs: 812.25,
  attempt: 1,
  requestHash: "h".repeat(64),
  error: null,
})

/** A model call in the shape participants record: a conversation, a tool set, a request hash. */
export const conversationCall = (
  messages: ReadonlyArray<unknown>,
  overrides: Partial<ModelCalled> = {},
  tools: ReadonlyArray<unknown> = [
    {
      type: "function",
      function: { name: "get_user_details", description: "Look a user up", parameters: { type: "object", properties: { user_id: { type: "string" } } } },
    },
  ],
): ModelCalled => ({
  ...modelCalled(),
  request: { identity: "openai:gpt-4.1", baseURL: "https://api.openai.com/v1", messages, tools, toolChoice: "auto", params: { seed: 300, temperature: 0.5 } },
  requestHash: `r${messages.length}`.padEnd(64, "0"),
  ...overrides,
})

/** The opening of a conversation: a long system prompt (shared by every call of the task) and a greeting. */
export const SYSTEM_PROMPT = { role: "system", content: `<policy>\n${"Agents must confirm before acting. ".repeat(40)}</policy>` }

export const ended = (reason: TerminationReason = "agent_stop"): EpisodeEnded => ({
  _tag: "EpisodeEnded",
  v: 1,
  reason,
  steps: 12,
  errors: 1,
  note: reason === "agent_stop" ? null : `ended by ${reason}`,
})

/** A full episode with one event of every type. */
export const fullEpisode = (episodeId: string): Array<EpisodeEvent> => [
  started(episodeId),
  agentMessage(),
  userMessage("I want to cancel my reservation"),
  agentMessage(null),
  toolExecuted(),
  modelCalled(),
  ended("user_stop"),
]

/** The v1 EpisodeStarted JSON as older engines wrote it (flat limits, no policy variant, no data dir). */
export const episodeStartedV1Json = (episodeId: string): string =>
  JSON.stringify({
    _tag: "EpisodeStarted",
    v: 1,
    runId: "run-old",
    episodeId,
    domain: "retail",
    taskId: "3",
    trial: 2,
    hashes: { task: "a", policy: "b", data: "c" },
    mode: "default",
    agent: "llm:gpt-4o",
    user: "llm:gpt-4o",
    seed: 42,
    engineVersion: "0.0.1",
    parent: null,
    maxSteps: 200,
    maxErrors: 10,
  })

// ---- arbitraries (JSON-safe: the store keeps events as JSON) ----

const anyText = fc.string({ unit: "binary", maxLength: 40 })
const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/)
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x))
/** JSON values as they come back from JSON text (-0 reads back as 0). */
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown)

const arbMessage: fc.Arbitrary<MessageSent> = fc.record({
  _tag: fc.constant("MessageSent" as const),
  v: fc.constant(1 as const),
  role: fc.constantFrom("agent" as const, "user" as const),
  text: fc.option(anyText, { nil: null }),
  toolCalls: fc.array(fc.record({ id: name, name, argumentsJson: anyText }), { maxLength: 3 }),
})

const arbTool: fc.Arbitrary<ToolExecuted> = fc.record({
  _tag: fc.constant("ToolExecuted" as const),
  v: fc.constant(1 as const),
  callId: name,
  actor: fc.constantFrom("agent" as const, "user" as const, "env" as const),
  name,
  argumentsJson: anyText,
  output: anyText,
  error: fc.boolean(),
  patchJson: anyText,
})

/** A reference-shaped value, as a pooled row holds: a request may contain one by chance. */
const refShaped = fc.constantFrom({ $ref: `sha256:${"a".repeat(64)}` }, { $ref: "x" })

/**
 * Requests shaped like the participants' (pooled by the store once long enough: the system
 * prompt makes them so), sometimes with references in odd places.
 */
const arbRequest = fc.record({
  identity: name,
  messages: fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.oneof({ weight: 4, arbitrary: json }, refShaped, fc.constant(SYSTEM_PROMPT)), { maxLength: 6 }) },
    refShaped,
  ),
  tools: fc.oneof({ weight: 4, arbitrary: fc.array(json, { maxLength: 3 }) }, refShaped, fc.constant(null)),
  params: json,
})

const arbModel: fc.Arbitrary<ModelCalled> = fc.record({
  _tag: fc.constant("ModelCalled" as const),
  v: fc.constant(1 as const),
  participant: fc.constantFrom("agent" as const, "user" as const, "judge" as const),
  provider: name,
  model: name,
  request: fc.oneof(json, arbRequest),
  response: json,
  usage: fc.record({ promptTokens: fc.nat(), completionTokens: fc.nat() }),
  cost: finite,
  latencyMs: finite,
  attempt: fc.integer({ min: 1, max: 5 }),
  requestHash: anyText,
  error: fc.option(anyText, { nil: null }),
})

const arbEnded: fc.Arbitrary<EpisodeEnded> = fc.record({
  _tag: fc.constant("EpisodeEnded" as const),
  v: fc.constant(1 as const),
  reason: fc.constantFrom(...TERMINATION_REASONS),
  steps: fc.nat(),
  errors: fc.nat(),
  note: fc.option(anyText, { nil: null }),
})

/** Events that may follow EpisodeStarted in a stream. */
export const arbLaterEvent: fc.Arbitrary<EpisodeEvent> = fc.oneof(arbMessage, arbTool, arbModel, arbEnded)

/**
 * A stream the store accepts from generated later events: its EpisodeStarted, then the events,
 * cut after the first EpisodeEnded (nothing may follow it).
 */
export const wellFormed = (first: EpisodeEvent, later: ReadonlyArray<EpisodeEvent>): Array<EpisodeEvent> => {
  const end = later.findIndex((e) => e._tag === "EpisodeEnded")
  return [first, ...(end < 0 ? later : later.slice(0, end + 1))]
}

/** Splits `items` into consecutive non-empty batches at the given cut points. */
export const splitAt = <A>(items: ReadonlyArray<A>, cuts: ReadonlyArray<number>): Array<Array<A>> => {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].filter((c) => c > 0 && c < items.length)
  points.sort((a, b) => a - b)
  const batches: Array<Array<A>> = []
  let from = 0
  for (const point of [...points, items.length]) {
    batches.push(items.slice(from, point))
    from = point
  }
  return batches
}
