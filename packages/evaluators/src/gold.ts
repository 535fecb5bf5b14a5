/**
 * The two starting points of the environment evaluator, computed once per task and cached.
 *
 * - The *prefix*: a fresh environment with the task's initialisation data merged and its
 *   initialisation actions run (each followed by the sync), but before any message is replayed.
 *   Both the predicted and the gold environment start from it (semantics §3.5 steps 2-3).
 * - The *gold* world: prefix + the task's own message history replayed + final sync + the
 *   expected actions executed directly on the toolkits, errors ignored, **without** sync (§5.2).
 *
 * Cache key: the task object, the domain (name and data hash) and the evaluator version, plus the
 * replay strictness that the gold history replay used. Worlds are immutable persistent trees, so
 * sharing them between evaluations is safe.
 */
import {
  applyAll,
  applyInitialState,
  type Domain,
  executeToolCall,
  type InitialStateResult,
  type Node,
  type Op,
  type PyObject,
  type PyValue,
  seededRandom,
  syncWorld,
  type Task,
} from "@tau-sim/engine"
import { comparisonPaths } from "./db-compare.ts"
import { Result } from "effect"
import { type EvaluationError, errorText, evaluationError } from "./errors.ts"
import { decodeTau2Messages } from "./messages.ts"
import { replayToolCalls } from "./reexecute.ts"
import { ENV_EVALUATOR } from "./versions.ts"

/** Seeds of the deterministic randomness of each environment (ids a tool invents, §9.5). */
export const PREFIX_SEED = 0
/**
 * Gold and predicted environments draw different random ids, like the reference's two
 * independent `uuid4` streams: a task whose gold action invents an id never matches the DB hash.
 */
export const GOLD_SEED = 0x601d
export const PREDICTED_SEED = 0x7e11

export interface TaskBaseline {
  /** World after initialisation data and actions, before any history replay or final sync. */
  readonly prefix: Node
  readonly gold: Node
  /** Paths the gold side changed relative to the prefix (see `comparisonPaths`). */
  readonly goldPaths: ReadonlyArray<ReadonlyArray<string>>
}

const cache = new WeakMap<Task, Map<string, TaskBaseline>>()

const cacheKey = (domain: Domain, strict: boolean): string =>
  `${domain.name}\u0000${domain.hashes.data}\u0000${ENV_EVALUATOR.version}\u0000${strict ? "strict" : "lenient"}`

/** The world `set_state` has built when it starts replaying messages. */
export const initialPrefix = (domain: Domain, task: Task): Result.Result<Node, EvaluationError> => {
  const init = task.initial_state
  const withoutHistory: Task = init ? { ...task, initial_state: { ...init, message_history: [] } } : task
  let applied: InitialStateResult
  try {
    // The engine raises like the reference's `set_state` on initialisation data or actions it cannot apply.
    applied = applyInitialState(domain, withoutHistory, { strict: true, seed: PREFIX_SEED })
  } catch (e) {
    return Result.fail(evaluationError("initial_state", "ValueError", errorText(e)))
  }
  // applyInitialState ends with the post-replay sync; the prefix is the state just before it.
  // Without that step (the sync changed nothing) it is the world applyInitialState built.
  if (applied.steps.at(-1)?.name !== "sync_tools") return Result.succeed(applied.world)
  const steps = applied.steps.slice(0, -1)
  return Result.succeed(
    applyAll(
      domain.initialWorld,
      steps.flatMap((s) => s.patch),
    ),
  )
}

const computeBaseline = (domain: Domain, task: Task, strict: boolean): Result.Result<TaskBaseline, EvaluationError> =>
  Result.gen(function* () {
    const prefix = yield* initialPrefix(domain, task)
    const history = yield* decodeTau2Messages((task.initial_state?.message_history ?? []) as unknown as PyValue).pipe(
      // The task's own history is part of its initial state.
      Result.mapError((e) => evaluationError("initial_state", "ValidationError", e.message)),
    )
    const replayed = yield* replayToolCalls(domain, prefix, history, { strict, solo: false, ctx: { random: seededRandom(GOLD_SEED) } })
    const synced = syncWorld(domain, replayed.world)
    let gold = synced.world
    const ops: Op[] = [...replayed.ops, ...synced.patch]
    const ctx = { random: seededRandom(GOLD_SEED + 1) }
    for (const action of task.evaluation_criteria?.actions ?? []) {
      const call = { id: "", name: action.name, arguments: action.arguments as PyObject, requestor: action.requestor ?? "assistant" }
      // Errors are ignored (the reference logs them); writes made before the error stay.
      const outcome = executeToolCall(domain, gold, call, ctx, { solo: false, sync: false })
      gold = outcome.world
      for (const op of outcome.patch) ops.push(op)
    }
    return { prefix, gold, goldPaths: comparisonPaths(ops, prefix, gold) }
  })

/** The task's baseline, computed once per task, domain data and strictness (a failure is not cached: it is recomputed and fails again). */
export const taskBaseline = (domain: Domain, task: Task, strict: boolean): Result.Result<TaskBaseline, EvaluationError> => {
  let perTask = cache.get(task)
  if (!perTask) {
    perTask = new Map()
    cache.set(task, perTask)
  }
  const key = cacheKey(domain, strict)
  const cached = perTask.get(key)
  if (cached) return Result.succeed(cached)
  const computed = computeBaseline(domain, task, strict)
  if (Result.isSuccess(computed)) perTask.set(key, computed.success)
  return computed
}
