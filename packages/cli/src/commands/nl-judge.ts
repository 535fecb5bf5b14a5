/**
 * The judge flags: `--nl-judge` (which judge grades a task's NL assertions: the offline
 * `scripted:all-met`, or any model spec), `--fresh-judge`, and `--policy-judge` (the optional
 * LLM-judged `policy_adherence` of support-desk). A model judge calls through its own runtime:
 * the command's model call flags (timeouts, retries, rate limits), and, unless `--fresh-judge`,
 * the store's recorded calls as its cache, so a question the judge already answered (same model,
 * same prompt, same arguments: the request hash) is answered from the record without an HTTP
 * request. Its calls are stored with the scores they produced (ADR 0007).
 */
import { EventStore, formatCost, type ParticipantSpecError } from "@tau-sim/engine"
import * as Evaluate from "@tau-sim/evaluators"
import {
  isModelSpec,
  makeModelRuntime,
  type ModelRuntimeShape,
  nlJudgeOfSpec,
  policyJudgeOfSpec,
  publicSpec,
  storeResponseCache,
  type UserPrices,
} from "@tau-sim/models"
import { Effect } from "effect"
import { Flag } from "effect/cli"
import { type UsageError, usage } from "../usage-error.ts"
import { describedDefault, progress, withShownDefault } from "./common.ts"
import { type CallFlagValues, callRuntime, modelFlags, priceFlags } from "./model-flags.ts"

export const SCRIPTED_NL_JUDGE = "scripted:all-met"

export const nlJudgeFlag = Flag.String("nl-judge").pipe(
  Flag.map(publicSpec),
  withShownDefault(
    `Judge of NL assertions: ${SCRIPTED_NL_JUDGE} (offline, every assertion met) or a model, e.g. openai:gpt-4.1 (temperature 0)`,
    SCRIPTED_NL_JUDGE,
  ),
)

export const freshJudgeFlag = Flag.Boolean("fresh-judge").pipe(
  Flag.withDescription("Ask a model judge again even where the store has its answer to the same question"),
  Flag.withDefault(false),
)

export const policyJudgeFlag = Flag.String("policy-judge").pipe(
  Flag.withDescription(
    describedDefault("With --evaluator support-desk: a model that judges policy adherence (the policy_adherence component)", "none: not judged"),
  ),
  Flag.map(publicSpec),
  Flag.optional,
)

/** The flags of the judges of `tau run`, with the model call flags they use. */
export const nlJudgeFlags = { nlJudge: nlJudgeFlag, freshJudge: freshJudgeFlag }

/** The model call and price flags a command without model participants takes for its judges (`tau rescore`). */
export const judgeCallFlags = { modelTimeout: modelFlags.modelTimeout, modelRetries: modelFlags.modelRetries, rateLimit: modelFlags.rateLimit, ...priceFlags }

export interface JudgeRuntimeFlags extends CallFlagValues {
  readonly freshJudge: boolean
}

/**
 * The judges' runtime: the command's model call and price flags (over `recorded`, the prices a
 * resumed run was costed with), and the store's recorded calls as the cache unless `--fresh-judge`.
 */
export const judgeRuntime = (
  f: JudgeRuntimeFlags,
  recorded: Effect.Effect<UserPrices, never, EventStore> = Effect.succeed({}),
): Effect.Effect<ModelRuntimeShape, never, EventStore> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    return yield* callRuntime(f, f.freshJudge ? null : storeResponseCache(store), recorded)
  })

/**
 * The NL judge of `spec`. A model judge calls through `runtime` (default: one with the default
 * call options and no cache, for commands without a store such as `evaluate-trajs`).
 */
export const judgeFor = (spec: string, runtime?: ModelRuntimeShape): Effect.Effect<Evaluate.NlJudge, UsageError | ParticipantSpecError> =>
  spec === SCRIPTED_NL_JUDGE
    ? Effect.succeed(Evaluate.scriptedAllMetJudge)
    : isModelSpec(spec)
      ? nlJudgeOfSpec(spec, runtime ?? makeModelRuntime())
      : Effect.fail(usage(`unknown NL judge "${spec}" (offline: ${SCRIPTED_NL_JUDGE}; or a model, e.g. openai:gpt-4.1)`))

/** The policy-adherence judge of `--policy-judge` (a model spec) over `runtime`. */
export const policyJudgeFor = (spec: string, runtime: ModelRuntimeShape): Effect.Effect<Evaluate.PolicyJudge, UsageError | ParticipantSpecError> =>
  isModelSpec(spec) ? policyJudgeOfSpec(spec, runtime) : Effect.fail(usage(`--policy-judge takes a model, e.g. openai:gpt-4.1 (got "${spec}")`))

/** `judge openai:gpt-4.1: 3 model calls (1 answered from the store), cost $0.0123`. */
export const judgeCostLine = (name: string, runtime: ModelRuntimeShape): string => {
  const t = runtime.totals
  if (t.calls === 0) return `judge ${name}: not asked`
  const answered = t.cachedCalls ? ` (${t.cachedCalls} answered from the store)` : ""
  return `judge ${name}: ${t.calls} model call${t.calls === 1 ? "" : "s"}${answered}${t.failedCalls ? `, ${t.failedCalls} failed` : ""}, cost ${formatCost({ known: t.cost, unpriced: t.unpricedCalls })}`
}

/**
 * Runs `self` with the NL judge of the flags as the judge of every score it makes
 * (`CurrentNlJudge`: the runs' scoring at each episode's end), and says what the judge cost.
 * A judge spec that cannot be built fails before `self` starts.
 */
export const withNlJudge =
  (f: JudgeRuntimeFlags & { readonly nlJudge: string }, recorded?: Effect.Effect<UserPrices, never, EventStore>) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | UsageError | ParticipantSpecError, R | EventStore> =>
    f.nlJudge === SCRIPTED_NL_JUDGE
      ? self
      : Effect.gen(function* () {
          const runtime = yield* judgeRuntime(f, recorded)
          const judge = yield* judgeFor(f.nlJudge, runtime)
          return yield* self.pipe(
            Effect.provideService(Evaluate.CurrentNlJudge, judge),
            Effect.ensuring(Effect.suspend(() => progress(judgeCostLine(judge.name, runtime)))),
          )
        })
