/**
 * Environment evaluator: DB check and env assertions (semantics §5.2, §3.6).
 *
 * Predicted state = task prefix + the whole trajectory replayed (it starts with the task's own
 * message history) + sync. Gold state = task prefix + history + sync + expected actions without
 * sync (cached, see `gold.ts`). `db_match` compares the agent and the user database; assertions
 * run on the predicted state and a raising assertion makes the evaluation raise.
 */
import {
  type Domain,
  type EnvAssertion,
  type PyObject,
  type PyValue,
  runHelper,
  seededRandom,
  type Side,
  syncWorld,
  type Task,
  ToolError,
  typeName,
  type Node,
} from "@tau-sim/engine"
import { compareDatabases, comparisonPaths } from "./db-compare.ts"
import { Result } from "effect"
import { EvaluationError, errorText, evaluationError } from "./errors.ts"
import { PREDICTED_SEED, taskBaseline } from "./gold.ts"
import type { Tau2Message } from "./messages.ts"
import { replayToolCalls } from "./reexecute.ts"
import { type DbCheck, dumpEnvAssertion, type EnvAssertionCheck, type EvaluatorInfo, type RewardBreakdown } from "./reward-info.ts"

export interface EnvEvaluation {
  readonly reward: number
  readonly db_check: DbCheck
  readonly env_assertions: ReadonlyArray<EnvAssertionCheck> | null
  /** Null in the "no expected actions or env assertions" short-cut. */
  readonly reward_breakdown: RewardBreakdown | null
  readonly info: EvaluatorInfo
}

export interface EnvEvaluationOptions {
  readonly strict: boolean
  readonly solo: boolean
}

/** The predicted end state: the trajectory replayed on the task prefix, then synced. */
export const predictedWorld = (
  domain: Domain,
  task: Task,
  messages: ReadonlyArray<Tau2Message>,
  options: EnvEvaluationOptions,
): Result.Result<{ world: Node; paths: string[][] }, EvaluationError> => {
  const baseline = taskBaseline(domain, task, options.strict)
  if (Result.isFailure(baseline)) return Result.fail(baseline.failure)
  const { prefix } = baseline.success
  const replayed = replayToolCalls(domain, prefix, messages, { ...options, ctx: { random: seededRandom(PREDICTED_SEED) } })
  if (Result.isFailure(replayed)) return Result.fail(replayed.failure)
  const { world, ops: replayedOps } = replayed.success
  const synced = syncWorld(domain, world)
  const ops = synced.patch.length === 0 ? replayedOps : [...replayedOps, ...synced.patch]
  return Result.succeed({ world: synced.world, paths: comparisonPaths(ops, prefix, synced.world) })
}

const pythonTypeOf = (e: unknown): string =>
  e instanceof EvaluationError ? e.pythonType : e instanceof ToolError ? "ValueError" : e instanceof TypeError ? "TypeError" : "Exception"

/** Runs one assertion like `run_env_assertion(raise_assertion_error=False)`; returns the new world too. */
const runAssertion = (domain: Domain, world: Node, assertion: EnvAssertion): Result.Result<{ met: boolean; world: Node }, EvaluationError> => {
  const side: Side = assertion.env_type === "user" ? "user" : "agent"
  let result: { value: PyValue; world: Node }
  try {
    // Domain helpers raise like their Python originals (the tool semantics); the reference's evaluation raises with them.
    const ran = runHelper(domain, world, side, assertion.func_name, assertion.arguments as PyObject, { random: seededRandom(PREDICTED_SEED + 1) })
    // `run_env_function_call` syncs after every call. The state was synced before, so the sync
    // can only change something if the assertion wrote (sync is idempotent).
    result = { value: ran.result, world: ran.patch.length === 0 ? ran.world : syncWorld(domain, ran.world).world }
  } catch (e) {
    return Result.fail(evaluationError("env_assertion", pythonTypeOf(e), errorText(e)))
  }
  if (typeof result.value !== "boolean")
    return Result.fail(
      evaluationError("env_assertion", "ValueError", `Function ${assertion.func_name} returned <class '${typeName(result.value)}'> instead of bool`),
    )
  return Result.succeed({ met: result.value === (assertion.assert_value ?? true), world: result.world })
}

export const evaluateEnvironment = (
  domain: Domain,
  task: Task,
  messages: ReadonlyArray<Tau2Message>,
  options: EnvEvaluationOptions,
): Result.Result<EnvEvaluation, EvaluationError> => {
  const criteria = task.evaluation_criteria
  if (criteria == null || (criteria.actions == null && criteria.env_assertions == null)) {
    return Result.succeed({
      reward: 1,
      db_check: { db_match: true, db_reward: 1 },
      env_assertions: null,
      reward_breakdown: null,
      info: { note: criteria == null ? "No evaluation criteria" : "No expected actions or env assertions" },
    })
  }
  const baselineResult = taskBaseline(domain, task, options.strict)
  if (Result.isFailure(baselineResult)) return Result.fail(baselineResult.failure)
  const baseline = baselineResult.success
  const predictedResult = predictedWorld(domain, task, messages, options)
  if (Result.isFailure(predictedResult)) return Result.fail(predictedResult.failure)
  const predicted = predictedResult.success
  const sides: Side[] = domain.userToolkit ? ["agent", "user"] : ["agent"]
  const difference = compareDatabases(baseline.gold, predicted.world, [...baseline.goldPaths, ...predicted.paths], sides)
  const db_check: DbCheck = { db_match: difference === undefined, db_reward: difference === undefined ? 1 : 0 }

  const checks: EnvAssertionCheck[] = []
  let assertionReward = 1
  let world = predicted.world
  for (const assertion of criteria.env_assertions ?? []) {
    const assertionResult = runAssertion(domain, world, assertion)
    if (Result.isFailure(assertionResult)) return Result.fail(assertionResult.failure)
    const ran = assertionResult.success
    world = ran.world
    checks.push({ env_assertion: dumpEnvAssertion(assertion), met: ran.met, reward: ran.met ? 1 : 0 })
    assertionReward *= ran.met ? 1 : 0
  }

  const basis = criteria.reward_basis ?? ["DB", "COMMUNICATE"]
  const breakdown: { -readonly [K in keyof RewardBreakdown]: number } = {}
  let reward = 1
  if (basis.includes("DB")) {
    breakdown.DB = db_check.db_reward
    reward *= db_check.db_reward
  }
  if (basis.includes("ENV_ASSERTION")) {
    breakdown.ENV_ASSERTION = assertionReward
    reward *= assertionReward
  }
  return Result.succeed({ reward, db_check, env_assertions: checks, reward_breakdown: breakdown, info: null })
}
