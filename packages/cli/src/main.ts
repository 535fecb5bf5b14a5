#!/usr/bin/env node
/**
 * The `tau` command line. Every command takes `--db PATH` (default `.tau/tau.db`) and `--json`.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Cause, Effect } from "effect"
import { modelParticipantFactory } from "@tau-sim/models"
import { registerModelParticipants } from "@tau-sim/replay"
import { Command } from "effect/cli"
import { forkCommand } from "./commands/fork.ts"
import { counterfactualCommand } from "./commands/counterfactual.ts"
import { experimentCommand } from "./commands/experiment.ts"
import { reportCommand } from "./commands/report.ts"
import { evaluateTrajsCommand, exportCommand, importCommand } from "./commands/interop.ts"
import { policyCommand, tasksCommand } from "./commands/tasks.ts"
import { replayCommand } from "./commands/replay.ts"
import { rescoreCommand } from "./commands/rescore.ts"
import { runCommand } from "./commands/run.ts"
import { showCommand } from "./commands/show.ts"
import { installStopSignals, stopTeardown } from "./signals.ts"

// `openai:<model>`, `anthropic:<model>`, `compat:<model>@<url>` participants.
registerModelParticipants(modelParticipantFactory())

// `tau ... | head` closes stdout early; that is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0)
  throw e
})

const tau = Command.make("tau").pipe(
  Command.withDescription("Event-sourced simulation of tool-using agents (τ²-bench compatible)"),
  Command.withSubcommands([runCommand, replayCommand, forkCommand, rescoreCommand, showCommand, tasksCommand, policyCommand, evaluateTrajsCommand, importCommand, exportCommand, experimentCommand, reportCommand, counterfactualCommand]),
)

const program = Command.run(tau, { version: "0.1.0" }).pipe(
  Effect.catchCause((cause) =>
    Effect.sync(() => {
      const error = Cause.squash(cause)
      const message = error instanceof Error ? error.message : String(error)
      process.stderr.write(`error: ${message}\n`)
      if (process.env.TAU_DEBUG) process.stderr.write(`${Cause.pretty(cause)}\n`)
      process.exitCode = process.exitCode || 1
    }),
  ),
  Effect.provide(NodeServices.layer),
)

// SIGINT/SIGTERM interrupt the program (clean stop, exit 130/143); a second one exits at once.
installStopSignals()
NodeRuntime.runMain(program, { disableErrorReporting: true, teardown: stopTeardown })

