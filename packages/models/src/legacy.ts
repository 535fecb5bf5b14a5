/**
 * @deprecated The process-wide model configuration the CLI used before `ModelRuntime.layer` and
 * `ModelParticipants.layer` (issue 10). It holds the one module-level runtime left in this package;
 * delete this file once the CLI builds the layers and the runs take a `ParticipantFactory`.
 */
import type { Participant, Side } from "@tau-sim/engine"
import { buildModelParticipant } from "./participants.ts"
import { makeModelRuntime, type ModelRuntimeOptions, type ModelRuntimeShape } from "./runtime.ts"

let current: ModelRuntimeShape = makeModelRuntime()

/** @deprecated Provide `ModelRuntime.layer(options)` instead. */
export const configureModels = (options: Partial<ModelRuntimeOptions>): ModelRuntimeShape => {
  current = makeModelRuntime({ ...current.options, ...options })
  return current
}

/** @deprecated `yield* ModelRuntime` instead. */
export const currentModelRuntime = (): ModelRuntimeShape => current

/** Whatever runtime `configureModels` set last, read at each use (participants are built before the CLI configures). */
const currentAtEachUse: ModelRuntimeShape = {
  get options() {
    return current.options
  },
  limiter: (key, provider) => current.limiter(key, provider),
  get totals() {
    return current.totals
  },
}

/** @deprecated Provide `ModelParticipants.layer` (a `ParticipantFactory`) instead. */
export const modelParticipantFactory =
  (options: { readonly runtime?: ModelRuntimeShape } = {}) =>
  (spec: string, side: Side): Participant | undefined =>
    buildModelParticipant(spec, side, options.runtime ?? currentAtEachUse)
