/**
 * A command line that does not say what to do: flags that contradict each other or are missing,
 * an argument that names nothing (`--nl-judge nope`, `--at-turn 99`, an unknown task id). One
 * line on standard error, exit code 2, nothing stored (`main.ts`).
 */
import { Schema } from "effect"

export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  message: Schema.String,
}) {}

/** A usage error: `return yield* usage("give --run ID or --all")`. */
export const usage = (message: string): UsageError => new UsageError({ message })

/** Exit code of a usage error (the command line parser's own errors included). */
export const USAGE_EXIT_CODE = 2
