/**
 * Which tasks a run runs, as the reference loads them (semantics §8.1): the split's ids filter the
 * task file, in the file's order (default split `base` where the domain has one), then explicit
 * ids (all must exist, in the order given), then the first N.
 */
import { type Domain, splitTasks, type Task } from "@tau-sim/engine"
import { Effect, Schema } from "effect"

/** Absent or undefined: no restriction (the fields are forwarded from optional flags). */
export interface TaskSelection {
  readonly split?: string | undefined
  readonly taskIds?: ReadonlyArray<string> | undefined
  readonly numTasks?: number | undefined
}

/** An unknown split, or task ids the domain does not have. */
export class TaskSelectionError extends Schema.TaggedError<TaskSelectionError>()("TaskSelectionError", {
  domain: Schema.String,
  message: Schema.String,
}) {}

export const selectTasks = (domain: Domain, selection: TaskSelection): Effect.Effect<ReadonlyArray<Task>, TaskSelectionError> =>
  Effect.gen(function* () {
    const split = selection.split ?? (Object.hasOwn(domain.splits, "base") ? "base" : undefined)
    let tasks = splitTasks(domain, split)
    if (!tasks) {
      const known = Object.keys(domain.splits).join(", ")
      return yield* new TaskSelectionError({ domain: domain.name, message: `Domain "${domain.name}" has no task split "${split}"; valid splits are: ${known}` })
    }
    if (selection.taskIds?.length) {
      const byId = new Map(domain.tasks.map((t) => [t.id, t]))
      const missing = selection.taskIds.filter((id) => !byId.has(id))
      if (missing.length) return yield* new TaskSelectionError({ domain: domain.name, message: `unknown task ids in ${domain.name}: ${missing.join(", ")}` })
      tasks = selection.taskIds.map((id) => byId.get(id) as Task)
    }
    if (selection.numTasks !== undefined) tasks = tasks.slice(0, selection.numTasks)
    return tasks
  })
