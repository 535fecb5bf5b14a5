#!/usr/bin/env node
/**
 * The `tau` command line. Every command takes `--db PATH` (default `.tau/tau.db`) and `--json`.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Cause, Effect, Layer } from "effect"
import { builtinDomains } from "@tau-sim/domains"
import { ParticipantFactory } from "@tau-sim/engine"
import { currentModelRuntime, modelParticipants, publicSpec, redactText } from "@tau-sim/models"
import { CliError, CliOutput, Command } from "effect/cli"
import { forkCommand } from "./commands/fork.ts"
import { counterfactualCommand } from "./commands/counterfactual.ts"
import { dataCommand } from "./commands/data.ts"
import { experimentCommand } from "./commands/experiment.ts"
import { reportCommand } from "./commands/report.ts"
import { evaluateTrajsCommand, exportCommand, importCommand } from "./commands/interop.ts"
import { policyCommand, tasksCommand } from "./commands/tasks.ts"
import { replayCommand } from "./commands/replay.ts"
import { rescoreCommand } from "./commands/rescore.ts"
import { runCommand } from "./commands/run.ts"
import { showCommand } from "./commands/show.ts"
import { installStopSignals, stopTeardown } from "./signals.ts"

/**
 * The services of every command: the built-in domains, and the participants: `openai:<model>`,
 * `anthropic:<model>`, `compat:<model>@<url>` over the model runtime the command configured from
 * its flags (read at each use), else the built-in ones. Specs read from files (experiments) are
 * redacted like those given as flags.
 */
const services = Layer.mergeAll(
  builtinDomains(),
  Layer.succeed(ParticipantFactory, {
    make: (spec, side) => Effect.suspend(() => modelParticipants(currentModelRuntime()).make(spec, side)),
    publicSpec,
  }),
)

// `tau ... | head` closes stdout early; that is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0)
  throw e
})

const tau = Command.make("tau").pipe(
  Command.withDescription("Event-sourced simulation of tool-using agents (τ²-bench compatible)"),
  Command.withSubcommands([runCommand, replayCommand, forkCommand, rescoreCommand, showCommand, tasksCommand, policyCommand, evaluateTrajsCommand, importCommand, exportCommand, experimentCommand, reportCommand, counterfactualCommand, dataCommand]),
)

/** What a failure says: its message; a typed error without one, its tag and fields; a usage error, what was wrong. */
const describeFailure = (error: unknown): string => {
  if (CliError.isCliError(error) && error._tag === "ShowHelp") {
    // Without errors it is help shown for a command that needs a subcommand: the help says it all.
    if (error.errors.length === 0) return ""
    return `${error.errors.map((e) => e.message).join("; ")} (see ${error.commandPath.join(" ")} --help)`
  }
  if (error instanceof Error && error.message) return error.message
  if (error !== null && typeof error === "object" && "_tag" in error) {
    const fields = Object.entries(error)
      .filter(([k, v]) => k !== "_tag" && typeof v !== "function")
      .map(([k, v]) => `${k} ${typeof v === "string" ? v : JSON.stringify(v)}`)
    return `${String(error._tag)}${fields.length ? `: ${fields.join(", ")}` : ""}`
  }
  return String(error)
}

// A usage error is one line on standard error (from `describeFailure`), not the whole help page.
const presenter = CliOutput.layerPresenter({
  present: (event) => (event._tag === "InvalidInvocation" ? Effect.void : CliOutput.defaultPresenter.present(event)),
})

const program = Command.run(tau, { version: "0.1.0" }).pipe(
  Effect.catchCause((cause) =>
    Effect.sync(() => {
      const message = describeFailure(Cause.squash(cause))
      // Redacted like all output: a spec or URL in a message loses its credentials.
      if (message) process.stderr.write(`error: ${redactText(message)}\n`)
      if (process.env.TAU_DEBUG) process.stderr.write(`${redactText(Cause.pretty(cause))}\n`)
      process.exitCode = process.exitCode || 1
    }),
  ),
  Effect.provide(services),
  Effect.provide(presenter),
  Effect.provide(NodeServices.layer),
)

// SIGINT/SIGTERM interrupt the program (clean stop, exit 130/143); a second one exits at once.
installStopSignals()
NodeRuntime.runMain(program, { disableErrorReporting: true, teardown: stopTeardown })

