#!/usr/bin/env node
/**
 * The `tau` command line. Every command takes `--db PATH` (default `.tau/tau.db`) and `--json`.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Cause, Effect, Layer } from "effect"
import { builtinDomains } from "@tau-sim/domains"
import { importedTasksCache } from "@tau-sim/replay"
import { ModelParticipants, ModelRuntime, redactText } from "@tau-sim/models"
import { CliError, CliOutput, Command } from "effect/cli"
import { forkCommand } from "./commands/fork.ts"
import { counterfactualCommand } from "./commands/counterfactual.ts"
import { criticalCommand } from "./commands/critical.ts"
import { dataCommand } from "./commands/data.ts"
import { domainCommand } from "./commands/domain.ts"
import { experimentCommand } from "./commands/experiment.ts"
import { reportCommand } from "./commands/report.ts"
import { evaluateTrajsCommand } from "./commands/evaluate-trajs.ts"
import { exportCommand } from "./commands/export.ts"
import { importCommand } from "./commands/import.ts"
import { listCommand } from "./commands/list.ts"
import { policyCommand, tasksCommand } from "./commands/tasks.ts"
import { replayCommand } from "./commands/replay.ts"
import { rescoreCommand } from "./commands/rescore.ts"
import { runCommand } from "./commands/run.ts"
import { showCommand } from "./commands/show.ts"
import { viewCommand } from "./commands/view.ts"
import { workerCommand } from "./commands/worker.ts"
import { installStopSignals, stopTeardown } from "./signals.ts"
import { USAGE_EXIT_CODE, UsageError } from "./usage-error.ts"

/**
 * The services of every command, built here and nowhere else: the built-in domains, the tasks of
 * imported runs parsed once per run while the command runs (`replay --all` reads every episode's),
 * and the participants: `openai:<model>`, `anthropic:<model>`, `compat:<model>@<url>` over a model
 * runtime with the default options, else the built-in ones (specs read from files, as experiments
 * have them, are redacted like those given as flags). A command with model flags (`tau run`)
 * provides its own runtime from them.
 */
const services = Layer.mergeAll(builtinDomains(), importedTasksCache, ModelParticipants.layer.pipe(Layer.provide(ModelRuntime.layer())))

// `tau ... | head` closes stdout early; that is not an error. Any other failure of standard output ends the command.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0)
  process.stderr.write(`error: cannot write to standard output: ${e.message}\n`)
  process.exit(1)
})

const tau = Command.make("tau").pipe(
  Command.withDescription("Event-sourced simulation of tool-using agents (τ²-bench compatible)"),
  Command.withSubcommands([
    runCommand,
    replayCommand,
    forkCommand,
    rescoreCommand,
    showCommand,
    tasksCommand,
    policyCommand,
    evaluateTrajsCommand,
    importCommand,
    exportCommand,
    experimentCommand,
    reportCommand,
    counterfactualCommand,
    criticalCommand,
    dataCommand,
    viewCommand,
    domainCommand,
    listCommand,
    workerCommand,
  ]),
)

/** A command line that does not say what to do: ours (`UsageError`) or the parser's (a flag's value, a missing argument). */
const isUsageError = (error: unknown): boolean =>
  error instanceof UsageError || (CliError.isCliError(error) && error._tag === "ShowHelp" && error.errors.length > 0)

/**
 * What a failure says, as one line: its message (every tagged error of ours has one, naming the
 * episode, run, file or flag); a typed error without one, its tag and fields; a parser error,
 * what was wrong and where the flags are described.
 */
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
      process.exitCode = process.exitCode || (isUsageError(Cause.squash(cause)) ? USAGE_EXIT_CODE : 1)
    }),
  ),
  Effect.provide(services),
  Effect.provide(presenter),
  Effect.provide(NodeServices.layer),
)

// SIGINT/SIGTERM interrupt the program (clean stop, exit 130/143); a second one exits at once.
installStopSignals()
NodeRuntime.runMain(program, { disableErrorReporting: true, teardown: stopTeardown })
