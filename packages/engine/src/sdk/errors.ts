/** The errors of the domain SDK: a definition that does not hold together, a task that cannot be generated or proved. */
import { Schema } from "effect"

/** A domain definition is inconsistent (a tool named twice, a task naming an unknown tool, data that does not fit its schema). */
export class DomainDefinitionError extends Schema.TaggedError<DomainDefinitionError>()("DomainDefinitionError", {
  domain: Schema.String,
  message: Schema.String,
}) {}

/** A task cannot be generated: an unknown or malformed composition, or an initialisation that fails. */
export class TaskGenerationError extends Schema.TaggedError<TaskGenerationError>()("TaskGenerationError", {
  message: Schema.String,
}) {}
