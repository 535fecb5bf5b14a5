/**
 * The participant factory: participant specs as written on the command line and stored in
 * `EpisodeStarted` (`oracle`, `scripted`, `scripted:<file.json>`, and whatever a layer adds, such
 * as the model specs of the models package) turned into participants. Composition roots (the CLI,
 * later the viewer and workers) provide it; `ParticipantFactory.builtin` knows the built-in specs.
 */
import * as fs from "node:fs"
import { Context, Effect, Layer, Schema } from "effect"
import type { Side } from "../domain.ts"
import { oracleAgent, scriptedUser } from "./gold-plan.ts"
import { NOISY_ORACLE_PREFIX, noisyOracleAgent, parseNoisyOracle } from "./noisy-oracle.ts"
import type { Participant } from "./participant.ts"
import { Script, scriptedParticipant, scriptFromJson } from "./scripted.ts"

/** A spec that names no participant, or one that cannot play this side. `spec` is the redacted form. */
export class ParticipantSpecError extends Schema.TaggedError<ParticipantSpecError>()("ParticipantSpecError", {
  spec: Schema.String,
  message: Schema.String,
}) {}

export interface ParticipantFactoryShape {
  /** The participant a spec names, for one side of the conversation. */
  readonly make: (spec: string, side: Side) => Effect.Effect<Participant, ParticipantSpecError>
  /**
   * How a spec may be stored and printed: a spec may carry credentials (a model URL with a key in
   * it); this is its redacted form, the same string when it has none.
   */
  readonly publicSpec: (spec: string) => string
}

const fromScriptFile = (spec: string, file: string): Effect.Effect<Participant, ParticipantSpecError> =>
  Effect.gen(function* () {
    const raw = yield* Effect.try({
      try: (): unknown => JSON.parse(fs.readFileSync(file, "utf8")),
      catch: (e) => new ParticipantSpecError({ spec, message: `${spec}: cannot read script ${file}: ${e instanceof Error ? e.message : e}` }),
    })
    const decoded = Schema.decodeUnknownExit(Script)(raw)
    if (decoded._tag === "Failure") {
      return yield* new ParticipantSpecError({ spec, message: `${spec}: ${file} is not a list of turns {text?, tool_calls?: [{name, arguments}]}` })
    }
    return scriptedParticipant(spec, scriptFromJson(decoded.value))
  })

/** The built-in participants: the oracle agent (and its noisy variant), the task-script user, and scripts read from JSON files. */
export const builtinParticipants: ParticipantFactoryShape = {
  make: (spec, side) => {
    if (spec === "oracle") {
      return side === "agent"
        ? Effect.succeed(oracleAgent)
        : Effect.fail(new ParticipantSpecError({ spec, message: "oracle is an agent; for the user use `scripted`" }))
    }
    if (spec === "scripted") {
      return side === "user"
        ? Effect.succeed(scriptedUser)
        : Effect.fail(
            new ParticipantSpecError({
              spec,
              message: "`scripted` without a file is the task-script user; give an agent a script with `scripted:<file.json>`",
            }),
          )
    }
    if (spec.startsWith("scripted:")) return fromScriptFile(spec, spec.slice("scripted:".length))
    if (spec.startsWith(NOISY_ORACLE_PREFIX)) {
      const parsed = parseNoisyOracle(spec)
      if ("error" in parsed) return Effect.fail(new ParticipantSpecError({ spec, message: parsed.error }))
      return side === "agent"
        ? Effect.succeed(noisyOracleAgent(spec, parsed.p))
        : Effect.fail(new ParticipantSpecError({ spec, message: "noisy-oracle is an agent; for the user use `scripted`" }))
    }
    return Effect.fail(new ParticipantSpecError({ spec, message: `unknown participant "${spec}" (known: oracle, scripted, scripted:<file.json>)` }))
  },
  publicSpec: (spec) => spec,
}

export class ParticipantFactory extends Context.Service<ParticipantFactory, ParticipantFactoryShape>()("@tau-sim/engine/ParticipantFactory") {
  /** Only the built-in participants (no model participants). */
  static readonly builtin: Layer.Layer<ParticipantFactory> = Layer.succeed(ParticipantFactory, builtinParticipants)
}
