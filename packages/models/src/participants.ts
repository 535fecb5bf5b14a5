/**
 * Model-backed participants: the τ² LLM agent (and its oracle-plan, solo and no-policy variants,
 * chosen by the episode's mode) and the user simulator. Each turn is built from the episode state
 * alone, so a resumed or forked episode continues exactly where its events end.
 */
import {
  type Domain,
  isSolo,
  type Mode,
  type Participant,
  ParticipantError,
  type ParticipantTurn,
  type Side,
  type Task,
  type ToolDef,
  type TurnInput,
} from "@tau-sim/engine"
import { Effect } from "effect"
import { conversationFor } from "./conversation.ts"
import { liveSpec, publicSpec } from "./credentials.ts"
import { agentSystemPrompt } from "./prompts/agent.ts"
import { STOP_TOKEN, userSystemPrompt } from "./prompts/user.ts"
import type { ModelClient, ModelRequest, ModelResponse } from "./port.ts"
import { isTransient } from "./port.ts"
import { makeModelClient } from "./providers.ts"
import { type CallFailure, type CallParticipant, recordedCall } from "./recorded-call.ts"
import { currentModelRuntime, type ModelRuntime } from "./runtime.ts"
import { isModelSpec, type ModelSpec, parseModelSpec } from "./spec.ts"
import { DONE_TOOL, functionTool } from "./tool-schema.ts"

const oraclePlan = (mode: Mode) => mode === "oracle-plan" || mode === "no-user-oracle-plan"

/** The user-side tools a task gives its user: all, the listed ones, or none if a listed name is unknown (§1.1). */
export const userToolsFor = (domain: Domain, task: Task): ReadonlyArray<ToolDef> => {
  const all = domain.userToolkit?.tools ?? []
  if (task.user_tools == null) return all
  const names = new Set(task.user_tools)
  if ([...names].some((n) => !all.some((t) => t.name === n))) return []
  return all.filter((t) => names.has(t.name))
}

/** The model request of the agent's next turn. */
export const agentRequest = ({ state, domain, task }: TurnInput, args: ModelSpec["args"]): ModelRequest => {
  const mode = state.started.mode
  const solo = isSolo(state.started)
  const policy = mode === "no-policy" ? null : solo ? (domain.policy.solo ?? domain.policy.default) : domain.policy.default
  const system = agentSystemPrompt({
    policy,
    plan: oraclePlan(mode) ? (task.evaluation_criteria?.actions ?? []) : null,
    ticket: solo ? (task.ticket ?? "") : null,
    solo,
  })
  const tools = [
    ...domain.agentToolkit.tools.map(functionTool),
    ...(solo ? [...(domain.userToolkit?.tools ?? []).map(functionTool), DONE_TOOL] : []),
  ]
  return {
    messages: [{ role: "system", content: system }, ...conversationFor("agent", state.trajectory)],
    tools,
    // The solo agent may only act through tools (§6.4).
    toolChoice: tools.length === 0 ? null : solo ? "required" : "auto",
    // As in the reference, the trial seed overrides any seed in the arguments (§2.2 step 4).
    params: { ...args, seed: state.started.seed },
  }
}

/** The model request of the user simulator's next turn. */
export const userRequest = ({ state, domain, task }: TurnInput, args: ModelSpec["args"]): ModelRequest => {
  const tools = userToolsFor(domain, task).map(functionTool)
  return {
    messages: [{ role: "system", content: userSystemPrompt(task, tools.length > 0) }, ...conversationFor("user", state.trajectory)],
    tools,
    toolChoice: tools.length === 0 ? null : "auto",
    params: { ...args, seed: state.started.seed },
  }
}

const toTurn = (response: ModelResponse, solo: boolean): Omit<ParticipantTurn, "modelCalls"> => {
  // A solo agent that calls `done` stops; its other calls in that turn are dropped (§6.4).
  if (solo && response.toolCalls.some((c) => c.name === DONE_TOOL.function.name)) return { text: STOP_TOKEN, toolCalls: [] }
  return { text: response.text, toolCalls: response.toolCalls.map((c) => ({ id: c.id, name: c.name, argumentsJson: c.argumentsJson })) }
}

/**
 * How a failed call ends the turn. A conversation that no longer fits the context window is the
 * participant's outcome; anything else (outage, rate limits beyond the retries, a rejected key) is
 * infrastructure: the episode is errored, not failed, and can be run again.
 */
export const participantFailure = (spec: string, failure: CallFailure): ParticipantError => {
  const { error, attempts } = failure
  const what = `${error.kind}${error.status !== undefined ? ` (HTTP ${error.status})` : ""}: ${error.message}`
  const modelCalls = failure.events
  if (error.kind === "context_length") return new ParticipantError({ kind: "context_window", message: `context_window_exceeded: ${spec}: ${what}`, modelCalls })
  const prefix = isTransient(error) ? `gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}` : "request rejected"
  return new ParticipantError({ kind: "infrastructure", message: `${spec}: ${prefix}: ${what}`, modelCalls })
}

export interface ModelParticipantOptions {
  /** Defaults to the process-wide runtime at the time of each call (`configureModels`). */
  readonly runtime?: ModelRuntime
  /** Use this client instead of one built from the spec (in-process models, benchmarks). */
  readonly client?: ModelClient
}

const participant = (spec: string, parsed: ModelSpec, side: Side, options: ModelParticipantOptions): Participant => {
  const runtime = () => options.runtime ?? currentModelRuntime()
  const client = options.client ?? makeModelClient(parsed, { env: runtime().options.env })
  const who: CallParticipant = side
  return {
    spec,
    act: (input) =>
      Effect.gen(function* () {
        const request = side === "agent" ? agentRequest(input, parsed.args) : userRequest(input, parsed.args)
        const result = yield* recordedCall(client, request, who, runtime()).pipe(Effect.mapError((f) => participantFailure(spec, f)))
        const solo = side === "agent" && isSolo(input.state.started)
        return { ...toTurn(result.response, solo), modelCalls: result.events }
      }),
  }
}

/**
 * A model participant from its spec (`openai:gpt-4.1`, ...); undefined if `spec` is not a model spec.
 * A spec whose URL credentials were redacted is called with its live form (see `credentials.ts`);
 * the participant shows, and its failures name, the redacted one.
 */
export const makeModelParticipant = (spec: string, side: Side, options: ModelParticipantOptions = {}): Participant | undefined => {
  if (!isModelSpec(spec)) return undefined
  const parsed = parseModelSpec(liveSpec(spec, (options.runtime ?? currentModelRuntime()).options.env))
  return parsed && participant(publicSpec(spec), parsed, side, options)
}

/** The factory to register with `registerModelParticipants` (`@tau-sim/replay`). */
export const modelParticipantFactory =
  (options: ModelParticipantOptions = {}) =>
  (spec: string, side: Side): Participant | undefined =>
    makeModelParticipant(spec, side, options)
