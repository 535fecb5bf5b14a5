/**
 * What a stored run is: its configuration, fixed when the run is created, decoded with a Schema.
 *
 * Runs come in kinds with different shapes, told apart by `kind`: a plain run (`tau run`), an
 * experiment cell (a plain run plus its place in the experiment), the forks of a run (`tau fork`),
 * a counterfactual batch, a critical-turn analysis and an imported τ² results file. Configs stored before `kind` existed are
 * recognised by their fields.
 *
 * A run's identity is the part of its configuration that decides what its episodes mean (domain,
 * data, tasks, participants with their arguments, mode, limits, seed, trials); how a process runs
 * it (concurrency, data location when the content is the same, how often an infrastructure failure
 * is tried again) is not part of it.
 */
import { createHash } from "node:crypto"
import { type Domain, legacyTaskHash, Mode, type RunRecord, type Task, taskHash } from "@tau-sim/engine"
import { isPathDomainRef } from "@tau-sim/domains"
import { Effect, Schema } from "effect"

/**
 * The defaults of a run's configuration, the one copy (`tau run` flags, experiment files, counterfactual
 * batches, resumes). `maxSteps`/`maxErrors`/`seed`/`maxConcurrency` are τ²'s (semantics §8.1);
 * `maxAttempts` is its requeue of an `infrastructure_error` unit (§8.2).
 */
export const RUN_DEFAULTS = {
  agent: "oracle",
  user: "scripted",
  mode: "default",
  policyVariant: "default",
  trials: 1,
  seed: 300,
  maxSteps: 200,
  maxErrors: 10,
  maxConcurrency: 3,
  maxAttempts: 2,
} as const satisfies { readonly mode: Mode } & Readonly<Record<string, string | number>>

export const ForkPoint = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("turn"), turn: Schema.Int }),
  Schema.Struct({ kind: Schema.Literal("first-write") }),
])
export type ForkPoint = typeof ForkPoint.Type

/**
 * The prices a run's model calls were costed with: the version of our price table and the prices
 * the user gave over it (USD per million tokens, by model). Recorded with runs that call models;
 * not part of a run's identity (a cost is derived from the recorded usage, it changes no episode).
 */
export const RunPricing = Schema.Struct({
  table: Schema.String,
  user: Schema.Record(Schema.String, Schema.Struct({ input_per_mtok: Schema.Finite, output_per_mtok: Schema.Finite })),
})
export type RunPricing = typeof RunPricing.Type

/** The prices recorded before, with `given` over them (its table version, its user prices where both price a model). */
export const mergePricing = (stored: RunPricing | undefined, given: RunPricing): RunPricing => {
  const user = { ...stored?.user, ...given.user }
  return {
    table: given.table,
    user: Object.fromEntries(
      Object.keys(user)
        .sort()
        .map((m) => [m, user[m]]),
    ),
  }
}

/** Content hashes of what a run's episodes run on (recorded since run identity was fixed). */
export const RunHashes = Schema.Struct({ data: Schema.String, tasks: Schema.String, policy: Schema.String })
export type RunHashes = typeof RunHashes.Type

const runFields = {
  runId: Schema.String,
  domain: Schema.String,
  dataDir: Schema.NullOr(Schema.String),
  policyVariant: Schema.String,
  agent: Schema.String,
  user: Schema.String,
  mode: Mode,
  trials: Schema.Int,
  seed: Schema.Int,
  maxSteps: Schema.Int,
  maxErrors: Schema.Int,
  taskIds: Schema.Array(Schema.String),
  maxConcurrency: Schema.Int,
  experiment: Schema.optionalKey(Schema.NullOr(Schema.String)),
  maxAttempts: Schema.optionalKey(Schema.Int),
  /** The wall-clock limit of each episode (`--episode-timeout`), in milliseconds; absent: none. */
  episodeTimeoutMs: Schema.optionalKey(Schema.Int),
  hashes: Schema.optionalKey(RunHashes),
  pricing: Schema.optionalKey(RunPricing),
}

export const PlainRunConfig = Schema.Struct({ kind: Schema.Literal("run"), ...runFields })
export type PlainRunConfig = typeof PlainRunConfig.Type

export const StoredCellInfo = Schema.Struct({
  index: Schema.Int,
  domain_label: Schema.String,
  baseline_mode: Mode,
  excluded: Schema.Array(Schema.Struct({ id: Schema.String, reason: Schema.String })),
})

export const CellRunConfig = Schema.Struct({ kind: Schema.Literal("cell"), ...runFields, cell: StoredCellInfo })
export type CellRunConfig = typeof CellRunConfig.Type

export const ForksRunConfig = Schema.Struct({ kind: Schema.Literal("forks"), forksOf: Schema.String, pricing: Schema.optionalKey(RunPricing) })
export type ForksRunConfig = typeof ForksRunConfig.Type

export const CounterfactualRunConfig = Schema.Struct({
  kind: Schema.Literal("counterfactual"),
  counterfactual_of: Schema.String,
  at: ForkPoint,
  agent: Schema.NullOr(Schema.String),
  user: Schema.NullOr(Schema.String),
  mode: Schema.NullOr(Mode),
  pricing: Schema.optionalKey(RunPricing),
})
export type CounterfactualRunConfig = typeof CounterfactualRunConfig.Type

/**
 * A critical-turn analysis of one episode (`tau critical`): `samples` forks at each of its turns
 * (all live turns, or `turns`), continued under `agent`/`user` (null: the episode's own).
 */
export const CriticalRunConfig = Schema.Struct({
  kind: Schema.Literal("critical"),
  critical_of: Schema.String,
  agent: Schema.NullOr(Schema.String),
  user: Schema.NullOr(Schema.String),
  samples: Schema.Int,
  turns: Schema.NullOr(Schema.Struct({ from: Schema.Int, to: Schema.Int })),
  early_stop: Schema.optionalKey(Schema.Boolean),
  adaptive: Schema.optionalKey(Schema.Boolean),
  /** The sample budget, dollar budget and data folder the analysis was started with (not its identity): a resume keeps them. */
  max_samples: Schema.optionalKey(Schema.Int),
  budget_usd: Schema.optionalKey(Schema.Number),
  data_dir: Schema.optionalKey(Schema.String),
  pricing: Schema.optionalKey(RunPricing),
})
export type CriticalRunConfig = typeof CriticalRunConfig.Type

/** The importer's own fields are its business; a resume only needs to say which file to import again. */
export const ImportRunConfig = Schema.Struct({
  kind: Schema.Literal("import"),
  source: Schema.String,
  file: Schema.String,
  domain: Schema.String,
  dataDir: Schema.optional(Schema.NullOr(Schema.String)),
})
export type ImportRunConfig = typeof ImportRunConfig.Type

export const StoredRunConfig = Schema.Union([PlainRunConfig, CellRunConfig, ForksRunConfig, CounterfactualRunConfig, CriticalRunConfig, ImportRunConfig])
export type StoredRunConfig = typeof StoredRunConfig.Type
export type RunKind = StoredRunConfig["kind"]

/** A stored run configuration that does not decode (damaged, or written by something else). */
export class StoredRunConfigError extends Schema.TaggedError<StoredRunConfigError>()("StoredRunConfigError", {
  runId: Schema.String,
  detail: Schema.String,
}) {
  override get message(): string {
    return `run ${this.runId}: the stored configuration cannot be read: ${this.detail}`
  }
}

/** The kind of a config stored before `kind` was recorded, from the fields each kind always had. */
const legacyKind = (config: Readonly<Record<string, unknown>>): RunKind => {
  if (typeof config.forksOf === "string") return "forks"
  if (typeof config.counterfactual_of === "string") return "counterfactual"
  if (config.source === "tau2-results") return "import"
  if (config.cell !== undefined && config.cell !== null) return "cell"
  return "run"
}

const decodeConfig = Schema.decodeUnknownExit(StoredRunConfig)
const encodeConfig = Schema.encodeSync(StoredRunConfig)

/** A configuration as the store keeps it (`RunRecord.config`), encoded with its schema. */
export const encodeRunConfig = (config: StoredRunConfig): RunRecord["config"] => encodeConfig(config)

/** The stored configuration of `run`, whatever its kind and age. */
export const decodeRunConfig = (run: RunRecord): Effect.Effect<StoredRunConfig, StoredRunConfigError> => {
  const raw = run.config
  const tagged = typeof raw.kind === "string" ? raw : { ...raw, kind: legacyKind(raw) }
  const decoded = decodeConfig(tagged)
  if (decoded._tag === "Success") return Effect.succeed(decoded.value)
  let detail = "invalid"
  try {
    Schema.decodeUnknownSync(StoredRunConfig)(tagged)
  } catch (e) {
    detail = (e instanceof Error ? e.message : String(e)).split("\n").slice(0, 3).join("; ")
  }
  return Effect.fail(new StoredRunConfigError({ runId: run.runId, detail }))
}

/** One field that differs between the stored configuration of a run and the one requested. */
export interface ConfigDifference {
  readonly field: string
  readonly stored: string
  readonly requested: string
}

/**
 * `tau run --run-id X` (or `--resume X` with flags) asked for another configuration than run X
 * was created with. Nothing is stored.
 */
export class RunConfigMismatch extends Schema.TaggedError<RunConfigMismatch>()("RunConfigMismatch", {
  runId: Schema.String,
  differences: Schema.Array(Schema.Struct({ field: Schema.String, stored: Schema.String, requested: Schema.String })),
}) {
  override get message(): string {
    const lines = this.differences.map((d) => `  ${d.field}: run has ${d.stored}, requested ${d.requested}`)
    return (
      `run ${this.runId} was created with another configuration; nothing was stored.\n${lines.join("\n")}\n` +
      `Continue it as created with \`tau run --resume ${this.runId}\`, or give a new --run-id.`
    )
  }
}

export type RunIdentity = Readonly<Record<string, unknown>>

type RunLike = Omit<PlainRunConfig, "kind">

/** The fields of a plain run (or cell) that decide what its episodes mean. */
export const runIdentity = (config: RunLike): RunIdentity => ({
  domain: config.domain,
  policyVariant: config.policyVariant,
  "hashes.data": config.hashes?.data,
  "hashes.tasks": config.hashes?.tasks,
  "hashes.policy": config.hashes?.policy,
  taskIds: config.taskIds,
  trials: config.trials,
  agent: config.agent,
  user: config.user,
  mode: config.mode,
  seed: config.seed,
  maxSteps: config.maxSteps,
  maxErrors: config.maxErrors,
  // A time limit ends episodes as `timeout` (reward 0), as max_steps does: part of what they mean.
  episodeTimeoutMs: config.episodeTimeoutMs ?? null,
  // Not `maxAttempts`: a retry of an infrastructure failure is a branch from the same prefix with
  // the same seed and limits, so it asks the same question again; how many times a process may ask
  // changes no episode's meaning, and a resume with another limit (`--max-attempts`) must not be refused.
  experiment: config.experiment ?? null,
})

const show = (v: unknown): string => (v === undefined ? "(not recorded)" : JSON.stringify(v))

/**
 * Field-by-field differences. A field the stored run did not record (older runs have no hashes)
 * is not compared; `ignore` leaves out fields a caller allows to change (an experiment may grow).
 */
export const identityDifferences = (stored: RunIdentity, requested: RunIdentity, ignore: ReadonlyArray<string> = []): ConfigDifference[] => {
  const out: ConfigDifference[] = []
  for (const field of Object.keys(requested)) {
    if (ignore.includes(field) || stored[field] === undefined) continue
    if (JSON.stringify(stored[field]) !== JSON.stringify(requested[field])) {
      out.push({ field, stored: show(stored[field]), requested: show(requested[field]) })
    }
  }
  return out
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** The tasks' hash of a run: of each selected task's hash in order (a task not in the domain hashes as missing). */
const tasksHash = (domain: Domain, taskIds: ReadonlyArray<string>, hash: (task: Task) => string): string => {
  const byId = new Map(domain.tasks.map((t) => [t.id, t]))
  return sha256(
    JSON.stringify(
      taskIds.map((id) => {
        const task = byId.get(id)
        return task ? hash(task) : `missing:${id}`
      }),
    ),
  )
}

/** What the run's episodes run on: the domain's data and policy, and exactly the selected tasks. */
export const runHashes = (domain: Domain, taskIds: ReadonlyArray<string>): RunHashes => ({
  data: domain.hashes.data,
  tasks: tasksHash(domain, taskIds, taskHash),
  policy: domain.hashes.policy,
})

/**
 * Runs created before the canonical task hash recorded their tasks' hash with `legacyTaskHash`.
 * When that legacy hash is the one of the run's tasks as `domain` has them now, the tasks did not
 * change: the config is compared as if it had recorded the canonical hash. A changed task matches
 * neither and stays a difference.
 */
export const withCanonicalTasksHash = <C extends RunLike>(stored: C, domain: Domain): C => {
  const hashes = stored.hashes
  if (hashes === undefined || hashes.tasks !== tasksHash(domain, stored.taskIds, legacyTaskHash)) return stored
  return { ...stored, hashes: { ...hashes, tasks: tasksHash(domain, stored.taskIds, taskHash) } }
}

/**
 * Differences between what run `runId` is and the plain run requested under its id (other kinds
 * differ in `kind`). `domain` is the domain the request was made on (a legacy task hash of the
 * stored run is read against it).
 */
export const mismatchOf = (
  runId: string,
  stored: StoredRunConfig,
  requested: RunLike,
  domain: Domain,
  ignore: ReadonlyArray<string> = [],
): RunConfigMismatch | null => {
  if (stored.kind !== "run" && stored.kind !== "cell") {
    return new RunConfigMismatch({ runId, differences: [{ field: "kind", stored: describeKind(stored), requested: "a plain run" }] })
  }
  // A domain given by path that moved is the same domain when its hashes (code and data, tasks, policy) agree.
  const moved = stored.hashes !== undefined && stored.domain !== requested.domain && isPathDomainRef(stored.domain) && isPathDomainRef(requested.domain)
  const differences = identityDifferences(runIdentity(withCanonicalTasksHash(stored, domain)), runIdentity(requested), moved ? [...ignore, "domain"] : ignore)
  return differences.length === 0 ? null : new RunConfigMismatch({ runId, differences })
}

export const describeKind = (config: StoredRunConfig): string => {
  switch (config.kind) {
    case "run":
      return "a plain run"
    case "cell":
      return `a cell of experiment ${config.experiment ?? "?"}`
    case "forks":
      return `the forks of run ${config.forksOf}`
    case "counterfactual":
      return `a counterfactual batch of run ${config.counterfactual_of}`
    case "critical":
      return `a critical-turn analysis of episode ${config.critical_of}`
    case "import":
      return `an import of ${config.file}`
  }
}
