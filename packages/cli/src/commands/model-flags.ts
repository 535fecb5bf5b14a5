/**
 * Flags of model-backed runs. Generation arguments become part of the participant spec (so the
 * episode records them and a resume or fork reuses them); the others configure how calls are made
 * in this process (they are given again on `--resume`). API keys are never flags: they come from
 * OPENAI_API_KEY, ANTHROPIC_API_KEY and COMPAT_API_KEY.
 */
import { EventStore, type ParticipantFactory as ParticipantFactoryOf } from "@tau-sim/engine"
import {
  liveSpec,
  makeModelRuntime,
  ModelParticipants,
  ModelRuntime,
  parseRateLimits,
  publicSpec,
  storeResponseCache,
  type UsageTotals,
  withArgs,
} from "@tau-sim/models"
import { Effect, Layer, Option } from "effect"
import { Flag } from "effect/cli"
import { nonNegativeInt, positiveNumber } from "./common.ts"

/**
 * A participant spec flag (`--agent`, `--user`). Its value is redacted as soon as it is parsed
 * (`compat:m@https://***@host/v1?api-key=***`): that form is what the command stores and prints,
 * while this process keeps the live one to make the calls (see `credentials.ts` in the models).
 */
export const participantFlag = (name: string) => Flag.String(name).pipe(Flag.map(publicSpec))

export const modelFlags = {
  agentArgs: Flag.String("agent-args").pipe(Flag.withDescription('Generation arguments of a model agent as JSON, e.g. {"temperature": 0}'), Flag.optional),
  userArgs: Flag.String("user-args").pipe(Flag.withDescription("Generation arguments of a model user simulator as JSON"), Flag.optional),
  cache: Flag.Boolean("cache").pipe(Flag.withDescription("Answer a model request already answered in this store from the store"), Flag.withDefault(false)),
  modelTimeout: positiveNumber("model-timeout").pipe(Flag.withDescription("Seconds per model call attempt"), Flag.withDefault(120)),
  modelRetries: nonNegativeInt("model-retries").pipe(Flag.withDescription("Retries of a model call on 429/5xx/timeouts (0: none)"), Flag.withDefault(5)),
  rateLimit: Flag.String("rate-limit").pipe(
    Flag.withDescription("Requests per minute per provider, e.g. openai=500,anthropic=50"),
    Flag.mapTryCatch(parseRateLimits, () => "<provider>=<requests per minute> entries with positive numbers, e.g. openai=500,anthropic=50"),
    Flag.optional,
  ),
}

interface ModelFlagValues {
  readonly agentArgs: Option.Option<string>
  readonly userArgs: Option.Option<string>
  readonly cache: boolean
  readonly modelTimeout: number
  readonly modelRetries: number
  readonly rateLimit: Option.Option<Readonly<Record<string, number>>>
}

/**
 * The model services of a command with model flags: a runtime built from them (`--cache` answers
 * from the store the command uses) and the participants over it. Provided inside the command, they
 * replace the root's default runtime for that command only.
 */
export const modelServices = (f: ModelFlagValues): Layer.Layer<ModelRuntime | ParticipantFactoryOf, never, EventStore> =>
  // Fresh: the root built the same layer value over its default runtime, and layers are memoized by value.
  Layer.fresh(ModelParticipants.layer).pipe(
    Layer.provideMerge(
      Layer.effect(
        ModelRuntime,
        Effect.gen(function* () {
          const store = yield* EventStore
          return makeModelRuntime({
            cache: f.cache ? storeResponseCache(store) : null,
            timeoutMs: f.modelTimeout * 1000,
            maxRetries: f.modelRetries,
            rateLimits: Option.getOrElse(f.rateLimit, () => ({})),
          })
        }),
      ),
    ),
  )

/** The (redacted) spec with `--agent-args` / `--user-args` folded in, still redacted. */
export const specWithArgs = (spec: string, args: Option.Option<string>): string =>
  Option.isSome(args) ? publicSpec(withArgs(liveSpec(spec), args.value)) : spec

/** `, cost so far $0.0123` once a model has been called. */
export const costSoFar = (t: UsageTotals): string =>
  t.calls === 0
    ? ""
    : `, model cost so far $${t.cost.toFixed(4)} (${t.calls} calls${t.cachedCalls ? `, ${t.cachedCalls} cached` : ""}${t.failedCalls ? `, ${t.failedCalls} failed` : ""})`
