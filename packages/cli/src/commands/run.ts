/** `tau run`: run (or resume) an evaluation: tasks × trials, stored as episodes. */
import { randomUUID } from "node:crypto"
import { EventStore, type Mode } from "@tau-sim/engine"
import { eligibleTasks, type EpisodeSummary, participantsFor, type RunConfig, resolveDomain, runEpisodes, selectTasks, validateMode } from "@tau-sim/replay"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { dataDirFlag, dbFlag, jsonFlag, print, progress, withStore } from "./common.ts"
import { configureModelRuntime, costSoFar, modelFlags, specWithArgs } from "./model-flags.ts"

const flags = {
  db: dbFlag,
  json: jsonFlag,
  dataDir: dataDirFlag,
  domain: Flag.String("domain").pipe(Flag.withDescription("demo | mock | airline | retail | telecom"), Flag.optional),
  agent: Flag.String("agent").pipe(Flag.withDescription("Agent spec: oracle | scripted:<file> | <provider>:<model>"), Flag.withDefault("oracle")),
  user: Flag.String("user").pipe(Flag.withDescription("User spec: scripted | scripted:<file> | <provider>:<model>"), Flag.withDefault("scripted")),
  mode: Flag.Literals("mode", ["default", "no-user", "oracle-plan", "no-user-oracle-plan", "no-policy"]).pipe(Flag.withDefault("default")),
  policyVariant: Flag.String("policy-variant").pipe(Flag.withDescription("Policy variant (e.g. workflow for telecom)"), Flag.withDefault("default")),
  trials: Flag.Int("trials").pipe(Flag.withDefault(1)),
  seed: Flag.Int("seed").pipe(Flag.withDefault(300)),
  maxSteps: Flag.Int("max-steps").pipe(Flag.withDefault(200)),
  maxErrors: Flag.Int("max-errors").pipe(Flag.withDefault(10)),
  maxConcurrency: Flag.Int("max-concurrency").pipe(Flag.withDefault(3)),
  split: Flag.String("split").pipe(Flag.withDescription("Task split (default: base)"), Flag.optional),
  taskIds: Flag.String("task-ids").pipe(Flag.withDescription("Comma-separated task ids"), Flag.optional),
  numTasks: Flag.Int("num-tasks").pipe(Flag.withDescription("Only the first N tasks"), Flag.optional),
  runId: Flag.String("run-id").pipe(Flag.withDescription("Id for a new run (default: generated)"), Flag.optional),
  resume: Flag.String("resume").pipe(Flag.withDescription("Resume an interrupted run by id"), Flag.optional),
  ...modelFlags,
}

export const runCommand = Command.make("run", flags, (f) =>
  withStore(
    f.db,
    Effect.gen(function* () {
      const store = yield* EventStore
      yield* configureModelRuntime(f, store)
      let config: RunConfig
      if (Option.isSome(f.resume)) {
        const run = yield* store.getRun(f.resume.value)
        if (!run) return yield* Effect.fail(new Error(`run ${f.resume.value} not found in ${f.db}`))
        config = run.config as unknown as RunConfig
      } else {
        if (Option.isNone(f.domain)) return yield* Effect.fail(new Error("--domain is required (or --resume RUN)"))
        const ref = { domain: f.domain.value, dataDir: Option.getOrNull(f.dataDir), policyVariant: f.policyVariant }
        const domain = resolveDomain(ref)
        // A mode the domain cannot run is an error before anything is stored or any model is called.
        const unsupported = validateMode(domain, f.mode as Mode, f.policyVariant)
        if (unsupported) return yield* Effect.fail(unsupported)
        const explicitIds = Option.getOrUndefined(f.taskIds)?.split(",").map((s) => s.trim()).filter(Boolean)
        const selected = selectTasks(domain, { split: Option.getOrUndefined(f.split), taskIds: explicitIds, numTasks: Option.getOrUndefined(f.numTasks) })
        const { tasks, excluded } = eligibleTasks(selected, f.mode as Mode)
        if (excluded.length > 0 && explicitIds?.length) {
          return yield* Effect.fail(new Error(`mode ${f.mode} cannot run: ${excluded.map((e) => `${e.id} (${e.reason})`).join("; ")}`))
        }
        if (excluded.length > 0) yield* progress(`mode ${f.mode}: ${excluded.length} tasks left out (${excluded[0].reason}${excluded.length > 1 ? ", ..." : ""})`)
        config = {
          ...ref,
          runId: Option.getOrElse(f.runId, () => `run_${new Date().toISOString().slice(0, 10).replaceAll("-", "")}_${randomUUID().slice(0, 8)}`),
          agent: specWithArgs(f.agent, f.agentArgs),
          user: specWithArgs(f.user, f.userArgs),
          mode: f.mode as Mode,
          trials: f.trials,
          seed: f.seed,
          maxSteps: f.maxSteps,
          maxErrors: f.maxErrors,
          taskIds: tasks.map((t) => t.id),
          maxConcurrency: f.maxConcurrency,
        }
      }
      // A malformed participant spec or a missing API key fails here, before anything is stored.
      yield* Effect.try({ try: () => participantsFor(config), catch: (e) => (e instanceof Error ? e : new Error(String(e))) })
      const total = config.taskIds.length * config.trials
      let done = 0
      yield* progress(`run ${config.runId}: ${config.domain}, ${config.taskIds.length} tasks × ${config.trials} trials, agent ${config.agent}, user ${config.user}`)
      const summaries = yield* runEpisodes(config, (s) => {
        done++
        if (f.json) process.stdout.write(`${JSON.stringify(jsonLine(s))}\n`)
        process.stderr.write(`[${done}/${total}] ${s.task_id} trial ${s.trial}: ${s.termination_reason}, reward ${fmtReward(s.reward)}${costSoFar()}\n`)
      })
      const skipped = summaries.filter((s) => !s.ran)
      if (skipped.length > 0) yield* progress(`${skipped.length} episodes were already finished and were skipped`)
      if (f.json) return
      yield* print(
        table(
          ["episode", "task", "trial", "termination", "reward"],
          summaries.map((s) => [s.episode_id, s.task_id, s.trial, s.termination_reason, fmtReward(s.reward)]),
        ),
      )
      const rewards = summaries.map((s) => s.reward).filter((r): r is number => r !== null)
      const avg = rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : null
      yield* print(`\nrun ${config.runId}: ${summaries.length} episodes, average reward ${fmtReward(avg)}`)
    }),
  ),
).pipe(Command.withDescription("Run an evaluation (domains × tasks × trials), or resume one with --resume RUN"))

const jsonLine = (s: EpisodeSummary) => ({
  run_id: s.run_id,
  episode_id: s.episode_id,
  task_id: s.task_id,
  trial: s.trial,
  termination_reason: s.termination_reason,
  reward: s.reward,
})


