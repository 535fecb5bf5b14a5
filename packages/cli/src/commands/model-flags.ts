/**
 * Flags of model-backed runs. Generation arguments become part of the participant spec (so the
 * episode records them and a resume or fork reuses them); the others configure how calls are made
 * in this process (they are given again on `--resume`). API keys are never flags: they come from
 * OPENAI_API_KEY, ANTHROPIC_API_KEY and COMPAT_API_KEY.
 *
 * Prices (`--prices FILE`, `--price MODEL=IN,OUT`) are the exception: they are recorded with the
 * run, and a `--resume` costs calls with the recorded ones unless given others.
 */
import { EventStore, formatCost, formatCostAmount, type ParticipantFactory as ParticipantFactoryOf } from "@tau-sim/engine"
import {
  isModelSpec,
  liveSpec,
  makeModelRuntime,
  ModelParticipants,
  ModelRuntime,
  type ModelRuntimeShape,
  parsePriceEntry,
  parseRateLimits,
  PRICE_TABLE_VERSION,
  type Price,
  pricesOfRecord,
  type ResponseCache,
  publicSpec,
  readPriceFile,
  recordedPrices,
  redactText,
  storeResponseCache,
  type UsageTotals,
  type UserPrices,
  withArgs,
} from "@tau-sim/models"
import { decodeRunConfig, type RunPricing } from "@tau-sim/runs"
import { Effect, Layer, Option } from "effect"
import { Flag } from "effect/cli"
import { nonNegativeInt, positiveNumber, withShownDefault } from "./common.ts"

/**
 * A participant spec flag (`--agent`, `--user`). Its value is redacted as soon as it is parsed
 * (`compat:m@https://***@host/v1?api-key=***`): that form is what the command stores and prints,
 * while this process keeps the live one to make the calls (see `credentials.ts` in the models).
 */
export const participantFlag = (name: string) => Flag.String(name).pipe(Flag.map(publicSpec))

/**
 * The prices of every command that calls models (run, experiment, fork, counterfactual, the NL
 * judge's): a user's price overrides our table's, and the prices used are recorded with the run.
 * Both are read when the command line is parsed: a bad file or entry is a usage error naming the
 * file (or `--price`) and the model or field, before anything runs or is stored.
 */
export const priceFlags = {
  prices: Flag.String("prices").pipe(
    Flag.withDescription(
      'Model prices file, JSON or YAML: {"<model>": {"input_per_mtok": <USD>, "output_per_mtok": <USD>}}; over our price table, recorded with the run. A model with no price has its cost shown as unknown. Prompt-cache discounts are not modelled (costs are upper bounds)',
    ),
    Flag.mapTryCatch(readPriceFile, (e) => (e instanceof Error ? e.message : String(e))),
    Flag.optional,
  ),
  price: Flag.String("price").pipe(
    Flag.withDescription("A model's price, <model>=<input>,<output> in USD per million tokens, e.g. gpt-4.1=2,8 (repeatable; over --prices)"),
    Flag.mapTryCatch(parsePriceEntry, (e) => (e instanceof Error ? e.message : String(e))),
    Flag.atLeast(0),
  ),
}

export interface PriceFlagValues {
  readonly prices: Option.Option<UserPrices>
  readonly price: ReadonlyArray<readonly [string, Price]>
}

/** The prices the flags give: the file's, then each `--price` over them. */
export const userPricesOf = (f: PriceFlagValues): UserPrices => ({ ...Option.getOrElse(f.prices, () => ({})), ...Object.fromEntries(f.price) })

/** The user prices recorded with run `runId` (none when it has none, or cannot be read: the command reports that itself). */
export const recordedPricesOf = (runId: Option.Option<string>): Effect.Effect<UserPrices, never, EventStore> =>
  Effect.gen(function* () {
    if (Option.isNone(runId)) return {}
    const run = yield* (yield* EventStore).getRun(runId.value)
    if (!run) return {}
    const config = yield* decodeRunConfig(run)
    return config.kind === "import" || config.pricing === undefined ? {} : pricesOfRecord(config.pricing.user)
  }).pipe(Effect.orElseSucceed(() => ({})))

/**
 * What a run records of the prices this runtime costs calls with: the table's version and the
 * user's prices. Undefined for a run that calls no model and was given no prices (nothing was priced).
 */
export const runPricing = (runtime: ModelRuntimeShape, specs: ReadonlyArray<string | null | undefined>): RunPricing | undefined =>
  specs.some((s) => typeof s === "string" && isModelSpec(s)) || Object.keys(runtime.options.userPrices).length > 0
    ? { table: PRICE_TABLE_VERSION, user: recordedPrices(runtime.options.userPrices) }
    : undefined

/** Once per model and run: its calls' cost is unknown, and how to give a price. */
export const warnUnpriced = (model: string, provider: string) =>
  process.stderr.write(
    redactText(
      `warning: no price for model ${model} (${provider}): its cost is shown as unknown; give one with --price ${model}=<input>,<output> (USD per million tokens) or --prices FILE\n`,
    ),
  )

/** How a command that runs models calls and prices them: run, experiment, fork, counterfactual, critical. */
export const modelCallFlags = {
  cache: Flag.Boolean("cache").pipe(Flag.withDescription("Answer a model request already answered in this store from the store"), Flag.withDefault(false)),
  modelTimeout: positiveNumber("model-timeout").pipe(withShownDefault("Seconds per model call attempt", 120)),
  modelRetries: nonNegativeInt("model-retries").pipe(withShownDefault("Retries of a model call on 429/5xx/timeouts (0: none)", 5)),
  rateLimit: Flag.String("rate-limit").pipe(
    Flag.withDescription("Requests per minute per provider, e.g. openai=500,anthropic=50"),
    Flag.mapTryCatch(parseRateLimits, () => "<provider>=<requests per minute> entries with positive numbers, e.g. openai=500,anthropic=50"),
    Flag.optional,
  ),
  ...priceFlags,
}

/** `tau run`'s model flags: the call flags and the generation arguments folded into its specs. */
export const modelFlags = {
  agentArgs: Flag.String("agent-args").pipe(Flag.withDescription('Generation arguments of a model agent as JSON, e.g. {"temperature": 0}'), Flag.optional),
  userArgs: Flag.String("user-args").pipe(Flag.withDescription("Generation arguments of a model user simulator as JSON"), Flag.optional),
  ...modelCallFlags,
}

/** The flags of how calls are made and priced (a judge's runtime takes these without `--cache`). */
export interface CallFlagValues extends PriceFlagValues {
  readonly modelTimeout: number
  readonly modelRetries: number
  readonly rateLimit: Option.Option<Readonly<Record<string, number>>>
}

interface ModelCallFlagValues extends CallFlagValues {
  readonly cache: boolean
}

/**
 * A model runtime from the call and price flags: `cache` answers requests from a store (null: every
 * request is sent), `recorded` are the prices a resumed run was costed with (the flags' go over them).
 */
export const callRuntime = (
  f: CallFlagValues,
  cache: ResponseCache | null,
  recorded: Effect.Effect<UserPrices, never, EventStore> = Effect.succeed({}),
): Effect.Effect<ModelRuntimeShape, never, EventStore> =>
  Effect.map(recorded, (prices) =>
    makeModelRuntime({
      cache,
      timeoutMs: f.modelTimeout * 1000,
      maxRetries: f.modelRetries,
      rateLimits: Option.getOrElse(f.rateLimit, () => ({})),
      userPrices: { ...prices, ...userPricesOf(f) },
      onUnpriced: warnUnpriced,
    }),
  )

/**
 * The model services of a command with model flags: a runtime built from them (`--cache` answers
 * from the store the command uses) and the participants over it. Provided inside the command, they
 * replace the root's default runtime for that command only.
 */
export const modelServices = (
  f: ModelCallFlagValues,
  recorded: Effect.Effect<UserPrices, never, EventStore> = Effect.succeed({}),
): Layer.Layer<ModelRuntime | ParticipantFactoryOf, never, EventStore> =>
  // Fresh: the root built the same layer value over its default runtime, and layers are memoized by value.
  Layer.fresh(ModelParticipants.layer).pipe(
    Layer.provideMerge(
      Layer.effect(
        ModelRuntime,
        Effect.gen(function* () {
          const store = yield* EventStore
          return yield* callRuntime(f, f.cache ? storeResponseCache(store) : null, recorded)
        }),
      ),
    ),
  )

/** The (redacted) spec with `--agent-args` / `--user-args` folded in, still redacted. */
export const specWithArgs = (spec: string, args: Option.Option<string>): string =>
  Option.isSome(args) ? publicSpec(withArgs(liveSpec(spec), args.value)) : spec

/** The cost of the calls in `t`: `$0.0123`, or a lower bound / unknown when some had no price. */
export const totalCost = (t: UsageTotals): string => formatCost({ known: t.cost, unpriced: t.unpricedCalls })

/** `, model cost so far $0.0123` once a model has been called. */
export const costSoFar = (t: UsageTotals): string =>
  t.calls === 0
    ? ""
    : `, model cost so far ${formatCostAmount({ known: t.cost, unpriced: t.unpricedCalls })} (${t.calls} calls${t.unpricedCalls ? `, ${t.unpricedCalls} unpriced` : ""}${t.cachedCalls ? `, ${t.cachedCalls} cached` : ""}${t.failedCalls ? `, ${t.failedCalls} failed` : ""})`
