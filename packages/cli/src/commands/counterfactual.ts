/** `tau counterfactual`: fork every episode of a run at one point under another agent/user/mode; compare with the parents. */
import { type Mode, MODES } from "@tau-sim/engine"
import { type CounterfactualOptions, counterfactualRunId, decodeRunConfig, type ForkPoint, RUN_DEFAULTS, runCounterfactual } from "@tau-sim/runs"
import { loadReport, renderText } from "@tau-sim/reports"
import { requireRun } from "@tau-sim/replay"
import { ModelRuntime, redactText } from "@tau-sim/models"
import { Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { fmtReward } from "../table.ts"
import { resumableOnStop, shellArg } from "../signals.ts"
import { dbFlag, jsonFlag, nonNegativeInt, positiveInt, print, printJson, storeLayer, withShownDefault } from "./common.ts"
import { participantFlag, modelCallFlags, modelServices, runPricing } from "./model-flags.ts"
import { usage } from "../usage-error.ts"

const flags = {
  db: dbFlag,
  json: jsonFlag,
  run: Flag.String("run").pipe(Flag.withDescription("Run whose finished episodes are branched")),
  atTurn: nonNegativeInt("at-turn").pipe(Flag.withDescription("Keep turns 0..N-1 of each parent; continue live from turn N"), Flag.optional),
  atFirstWrite: Flag.Boolean("at-first-write").pipe(
    Flag.withDescription("Branch at each parent's first call of a tool that changes the world"),
    Flag.withDefault(false),
  ),
  agent: participantFlag("agent").pipe(Flag.withDescription("Agent spec for the branches (default: the parents')"), Flag.optional),
  user: participantFlag("user").pipe(Flag.withDescription("User spec for the branches (default: the parents')"), Flag.optional),
  mode: Flag.Literals("mode", MODES).pipe(Flag.withDescription("Mode for the branches (solo and dual control cannot be mixed)"), Flag.optional),
  maxConcurrency: positiveInt("max-concurrency").pipe(withShownDefault("Branches played at once", RUN_DEFAULTS.maxConcurrency)),
  ...modelCallFlags,
}

export const counterfactualCommand = Command.make("counterfactual", flags, (f) =>
  Effect.gen(function* () {
    if (Option.isSome(f.atTurn) === f.atFirstWrite) return yield* usage("give exactly one of --at-turn N or --at-first-write")
    const at: ForkPoint = Option.isSome(f.atTurn) ? { kind: "turn", turn: f.atTurn.value } : { kind: "first-write" }
    const options: CounterfactualOptions = {
      runId: f.run,
      at,
      agent: Option.getOrUndefined(f.agent),
      user: Option.getOrUndefined(f.user),
      mode: Option.getOrUndefined(f.mode) as Mode | undefined,
      maxConcurrency: f.maxConcurrency,
    }
    const result = yield* Effect.gen(function* () {
      const parentRun = yield* requireRun(f.run, f.db)
      // The branches' participants are the given ones, else the parents': a model among them makes the prices worth recording.
      const parentConfig = Option.getOrUndefined(yield* Effect.option(decodeRunConfig(parentRun)))
      const parentSpecs = parentConfig && "agent" in parentConfig ? [parentConfig.agent, parentConfig.user] : []
      const pricing = runPricing(yield* ModelRuntime, [options.agent, options.user, ...parentSpecs])
      const batch = yield* runCounterfactual({ ...options, ...(pricing ? { pricing } : {}) }, (b) =>
        process.stderr.write(
          b.skipped
            ? `  ${b.parent_episode_id} (${b.task_id} trial ${b.trial}): not branched: ${b.skipped}\n`
            : `  ${b.parent_episode_id} -> ${b.episode_id}: reward ${fmtReward(b.parent_reward)} -> ${fmtReward(b.reward)}${b.ran ? "" : " (done before)"}\n`,
        ),
      ).pipe(resumableOnStop(() => `tau run --resume ${shellArg(counterfactualRunId(options))} --db ${shellArg(f.db)}`))
      const report = yield* loadReport({ run: batch.runId })
      return { batch, report }
    }).pipe(Effect.provide(modelServices(f).pipe(Layer.provideMerge(storeLayer(f.db, { mustExist: true })))))
    if (f.json) return yield* printJson({ run_id: result.batch.runId, branches: result.batch.branches, comparison: result.report.counterfactual })
    yield* print(`counterfactual run ${result.batch.runId} (tau report --run ${result.batch.runId})\n`)
    yield* Effect.sync(() => process.stdout.write(redactText(renderText(result.report))))
  }),
).pipe(Command.withDescription("Fork every episode of a run at a turn or at its first write, under another agent/user/mode, and compare"))
