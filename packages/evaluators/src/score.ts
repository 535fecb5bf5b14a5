/**
 * Scoring a finished episode with the current evaluators and appending the score. Scores are
 * never overwritten: every evaluation (live or `rescore`) adds one row with its evaluator version,
 * and the model calls of an LLM judge that produced it are stored with it (ADR 0007).
 */
import { type Domain, type EpisodeState, EventStore, isSolo, type ModelCalled, type ScoreRecord, type Task, nowIso } from "@tau-sim/engine"
import { Context, Effect } from "effect"
import { evaluateSimulation } from "./evaluate.ts"
import { type NlJudge, scriptedAllMetJudge } from "./nl-evaluator.ts"
import { TAU2_EVALUATOR } from "./versions.ts"
import { toTau2Messages } from "./trajectory.ts"

/**
 * The NL judge of scores that name none (`ScoreOptions.nlJudge`): the scripted all-met judge
 * unless a composition root provides another (`tau run --nl-judge`), so that the runs' own
 * scoring at each episode's end uses it without knowing about judges.
 */
export const CurrentNlJudge = Context.Reference<NlJudge>("@tau-sim/evaluators/CurrentNlJudge", { defaultValue: () => scriptedAllMetJudge })

export interface ScoreOptions {
  /** Default: `CurrentNlJudge`. */
  readonly nlJudge?: NlJudge
  /** Overrides the recorded evaluator version (e.g. to tag an experimental evaluator); undefined: the evaluator's own. */
  readonly evaluatorVersion?: string | undefined
}

export interface EpisodeEvaluation {
  readonly reward: number
  readonly breakdown: unknown
  /** The judge's model calls (every attempt, an answer reused from the record included); empty when no model was called. */
  readonly modelCalls: ReadonlyArray<ModelCalled>
}

const evaluateWith = (domain: Domain, task: Task, state: EpisodeState, nlJudge: NlJudge): Effect.Effect<EpisodeEvaluation> => {
  const modelCalls: Array<ModelCalled> = []
  const judge = nlJudge.recordingTo ? nlJudge.recordingTo((calls) => modelCalls.push(...calls)) : nlJudge
  return evaluateSimulation({
    domain,
    task,
    messages: toTau2Messages(state),
    terminationReason: state.ended ?? "unexpected_error",
    solo: isSolo(state.started),
    strict: false,
    nlJudge: judge,
  }).pipe(
    Effect.map((info): EpisodeEvaluation => ({ reward: info.reward, breakdown: info as unknown, modelCalls })),
    // A judge that failed still made its calls (and may have cost money): they stay with the error.
    Effect.catchTag("EvaluationError", (e) => Effect.succeed({ reward: 0, breakdown: { evaluator_error: `${e.name}: ${e.message}` } as unknown, modelCalls })),
  )
}

/** Evaluates without storing. An evaluator that raises (as the reference may) yields reward 0 with the error. */
export const evaluateEpisode = (domain: Domain, task: Task, state: EpisodeState, options: ScoreOptions = {}): Effect.Effect<EpisodeEvaluation> =>
  options.nlJudge
    ? evaluateWith(domain, task, state, options.nlJudge)
    : Effect.flatMap(Effect.service(CurrentNlJudge), (judge) => evaluateWith(domain, task, state, judge))

export const scoreEpisode = (episodeId: string, domain: Domain, task: Task, state: EpisodeState, options: ScoreOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const result = yield* evaluateEpisode(domain, task, state, options)
    const score: ScoreRecord = {
      episodeId,
      evaluator: TAU2_EVALUATOR.name,
      evaluatorVersion: options.evaluatorVersion ?? TAU2_EVALUATOR.version,
      reward: result.reward,
      breakdown: result.breakdown,
      recordedAt: yield* nowIso,
      ...(result.modelCalls.length > 0 ? { modelCalls: result.modelCalls } : {}),
    }
    yield* store.appendScore(score)
    return score
  })
