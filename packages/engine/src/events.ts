/**
 * The facts of an episode. Everything else (conversation, world at any point, scores, branches)
 * is derived from this log.
 *
 * Every event carries its schema version `v`. Old versions stay readable: `decodeEvent` upcasts
 * them to the current shape before decoding. World values (arguments, patches) are stored as
 * JSON text in our Python-faithful compact form, so `2.0` stays a float across storage.
 */
import { Schema } from "effect"
import { compact, parse } from "./py/json.ts"
import { PyFloat, type PyObject, type PyValue } from "./py/value.ts"
import { type Op, PatchError } from "./world/tree.ts"
import { Mode } from "./mode.ts"

export const TERMINATION_REASONS = [
  "user_stop",
  "agent_stop",
  "max_steps",
  "too_many_errors",
  "timeout",
  "agent_error",
  "user_error",
  "infrastructure_error",
  "context_window_exceeded",
  "unexpected_error",
] as const
export const TerminationReason = Schema.Literals(TERMINATION_REASONS)
export type TerminationReason = typeof TerminationReason.Type

export const Role = Schema.Literals(["agent", "user"])
export type Role = typeof Role.Type

export const Actor = Schema.Literals(["agent", "user", "env"])
export type Actor = typeof Actor.Type

// The Mode schema lives with what each mode means (mode.ts).
export { Mode } from "./mode.ts"

export const ParentRef = Schema.Struct({ episodeId: Schema.String, seq: Schema.Int })
export type ParentRef = typeof ParentRef.Type

export const Limits = Schema.Struct({
  maxSteps: Schema.Int,
  maxErrors: Schema.Int,
  /** Wall-clock limit of the episode in milliseconds (`--episode-timeout`; τ²'s `timeout`); absent: none, so older events read the same. */
  timeoutMs: Schema.optionalKey(Schema.Int),
})

export const EpisodeStarted = Schema.TaggedStruct("EpisodeStarted", {
  v: Schema.Literal(2),
  runId: Schema.String,
  episodeId: Schema.String,
  domain: Schema.String,
  taskId: Schema.String,
  trial: Schema.Int,
  /** sha256 of the task JSON, the policy text and the domain data this episode ran on. */
  hashes: Schema.Struct({ task: Schema.String, policy: Schema.String, data: Schema.String }),
  /** Data location the domain was loaded from (a τ² data dir), or null for built-in domains. */
  dataDir: Schema.NullOr(Schema.String),
  policyVariant: Schema.String,
  mode: Mode,
  agent: Schema.String,
  user: Schema.String,
  seed: Schema.Int,
  limits: Limits,
  engineVersion: Schema.String,
  parent: Schema.NullOr(ParentRef),
})
export type EpisodeStarted = typeof EpisodeStarted.Type

export const ToolCallRecord = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  /** The raw argument JSON text as the participant produced it. */
  argumentsJson: Schema.String,
})
export type ToolCallRecord = typeof ToolCallRecord.Type

export const MessageSent = Schema.TaggedStruct("MessageSent", {
  v: Schema.Literal(1),
  role: Role,
  text: Schema.NullOr(Schema.String),
  toolCalls: Schema.Array(ToolCallRecord),
  /** Part of the episode's setup (greeting, task message history): not a step. */
  setup: Schema.optional(Schema.Boolean),
})
export type MessageSent = typeof MessageSent.Type

export const ToolExecuted = Schema.TaggedStruct("ToolExecuted", {
  v: Schema.Literal(1),
  callId: Schema.String,
  actor: Actor,
  name: Schema.String,
  /** Arguments the tool ran with (compact Python-faithful JSON). */
  argumentsJson: Schema.String,
  output: Schema.String,
  error: Schema.Boolean,
  /** JSON Patch of the world (compact Python-faithful JSON), paths from the world root. */
  patchJson: Schema.String,
  /** Part of the episode's setup (initial state, history replay, syncs): not a step, no error count. */
  setup: Schema.optional(Schema.Boolean),
})
export type ToolExecuted = typeof ToolExecuted.Type

export const Usage = Schema.Struct({ promptTokens: Schema.Int, completionTokens: Schema.Int })

export const ModelCalled = Schema.TaggedStruct("ModelCalled", {
  v: Schema.Literal(1),
  participant: Schema.Literals(["agent", "user", "judge"]),
  provider: Schema.String,
  model: Schema.String,
  request: Schema.Unknown,
  response: Schema.Unknown,
  usage: Usage,
  /**
   * USD, or null: unknown (the model had no price). Calls recorded before null existed wrote 0 for
   * an unknown price, with `pricing: null` in the response: read costs with `callCost` (model-cost.ts).
   */
  cost: Schema.NullOr(Schema.Finite),
  latencyMs: Schema.Finite,
  attempt: Schema.Int,
  /** Content hash of the request, for the opt-in response cache. */
  requestHash: Schema.String,
  error: Schema.NullOr(Schema.String),
})
export type ModelCalled = typeof ModelCalled.Type

export const EpisodeEnded = Schema.TaggedStruct("EpisodeEnded", {
  v: Schema.Literal(1),
  reason: TerminationReason,
  steps: Schema.Int,
  errors: Schema.Int,
  /** Human-readable detail for errored episodes (never contains secrets). */
  note: Schema.NullOr(Schema.String),
})
export type EpisodeEnded = typeof EpisodeEnded.Type

/**
 * The original record of an episode imported from another system (e.g. a τ² results simulation),
 * kept verbatim so that an export reproduces it field by field.
 */
export const ExternalRecord = Schema.TaggedStruct("ExternalRecord", {
  v: Schema.Literal(1),
  source: Schema.String,
  /** The original record (compact Python-faithful JSON). */
  json: Schema.String,
})
export type ExternalRecord = typeof ExternalRecord.Type

export const EpisodeEvent = Schema.Union([EpisodeStarted, MessageSent, ToolExecuted, ModelCalled, EpisodeEnded, ExternalRecord])
export type EpisodeEvent = typeof EpisodeEvent.Type

type Fields<E> = Omit<E, "_tag" | "v">

/**
 * The events at their current version, from their fields: build events with these, never as
 * `{ _tag, v, ... }` literals, so a new version changes one place.
 */
export const Events = {
  episodeStarted: (fields: Fields<EpisodeStarted>): EpisodeStarted => ({ _tag: "EpisodeStarted", v: 2, ...fields }),
  messageSent: (fields: Fields<MessageSent>): MessageSent => ({ _tag: "MessageSent", v: 1, ...fields }),
  toolExecuted: (fields: Fields<ToolExecuted>): ToolExecuted => ({ _tag: "ToolExecuted", v: 1, ...fields }),
  modelCalled: (fields: Fields<ModelCalled>): ModelCalled => ({ _tag: "ModelCalled", v: 1, ...fields }),
  episodeEnded: (fields: Fields<EpisodeEnded>): EpisodeEnded => ({ _tag: "EpisodeEnded", v: 1, ...fields }),
  externalRecord: (fields: Fields<ExternalRecord>): ExternalRecord => ({ _tag: "ExternalRecord", v: 1, ...fields }),
} as const

/** `ToolExecuted.patchJson` of a world change: its JSON Patch in compact Python-faithful JSON. */
export const encodePatch = (patch: ReadonlyArray<Op>): string => compact(patch)

const isOp = (v: PyValue): v is Op => {
  if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof PyFloat) return false
  const op = v as PyObject
  if (typeof op.path !== "string") return false
  return op.op === "remove" || ((op.op === "add" || op.op === "replace") && "value" in op)
}

/**
 * The world change a `ToolExecuted.patchJson` records. Throws a `PatchError` (as applying a bad
 * patch does) when the text is not a JSON Patch of add, remove and replace operations.
 */
export const decodePatch = (json: string): ReadonlyArray<Op> => {
  const patch = parse(json)
  if (!Array.isArray(patch)) throw new PatchError("a world patch must be a JSON array", json.slice(0, 80))
  const ops: Array<Op> = []
  for (const op of patch as ReadonlyArray<PyValue>) {
    if (!isOp(op)) throw new PatchError("not a JSON Patch operation (add, remove or replace, with a path)", compact(op).slice(0, 80))
    ops.push(op)
  }
  return ops
}

/** An event as stored: its stream, its position and when it was recorded (wall clock, data only). */
export interface StoredEvent {
  readonly episodeId: string
  readonly seq: number
  readonly recordedAt: string
  readonly event: EpisodeEvent
}

export class EventDecodeError extends Error {
  readonly episodeId: string
  readonly seq: number
  constructor(episodeId: string, seq: number, detail: string) {
    super(`event ${episodeId}#${seq} cannot be read: ${detail}`)
    this.name = "EventDecodeError"
    this.episodeId = episodeId
    this.seq = seq
  }
}

type Raw = Record<string, unknown>

/**
 * Upcasters from each old version to the next, keyed by tag. v1 of EpisodeStarted had flat
 * `maxSteps`/`maxErrors` and no policy variant or data dir.
 */
const upcasters = new Map<string, Record<number, (raw: Raw) => Raw>>([
  [
    "EpisodeStarted",
    {
      1: ({ maxSteps, maxErrors, ...rest }) => ({
        ...rest,
        v: 2,
        limits: { maxSteps, maxErrors },
        policyVariant: rest.policyVariant ?? "default",
        dataDir: rest.dataDir ?? null,
      }),
    },
  ],
])

export const upcast = (raw: Raw): Raw => {
  let current = raw
  for (;;) {
    // Every read of every event comes here; most tags have no upcaster (a Map says so fastest).
    const step = upcasters.get(String(current._tag))?.[Number(current.v)]
    if (!step) return current
    current = step(current)
  }
}

const decode = Schema.decodeUnknownSync(EpisodeEvent)
const encode = Schema.encodeSync(EpisodeEvent)

export const decodeEvent = (episodeId: string, seq: number, json: string): EpisodeEvent => {
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch (e) {
    throw new EventDecodeError(episodeId, seq, e instanceof Error ? e.message : String(e))
  }
  return decodeEventFields(episodeId, seq, raw)
}

/** Decodes (and upcasts) an event body that is already parsed JSON. */
export const decodeEventFields = (episodeId: string, seq: number, raw: unknown): EpisodeEvent => {
  try {
    return decode(upcast(raw as Raw))
  } catch (e) {
    throw new EventDecodeError(episodeId, seq, e instanceof Error ? e.message : String(e))
  }
}

/** The event's fields as stored (JSON-compatible), before they become JSON text. */
export const encodeEventFields = (event: EpisodeEvent): Record<string, unknown> => encode(event) as Record<string, unknown>

export const encodeEvent = (event: EpisodeEvent): string => JSON.stringify(encode(event))
