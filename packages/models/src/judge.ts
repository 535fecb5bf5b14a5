/**
 * A model asked to judge (the NL-assertion judge, the policy-adherence judge): one question of a
 * system and a user message, no tools, made as a recorded call (timeouts, retries, rate limits,
 * the response cache, prices, redaction) whose events say participant `judge`. The events go to
 * the sink of the evaluation that asked, which stores them with the score (ADR 0007); a runtime
 * whose cache is the store answers a question already answered there without an HTTP request.
 */
import { ParticipantSpecError } from "@tau-sim/engine"
import type { JudgeCallSink } from "@tau-sim/evaluators"
import { Effect } from "effect"
import type { ModelClient, ModelParams, ModelRequest } from "./port.ts"
import { participantFailure, isSpecProblem } from "./participants.ts"
import { makeModelClient } from "./providers.ts"
import { type CallFailure, recordedCall } from "./recorded-call.ts"
import { ModelRuntime, type ModelRuntimeShape } from "./runtime.ts"
import { redactText } from "./secrets.ts"
import { isModelSpec, parseModelSpec } from "./spec.ts"

export interface JudgePrompt {
  readonly system: string
  readonly user: string
}

export interface JudgeModel {
  /** The spec as it may be stored and printed (credentials in its URL redacted). */
  readonly name: string
  /** The generation arguments sent: the judge's defaults, then the spec's own. */
  readonly params: ModelParams
  /** Asks; every call made (failed attempts, a cached answer) goes to `sink` before the answer or the failure. */
  readonly ask: (prompt: JudgePrompt, sink: JudgeCallSink | undefined) => Effect.Effect<string | null, JudgeCallFailed>
}

/** The judge's model could not be asked: why, in one line naming the judge (never a secret). */
export interface JudgeCallFailed {
  readonly failure: CallFailure
  readonly message: string
}

/** The request a judge sends: its two messages, no tools. */
export const judgeRequest = (prompt: JudgePrompt, params: ModelParams): ModelRequest => ({
  messages: [
    { role: "system", content: prompt.system },
    { role: "user", content: prompt.user },
  ],
  tools: [],
  toolChoice: null,
  params,
})

/**
 * Builds the judge of a model spec (`openai:gpt-4.1`, `compat:m@url{"temperature":0.2}`) over
 * `runtime`; `defaults` are the judge's generation arguments, which the spec's own override.
 * Fails with `ParticipantSpecError` (redacted) for a spec that is not a model spec or cannot be
 * called (malformed, no API key).
 */
export const judgeModel = (
  spec: string,
  runtime: ModelRuntimeShape,
  defaults: ModelParams,
  client?: ModelClient,
): Effect.Effect<JudgeModel, ParticipantSpecError> =>
  Effect.suspend(() => {
    const { credentials, env } = runtime.options
    const shown = credentials.publicSpec(spec)
    const secrets = () => credentials.secrets.values(env)
    if (!isModelSpec(spec)) {
      return Effect.fail(
        new ParticipantSpecError({ spec: shown, message: `${shown}: a judge is a model: openai:<model>, anthropic:<model> or compat:<model>@<base-url>` }),
      )
    }
    let model: ModelClient
    let params: ModelParams
    try {
      const parsed = parseModelSpec(credentials.liveSpec(spec, env))
      if (!parsed) throw new Error(`${shown}: not a model spec`)
      model = client ?? makeModelClient(parsed, { env, credentials })
      params = { ...defaults, ...parsed.args }
    } catch (e) {
      if (!isSpecProblem(e)) return Effect.die(e)
      return Effect.fail(new ParticipantSpecError({ spec: shown, message: redactText(e.message, secrets()) }))
    }
    const judge: JudgeModel = {
      name: shown,
      params,
      ask: (prompt, sink) =>
        recordedCall(model, judgeRequest(prompt, params), "judge").pipe(
          Effect.provideService(ModelRuntime, runtime),
          Effect.tap((success) => Effect.sync(() => sink?.(success.events))),
          Effect.map((success) => success.response.text),
          Effect.catch((failure: CallFailure) =>
            Effect.flatMap(
              Effect.sync(() => sink?.(failure.events)),
              () => Effect.fail({ failure, message: redactText(participantFailure(shown, failure).message, secrets()) }),
            ),
          ),
        ),
    }
    return Effect.succeed(judge)
  })
