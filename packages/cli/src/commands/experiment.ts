/** `tau experiment <file.yaml>`: run (or resume) a matrix of domains × modes × agents × users × trials. */
import { loadExperimentFile, planExperiment, runExperiment } from "@tau-sim/runs"
import { ModelRuntime } from "@tau-sim/models"
import { Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { resumableOnStop, shellArg } from "../signals.ts"
import { dbFlag, jsonFlag, print, printJson, progress, withStore } from "./common.ts"
import { costSoFar, modelCallFlags, modelServices, runPricing } from "./model-flags.ts"
import { experimentDistributedFlags, experimentUnitsOn } from "./distributed.ts"

const flags = {
  db: dbFlag,
  json: jsonFlag,
  file: Argument.String("file").pipe(Argument.withDescription("Experiment file (YAML)")),
  ...modelCallFlags,
  ...experimentDistributedFlags,
}

export const experimentCommand = Command.make("experiment", flags, (f) =>
  Effect.gen(function* () {
    // Everything is validated (file, domains, modes, tasks, participants) before the store is opened.
    const plan = yield* planExperiment(yield* Effect.try({ try: () => loadExperimentFile(f.file), catch: (e) => e as Error }))
    const { spec, cells } = plan
    const total = cells.reduce((n, c) => n + c.taskIds.length * spec.trials, 0)
    yield* progress(
      `experiment ${spec.name}: ${cells.length} runs, ${total} episodes (${spec.domains.length} domains × ${spec.modes.length} modes × ${spec.agents.length} agents × ≤${spec.users.length} users × ${spec.trials} trials)`,
    )
    for (const c of cells) {
      if (c.excluded.length > 0)
        yield* progress(`  ${c.runId}: ${c.excluded.length} task(s) cannot run in mode ${c.mode} and are left out (${c.excluded.map((x) => x.id).join(", ")})`)
    }
    let done = 0
    const outcomes = yield* withStore(
      f.db,
      Effect.gen(function* () {
        const models = yield* ModelRuntime
        return yield* runExperiment(
          plan,
          {
            onCellStart: (cell, n) => process.stderr.write(`[run ${cell.index + 1}/${cells.length}] ${cell.runId}: ${n} episodes\n`),
            onEpisode: (_cell, s) => {
              done++
              process.stderr.write(
                `  [${done}] ${s.task_id} trial ${s.trial}: ${s.termination_reason}, reward ${fmtReward(s.reward)}${costSoFar(models.totals)}\n`,
              )
            },
          },
          // Each cell that calls models records the prices they are costed with.
          { pricing: (cell) => runPricing(models, [cell.agent, cell.user]), ...(yield* experimentUnitsOn(f)) },
        )
      }).pipe(
        Effect.provide(modelServices(f)),
        resumableOnStop(() => `tau experiment ${shellArg(f.file)} --db ${shellArg(f.db)}`),
      ),
    )
    const rows = outcomes.map((o) => {
      const rewards = o.episodes.map((e) => e.reward).filter((r): r is number => r !== null)
      return {
        run_id: o.cell.runId,
        domain: o.cell.domain.label,
        mode: o.cell.mode,
        agent: o.cell.agent,
        user: o.cell.user,
        episodes: o.episodes.length,
        ran: o.ran,
        skipped: o.episodes.length - o.ran,
        avg_reward: rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : null,
      }
    })
    const skipped = rows.reduce((n, r) => n + r.skipped, 0)
    if (skipped > 0) yield* progress(`${skipped} episodes were already finished and were skipped`)
    if (f.json) return yield* printJson({ experiment: spec.name, runs: rows })
    yield* print(
      table(
        ["run", "domain", "mode", "agent", "user", "episodes", "ran", "avg reward"],
        rows.map((r) => [r.run_id, r.domain, r.mode, r.agent, r.user, r.episodes, r.ran, fmtReward(r.avg_reward)]),
      ),
    )
    yield* print(`\nreport: tau report --experiment ${spec.name}${f.db === ".tau/tau.db" ? "" : ` --db ${f.db}`} --format html --out ${spec.name}.html`)
  }),
).pipe(Command.withDescription("Run an experiment file (domains × modes × agents × users × trials); re-running it resumes"))
