/**
 * Which database paths of an episode differ from the gold, computed on demand (a stored τ²
 * breakdown only says `db_match`): the gold and the predicted world are rebuilt as the
 * environment evaluator builds them (`taskBaseline`, `predictedWorld`: the trajectory replayed
 * on the task prefix, then synced) and compared at the same paths, down to every differing value.
 */
import { type Domain, type EpisodeState, isSolo, type Side, type Task } from "@tau-sim/engine"
import { Result } from "effect"
import { type DbPathDifference, dbDiffPaths } from "./db-compare.ts"
import type { EvaluationError } from "./errors.ts"
import { taskBaseline } from "./gold.ts"
import { predictedWorld } from "./env-evaluator.ts"
import { toTau2Messages } from "./trajectory.ts"

/**
 * The differing paths of an episode's final databases against the gold, as the live scoring
 * (`scoreEpisode`: lenient replay) evaluates it; `null` when its task compares no database (no
 * expected actions or env assertions: τ²'s short-cut counts the DB as matching).
 */
export const episodeDbDifferences = (domain: Domain, task: Task, state: EpisodeState): Result.Result<ReadonlyArray<DbPathDifference> | null, EvaluationError> =>
  Result.gen(function* () {
    const criteria = task.evaluation_criteria
    if (criteria == null || (criteria.actions == null && criteria.env_assertions == null)) return null
    const options = { strict: false, solo: isSolo(state.started) }
    const baseline = yield* taskBaseline(domain, task, options.strict)
    const predicted = yield* predictedWorld(domain, task, toTau2Messages(state), options)
    const sides: Side[] = domain.userToolkit ? ["agent", "user"] : ["agent"]
    return dbDiffPaths(baseline.gold, predicted.world, [...baseline.goldPaths, ...predicted.paths], sides)
  })
