/**
 * The NL-assertion judge through the model port (semantics §5.5): the reference's prompt
 * (`buildNlJudgePrompt`), its generation arguments (temperature 0, no seed), its strict reply
 * parsing (`parseNlJudgeReply`). Every call is recorded as participant `judge` and reported to the
 * evaluation's sink; a judge that cannot be asked, or whose reply cannot be read, fails the
 * evaluation with an `nl_judge` EvaluationError, as the reference's exception does.
 */
import { buildNlJudgePrompt, evaluationError, type JudgeCallSink, type NlJudge, parseNlJudgeReply } from "@tau-sim/evaluators"
import type { ParticipantSpecError } from "@tau-sim/engine"
import { Effect } from "effect"
import { type JudgeModel, judgeModel } from "./judge.ts"
import type { ModelClient } from "./port.ts"
import type { ModelRuntimeShape } from "./runtime.ts"

/** The reference's judge arguments: temperature 0 and no seed (the spec's own arguments override them). */
export const NL_JUDGE_ARGS = { temperature: 0 } as const

/** An NL judge asking `model`. */
export const modelNlJudge = (model: JudgeModel): NlJudge => {
  const make = (sink: JudgeCallSink | undefined): NlJudge => ({
    name: model.name,
    judge: (request) =>
      model.ask(buildNlJudgePrompt(request), sink).pipe(
        Effect.mapError((failed) => evaluationError("nl_judge", "ModelCallError", failed.message)),
        Effect.flatMap((content) =>
          // The reference's json.loads of a reply without text content.
          content === null
            ? Effect.fail(evaluationError("nl_judge", "TypeError", `${model.name}: the JSON object must be str, bytes or bytearray, not NoneType`))
            : Effect.fromResult(parseNlJudgeReply(content)),
        ),
      ),
    recordingTo: (recorder) => make(recorder),
  })
  return make(undefined)
}

/** The NL judge of a model spec (`openai:gpt-4.1`, ...) over `runtime`. */
export const nlJudgeOfSpec = (spec: string, runtime: ModelRuntimeShape, client?: ModelClient): Effect.Effect<NlJudge, ParticipantSpecError> =>
  Effect.map(judgeModel(spec, runtime, NL_JUDGE_ARGS, client), modelNlJudge)
