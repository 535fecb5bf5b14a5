/**
 * Scoring a finished episode with the current evaluators and appending the score. Scores are
 * never overwritten: every evaluation (live or `rescore`) adds one row with its evaluator version.
 */
import { type Domain, type EpisodeState, EventStore, isSolo, type ScoreRecord, type Task, nowIso } from "@tau-sim/engine"
import { Effect } from "effect"
import { evaluateSimulation } from "./evaluate.ts"
import { type NlJudge, scriptedAllMetJudge } from "./nl-evaluator.ts"
import { TAU2_EVALUATOR } from "./versions.ts"
import { toTau2Messages } from "./trajectory.ts"

export interface ScoreOptions {
  readonly nlJudge?: NlJudge
  /** Overrides the recorded evaluator version (e.g. to tag an experimental evaluator); undefined: the evaluator's own. */
  readonly evaluatorVersion?: string | undefined
}

/** Evaluates without storing. An evaluator that raises (as the reference may) yields reward 0 with the error. */
export const evaluateEpisode = (domain: Domain, task: Task, state: EpisodeState, options: ScoreOptions = {}) =>
  evaluateSimulation({
    domain,
    task,
    messages: toTau2Messages(state),
    terminationReason: state.ended ?? "unexpected_error",
    solo: isSolo(state.started),
    strict: false,
    nlJudge: options.nlJudge ?? scriptedAllMetJudge,
  }).pipe(
    Effect.map((info) => ({ reward: info.reward, breakdown: info as unknown })),
    Effect.catchTag("EvaluationError", (e) => Effect.succeed({ reward: 0, breakdown: { evaluator_error: `${e.name}: ${e.message}` } as unknown })),
  )

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
    }
    yield* store.appendScore(score)
    return score
  })
