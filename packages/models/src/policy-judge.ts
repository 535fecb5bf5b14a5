/**
 * The policy-adherence judge of support-desk through the model port: the prompt of
 * `buildPolicyJudgePrompt` at temperature 0, the reply read by `parsePolicyJudgeReply`. Its calls
 * are recorded as participant `judge` and reported to the evaluation's sink, like the NL judge's.
 */
import type { ParticipantSpecError } from "@tau-sim/engine"
import { buildPolicyJudgePrompt, type JudgeCallSink, parsePolicyJudgeReply, type PolicyJudge, PolicyJudgeError } from "@tau-sim/evaluators"
import { Effect } from "effect"
import { type JudgeModel, judgeModel } from "./judge.ts"
import type { ModelClient } from "./port.ts"
import type { ModelRuntimeShape } from "./runtime.ts"

/** The policy judge's default arguments (a verdict, not a creative answer); the spec's own override them. */
export const POLICY_JUDGE_ARGS = { temperature: 0 } as const

/** A policy judge asking `model`. */
export const modelPolicyJudge = (model: JudgeModel): PolicyJudge => {
  const make = (sink: JudgeCallSink | undefined): PolicyJudge => ({
    name: model.name,
    judge: (request) =>
      model.ask(buildPolicyJudgePrompt(request), sink).pipe(
        Effect.mapError((failed) => new PolicyJudgeError({ judge: model.name, detail: failed.message })),
        Effect.flatMap((content) => Effect.fromResult(parsePolicyJudgeReply(model.name, content))),
      ),
    recordingTo: (recorder) => make(recorder),
  })
  return make(undefined)
}

/** The policy judge of a model spec over `runtime`. */
export const policyJudgeOfSpec = (spec: string, runtime: ModelRuntimeShape, client?: ModelClient): Effect.Effect<PolicyJudge, ParticipantSpecError> =>
  Effect.map(judgeModel(spec, runtime, POLICY_JUDGE_ARGS, client), modelPolicyJudge)
