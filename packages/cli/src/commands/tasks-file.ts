/**
 * `--tasks FILE` on `run`, `experiment` and `tasks`: the domain runs with the tasks of a τ² task
 * file (a set `tau tasks generate` wrote, or any τ²-format file) instead of its own. The file
 * becomes part of the domain reference (`<domain>?tasks=<absolute path>`, @tau-sim/domains), so
 * the run records it and replay, fork and resume load the same tasks, proved again.
 */
import { withTasksFile } from "@tau-sim/domains"
import type { ExperimentSpec } from "@tau-sim/runs"
import { Option } from "effect"
import { Flag } from "effect/cli"

export const tasksFileFlag = Flag.String("tasks").pipe(
  Flag.withDescription("A τ² task file (e.g. from tau tasks generate) whose tasks replace the domain's; generated tasks are proved valid again"),
  Flag.optional,
)

/** The domain reference with the flag's task file, if one was given. */
export const withTasksOption = (domain: string, tasks: Option.Option<string>): string => withTasksFile(domain, Option.getOrUndefined(tasks))

/** Every domain of an experiment with the flag's task file. */
export const experimentWithTasks = (spec: ExperimentSpec, tasks: Option.Option<string>): ExperimentSpec =>
  Option.isNone(tasks) ? spec : { ...spec, domains: spec.domains.map((d) => ({ ...d, domain: withTasksOption(d.domain, tasks) })) }
