/**
 * Model-backed participants: the τ² LLM agent (and its oracle-plan, solo and no-policy variants,
 * chosen by the episode's mode) and the user simulator. Each turn is built from the episode state
 * alone, so a resumed or forked episode continues exactly where its events end. A composition root
 * provides them as the engine's `ParticipantFactory` with `ModelParticipants.layer`, over the
 * `ModelRuntime` it provides: every participant calls through that runtime.
 */
import {
  agentPolicy,
  builtinParticipants,
  type Domain,
  isSolo,
  modeTraits,
  type Participant,
  ParticipantError,
  ParticipantFactory,
  type ParticipantFactoryShape,
  ParticipantSpecError,
  type ParticipantTurn,
  type Side,
  type Task,
  type ToolDef,
  type TurnInput,
} from "@tau-sim/engine"
import { Effect, Layer } from "effect"
import { conversationFor } from "./conversation.ts"
import { CredentialsNotGiven } from "./credentials.ts"
import { agentSystemPrompt } from "./prompts/agent.ts"
import { STOP_TOKEN, userSystemPrompt } from "./prompts/user.ts"
import type { ModelClient, ModelRequest, ModelResponse } from "./port.ts"
import { isTransient } from "./port.ts"
import { makeModelClient, ProviderConfigError } from "./providers.ts"
import { type CallFailure, type CallParticipant, recordedCall } from "./recorded-call.ts"
import { ModelRuntime, type ModelRuntimeShape } from "./runtime.ts"
import { redactText } from "./secrets.ts"
import { isModelSpec, type ModelSpec, ModelSpecError, parseModelSpec } from "./spec.ts"
import { DONE_TOOL, functionTool } from "./tool-schema.ts"

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
  const policy = agentPolicy(domain, mode)
  const system = agentSystemPrompt({
    policy,
    plan: modeTraits(mode).oraclePlan ? (task.evaluation_criteria?.actions ?? []) : null,
    ticket: solo ? (task.ticket ?? "") : null,
    solo,
  })
  const tools = [...domain.agentToolkit.tools.map(functionTool), ...(solo ? [...(domain.userToolkit?.tools ?? []).map(functionTool), DONE_TOOL] : [])]
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

/** What a model spec can be wrong with; anything else thrown while building a participant is a defect. */
export const isSpecProblem = (e: unknown): e is Error => e instanceof ModelSpecError || e instanceof CredentialsNotGiven || e instanceof ProviderConfigError

/**
 * Builds a model participant; undefined if `spec` is not a model spec. Throws `ModelSpecError`,
 * `CredentialsNotGiven` or `ProviderConfigError` (no API key) for a model spec it cannot call.
 * A spec whose URL credentials were redacted is called with its live form (see `credentials.ts`);
 * the participant shows, and its failures name, the redacted one.
 */
export const buildModelParticipant = (spec: string, side: Side, runtime: ModelRuntimeShape, client?: ModelClient): Participant | undefined => {
  if (!isModelSpec(spec)) return undefined
  const { credentials, env } = runtime.options
  const parsed = parseModelSpec(credentials.liveSpec(spec, env))
  if (!parsed) return undefined
  const shown = credentials.publicSpec(spec)
  const model = client ?? makeModelClient(parsed, { env, credentials })
  const who: CallParticipant = side
  return {
    spec: shown,
    act: (input) =>
      Effect.gen(function* () {
        const request = side === "agent" ? agentRequest(input, parsed.args) : userRequest(input, parsed.args)
        const result = yield* recordedCall(model, request, who).pipe(
          Effect.provideService(ModelRuntime, runtime),
          Effect.mapError((f) => participantFailure(shown, f)),
        )
        const solo = side === "agent" && isSolo(input.state.started)
        return { ...toTurn(result.response, solo), modelCalls: result.events }
      }),
  }
}

/** `buildModelParticipant` with its spec problems as a typed `ParticipantSpecError` (spec and message redacted). */
export const modelParticipant = (
  spec: string,
  side: Side,
  runtime: ModelRuntimeShape,
  client?: ModelClient,
): Effect.Effect<Participant | undefined, ParticipantSpecError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(buildModelParticipant(spec, side, runtime, client))
    } catch (e) {
      if (!isSpecProblem(e)) return Effect.die(e)
      const { credentials, env } = runtime.options
      return Effect.fail(new ParticipantSpecError({ spec: credentials.publicSpec(spec), message: redactText(e.message, credentials.secrets.values(env)) }))
    }
  })

export interface ModelParticipantsOptions {
  /** Answer every model spec with this client instead of one built from the spec (in-process models, benchmarks). */
  readonly client?: ModelClient
}

/** Model participants for `openai:`, `anthropic:` and `compat:` specs, the built-in ones for the others. */
export const modelParticipants = (runtime: ModelRuntimeShape, options: ModelParticipantsOptions = {}): ParticipantFactoryShape => ({
  make: (spec, side) =>
    Effect.flatMap(modelParticipant(spec, side, runtime, options.client), (p) => (p ? Effect.succeed(p) : builtinParticipants.make(spec, side))),
  publicSpec: runtime.options.credentials.publicSpec,
})

export const ModelParticipants = {
  /** The participant factory over the provided `ModelRuntime`. */
  layer: Layer.effect(
    ParticipantFactory,
    Effect.gen(function* () {
      return modelParticipants(yield* ModelRuntime)
    }),
  ) satisfies Layer.Layer<ParticipantFactory, never, ModelRuntime>,
  /** The same with `options` (one client for every model spec). */
  layerWith: (options: ModelParticipantsOptions): Layer.Layer<ParticipantFactory, never, ModelRuntime> =>
    Layer.effect(
      ParticipantFactory,
      Effect.gen(function* () {
        return modelParticipants(yield* ModelRuntime, options)
      }),
    ),
}
