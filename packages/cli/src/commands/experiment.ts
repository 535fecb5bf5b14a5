/** `tau experiment <file.yaml>`: run (or resume) a matrix of domains × modes × agents × users × trials. */
import { loadExperimentFile, planExperiment, runExperiment } from "@tau-sim/runs"
import { ModelRuntime } from "@tau-sim/models"
import { Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { fmtReward, table, terminalWidth } from "../table.ts"
import { type Progress, runProgress } from "../live-progress.ts"
import { computeMetrics } from "@tau-sim/evaluators"
import { resumableOnStop, shellArg } from "../signals.ts"
import { dbFlag, jsonFlag, print, printJson, progress, withStore } from "./common.ts"
import { experimentWithTasks, tasksFileFlag } from "./tasks-file.ts"
import { costSoFar, modelCallFlags, modelServices, runPricing, totalCost } from "./model-flags.ts"
import { experimentDistributedFlags, experimentUnitsOn } from "./distributed.ts"

const flags = {
  db: dbFlag,
  json: jsonFlag,
  file: Argument.String("file").pipe(Argument.withDescription("Experiment file (YAML)")),
  tasks: tasksFileFlag,
  ...modelCallFlags,
  ...experimentDistributedFlags,
}

export const experimentCommand = Command.make("experiment", flags, (f) =>
  Effect.gen(function* () {
    // Everything is validated (file, domains, modes, tasks, participants) before the store is opened.
    const plan = yield* planExperiment(yield* Effect.try({ try: () => experimentWithTasks(loadExperimentFile(f.file), f.tasks), catch: (e) => e as Error }))
    const { spec, cells } = plan
    const total = cells.reduce((n, c) => n + c.taskIds.length * spec.trials, 0)
    yield* progress(
      `experiment ${spec.name}: ${cells.length} runs, ${total} episodes (${spec.domains.length} domains × ${spec.modes.length} modes × ${spec.agents.length} agents × ≤${spec.users.length} users × ${spec.trials} trials)`,
    )
    for (const c of cells) {
      if (c.excluded.length > 0)
        yield* progress(`  ${c.runId}: ${c.excluded.length} task(s) cannot run in mode ${c.mode} and are left out (${c.excluded.map((x) => x.id).join(", ")})`)
    }
    // A bar on a terminal, a line per episode otherwise (live-progress.ts), over the whole experiment.
    let live: Progress | null = null
    const outcomes = yield* withStore(
      f.db,
      Effect.gen(function* () {
        const models = yield* ModelRuntime
        const bar = runProgress({
          total: () => total,
          cost: () => (models.totals.calls > 0 ? totalCost(models.totals) : ""),
          costSuffix: () => costSoFar(models.totals),
          indent: "  ",
          lineTotal: false,
        })
        live = bar
        return yield* runExperiment(
          plan,
          {
            onCellStart: (cell, n) => bar.line(`[run ${cell.index + 1}/${cells.length}] ${cell.runId}: ${n} episodes`),
            onEpisode: (_cell, s) => bar.episode(s),
          },
          // Each cell that calls models records the prices they are costed with.
          { pricing: (cell) => runPricing(models, [cell.agent, cell.user]), ...(yield* experimentUnitsOn(f)) },
        )
      }).pipe(
        Effect.provide(modelServices(f)),
        Effect.ensuring(Effect.sync(() => live?.clear())),
        resumableOnStop(() => `tau experiment ${shellArg(f.file)} --db ${shellArg(f.db)}`),
      ),
    )
    const rows = outcomes.map((o) => {
      // As τ² counts: errored episodes (infrastructure) apart, not reward 0 in the average.
      const metrics = computeMetrics(o.episodes, { numTrials: spec.trials })
      return {
        run_id: o.cell.runId,
        domain: o.cell.domain.label,
        mode: o.cell.mode,
        agent: o.cell.agent,
        user: o.cell.user,
        episodes: o.episodes.length,
        ran: o.ran,
        skipped: o.episodes.length - o.ran,
        errored: metrics.infra_error_count,
        avg_reward: metrics.total_simulations > 0 ? metrics.avg_reward : null,
      }
    })
    const skipped = rows.reduce((n, r) => n + r.skipped, 0)
    if (skipped > 0) yield* progress(`${skipped} episodes were already finished and were skipped`)
    if (f.json) return yield* printJson({ experiment: spec.name, runs: rows })
    yield* print(
      table(
        ["run", "domain", "mode", "agent", "user", "episodes", "ran", "errored", "avg reward"],
        rows.map((r) => [r.run_id, r.domain, r.mode, r.agent, r.user, r.episodes, r.ran, r.errored, fmtReward(r.avg_reward)]),
        { maxWidth: terminalWidth(), shrink: [0, 3, 4] },
      ),
    )
    yield* print(`\nreport: tau report --experiment ${spec.name}${f.db === ".tau/tau.db" ? "" : ` --db ${f.db}`} --format html --out ${spec.name}.html`)
  }),
).pipe(Command.withDescription("Run an experiment file (domains × modes × agents × users × trials); re-running it resumes"))
