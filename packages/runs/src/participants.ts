/**
 * Participant specs as written on the command line: `oracle`, `scripted`, `scripted:<file.json>`,
 * and (model-backed) `<provider>:<model>`.
 */
import * as fs from "node:fs"
import { oracleAgent, type Participant, Script, scriptedParticipant, scriptedUser, scriptFromJson, type Side } from "@tau-sim/engine"
import { Schema } from "effect"

export class ParticipantSpecError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "ParticipantSpecError"
  }
}

const fromScriptFile = (spec: string, file: string): Participant => {
  let raw: unknown
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"))
  } catch (e) {
    throw new ParticipantSpecError(`${spec}: cannot read script ${file}: ${e instanceof Error ? e.message : e}`)
  }
  const decoded = Schema.decodeUnknownExit(Script)(raw)
  if (decoded._tag === "Failure") throw new ParticipantSpecError(`${spec}: ${file} is not a list of turns {text?, tool_calls?: [{name, arguments}]}`)
  return scriptedParticipant(spec, scriptFromJson(decoded.value))
}

/** Model-backed participants register here (see the model port). */
export type ModelParticipantFactory = (spec: string, side: Side) => Participant | undefined
const modelFactories: ModelParticipantFactory[] = []
export const registerModelParticipants = (factory: ModelParticipantFactory): void => {
  modelFactories.push(factory)
}

/**
 * Model specs may carry credentials in a URL (`compat:m@https://user:pass@host/v1`); the model port
 * registers how a spec reads with them redacted, the only form that may be stored or printed.
 */
let redactSpec: (spec: string) => string = (spec) => spec
export const registerSpecRedaction = (redact: (spec: string) => string): void => {
  redactSpec = redact
}
export const publicParticipantSpec = (spec: string): string => redactSpec(spec)

export const makeParticipant = (spec: string, side: Side): Participant => {
  if (spec === "oracle") {
    if (side !== "agent") throw new ParticipantSpecError("oracle is an agent; for the user use `scripted`")
    return oracleAgent
  }
  if (spec === "scripted") {
    if (side !== "user") throw new ParticipantSpecError("`scripted` without a file is the task-script user; give an agent a script with `scripted:<file.json>`")
    return scriptedUser
  }
  if (spec.startsWith("scripted:")) return fromScriptFile(spec, spec.slice("scripted:".length))
  for (const factory of modelFactories) {
    const p = factory(spec, side)
    if (p) return p
  }
  throw new ParticipantSpecError(`unknown participant "${spec}" (known: oracle, scripted, scripted:<file.json>)`)
}
