/**
 * The experiment file: a YAML matrix of domains × modes × agents × users × trials, validated with
 * Effect Schema. Errors name the offending key (`tasks.ids.mock[2]: Expected string`).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Mode, Mode as ModeSchema } from "@tau-sim/engine"
import { Schema } from "effect"
import { parseDocument } from "yaml"
import { DURATION_FORMS, parseDurationMs } from "../duration.ts"
import { RUN_DEFAULTS } from "../run-config.ts"

export class ExperimentFileError extends Schema.TaggedError<ExperimentFileError>()("ExperimentFileError", {
  file: Schema.String,
  /** Dotted key path inside the file ("" for the whole file). */
  key: Schema.String,
  detail: Schema.String,
}) {
  override get message(): string {
    return `experiment file ${this.file}${this.key ? `: ${this.key}` : ""}: ${this.detail}`
  }
}

const NonEmptyString = Schema.String.check(Schema.isMinLength(1))
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const NonEmptyList = <S extends Schema.Top>(item: S) => Schema.Array(item).check(Schema.isMinLength(1))

export const ExperimentTasks = Schema.Struct({
  /** Task split of every domain (default: `base` where the domain has one, else all tasks). */
  split: Schema.optional(NonEmptyString),
  /** Explicit task ids: one list for every domain, or a list per domain name. */
  ids: Schema.optional(Schema.Union([NonEmptyList(NonEmptyString), Schema.Record(Schema.String, NonEmptyList(NonEmptyString))])),
  /** Only the first N tasks (after split / ids). */
  num_tasks: Schema.optional(PositiveInt),
})

export const ExperimentFile = Schema.Struct({
  /** Identifies the experiment in the store and in reports. */
  name: NonEmptyString.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)).annotate({
    description: "letters, digits, '.', '_' and '-'",
  }),
  description: Schema.optional(Schema.String),
  /** τ² data folder (containing domains/<name>/); relative to the experiment file. */
  data_dir: Schema.optional(NonEmptyString),
  /** `demo`, `mock`, `airline`, `retail`, `telecom`; `<domain>:<policy variant>`; `telecom-workflow`. */
  domains: NonEmptyList(NonEmptyString),
  modes: Schema.optional(NonEmptyList(ModeSchema)),
  /** Participant specs, as on the command line. */
  agents: NonEmptyList(NonEmptyString),
  users: Schema.optional(NonEmptyList(NonEmptyString)),
  trials: Schema.optional(PositiveInt),
  tasks: Schema.optional(ExperimentTasks),
  seed: Schema.optional(Schema.Int),
  max_steps: Schema.optional(PositiveInt),
  max_errors: Schema.optional(PositiveInt),
  max_concurrency: Schema.optional(PositiveInt),
  /** Each episode's time limit, as `--episode-timeout` takes it (`90s`, `10m`; a number is seconds). */
  episode_timeout: Schema.optional(Schema.Union([Schema.Number, NonEmptyString])),
  /** Mode the reports compare the others against (default: `default` if run, else the first mode). */
  baseline_mode: Schema.optional(ModeSchema),
})
export type ExperimentFile = typeof ExperimentFile.Type

/** A domain entry of the matrix: the domain and the policy variant it runs with. */
export interface DomainEntry {
  /** As written in the file (used in labels and run ids). */
  readonly label: string
  readonly domain: string
  readonly policyVariant: string
}

/** The experiment with defaults applied and paths resolved. */
export interface ExperimentSpec {
  readonly name: string
  readonly description: string | null
  /** Absolute path, or null when only built-in domains are used. */
  readonly dataDir: string | null
  readonly domains: ReadonlyArray<DomainEntry>
  readonly modes: ReadonlyArray<Mode>
  readonly agents: ReadonlyArray<string>
  readonly users: ReadonlyArray<string>
  readonly trials: number
  /** As the file gives them (undefined: not given). */
  readonly tasks: {
    readonly split?: string | undefined
    readonly ids?: ReadonlyArray<string> | Readonly<Record<string, ReadonlyArray<string>>> | undefined
    readonly numTasks?: number | undefined
  }
  readonly seed: number
  readonly maxSteps: number
  readonly maxErrors: number
  readonly maxConcurrency: number
  /** Each episode's time limit in milliseconds; null: none. */
  readonly episodeTimeoutMs: number | null
  readonly baselineMode: Mode
}

/** `telecom-workflow` is how the published results name telecom with the workflow policy (§7). */
const DOMAIN_ALIASES: Readonly<Record<string, { domain: string; policyVariant: string }>> = {
  "telecom-workflow": { domain: "telecom", policyVariant: "workflow" },
}

export const parseDomainEntry = (label: string): DomainEntry => {
  const alias = DOMAIN_ALIASES[label]
  if (alias) return { label, ...alias }
  const [domain, variant] = label.split(":", 2)
  return { label, domain, policyVariant: variant || "default" }
}

/** `["tasks"]["ids"]["mock"][2]` -> `tasks.ids.mock[2]`. */
const dottedPath = (at: string): string => at.replace(/\["([^"]*)"\]/g, ".$1").replace(/^\./, "")

/** Turns a Schema error message (`<what>\n  at [path]`, possibly several) into `key: what` parts. */
const schemaIssues = (message: string): Array<{ key: string; detail: string }> => {
  const out: Array<{ key: string; detail: string }> = []
  const lines = message.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line.trimStart().startsWith("at ")) continue
    const next = lines[i + 1]?.trim()
    const key = next?.startsWith("at ") ? dottedPath(next.slice(3)) : ""
    if (line.trim()) out.push({ key, detail: line.trim() })
  }
  return out
}

const decode = Schema.decodeUnknownExit(ExperimentFile)

/** Validates an already-parsed experiment document. `file` is used for messages and relative paths. */
export const experimentSpecFromValue = (value: unknown, file: string): ExperimentSpec => {
  const decoded = decode(value, { onExcessProperty: "error", errors: "all" })
  if (decoded._tag === "Failure") {
    let message = "invalid"
    try {
      Schema.decodeUnknownSync(ExperimentFile)(value, { onExcessProperty: "error", errors: "all" })
    } catch (e) {
      message = e instanceof Error ? e.message : String(e)
    }
    const issues = schemaIssues(message)
    const first = issues[0] ?? { key: "", detail: message }
    const rest = issues
      .slice(1)
      .map((i) => `; ${i.key ? `${i.key}: ` : ""}${i.detail}`)
      .join("")
    throw new ExperimentFileError({ file, key: first.key, detail: `${first.detail}${rest}` })
  }
  const f = decoded.value
  const domains = f.domains.map(parseDomainEntry)
  const labels = new Set<string>()
  for (const d of domains) {
    if (labels.has(d.label)) throw new ExperimentFileError({ file, key: "domains", detail: `${d.label} is listed twice` })
    labels.add(d.label)
  }
  const modes: ReadonlyArray<Mode> = f.modes ?? [RUN_DEFAULTS.mode]
  const lists: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
    ["modes", modes],
    ["agents", f.agents],
    ["users", f.users ?? []],
  ]
  for (const [key, list] of lists) {
    const dup = list.find((x, i) => list.indexOf(x) !== i)
    if (dup !== undefined) throw new ExperimentFileError({ file, key, detail: `${dup} is listed twice` })
  }
  const ids = f.tasks?.ids
  if (ids && !Array.isArray(ids)) {
    for (const name of Object.keys(ids)) {
      if (!domains.some((d) => d.label === name || d.domain === name)) {
        throw new ExperimentFileError({ file, key: `tasks.ids.${name}`, detail: `${name} is not one of the experiment's domains (${f.domains.join(", ")})` })
      }
    }
  }
  const episodeTimeoutMs = f.episode_timeout === undefined ? null : parseDurationMs(String(f.episode_timeout))
  if (f.episode_timeout !== undefined && episodeTimeoutMs === null) {
    throw new ExperimentFileError({ file, key: "episode_timeout", detail: `${JSON.stringify(f.episode_timeout)} is not ${DURATION_FORMS}` })
  }
  if (f.baseline_mode !== undefined && !modes.includes(f.baseline_mode)) {
    throw new ExperimentFileError({ file, key: "baseline_mode", detail: `${f.baseline_mode} is not one of the experiment's modes (${modes.join(", ")})` })
  }
  return {
    name: f.name,
    description: f.description ?? null,
    dataDir: f.data_dir === undefined ? null : path.resolve(path.dirname(path.resolve(file)), f.data_dir),
    domains,
    modes,
    // As written: `planExperiment` redacts them (credentials in URLs) before run ids are derived from them.
    agents: f.agents,
    users: f.users ?? [RUN_DEFAULTS.user],
    trials: f.trials ?? RUN_DEFAULTS.trials,
    tasks: { split: f.tasks?.split, ids: f.tasks?.ids, numTasks: f.tasks?.num_tasks },
    seed: f.seed ?? RUN_DEFAULTS.seed,
    maxSteps: f.max_steps ?? RUN_DEFAULTS.maxSteps,
    maxErrors: f.max_errors ?? RUN_DEFAULTS.maxErrors,
    maxConcurrency: f.max_concurrency ?? RUN_DEFAULTS.maxConcurrency,
    episodeTimeoutMs,
    baselineMode: f.baseline_mode ?? (modes.includes("default") ? "default" : modes[0]),
  }
}

/** Parses YAML text; syntax errors carry the line and column. */
export const parseExperimentText = (text: string, file: string): ExperimentSpec => {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : ""
    throw new ExperimentFileError({ file, key: "", detail: `not valid YAML${where ? ` (${where})` : ""}: ${e.message.split("\n")[0]}` })
  }
  const value = doc.toJS()
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ExperimentFileError({ file, key: "", detail: "expected a mapping of keys (name, domains, modes, agents, ...)" })
  }
  return experimentSpecFromValue(value, file)
}

export const loadExperimentFile = (file: string): ExperimentSpec => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    throw new ExperimentFileError({ file, key: "", detail: `cannot read: ${e instanceof Error ? e.message : String(e)}` })
  }
  return parseExperimentText(text, file)
}
