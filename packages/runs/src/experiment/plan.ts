/**
 * Expanding an experiment into cells (one run each) and validating every cell before anything
 * runs: domains load, modes are supported, tasks exist and qualify, participant specs are known.
 */
import { createHash } from "node:crypto"
import { DomainResolver, type Mode, modeTraits, ParticipantFactory } from "@tau-sim/engine"
import { Effect, Schema } from "effect"
import type { RunConfig } from "../run.ts"
import { selectTasks } from "../select-tasks.ts"
import { eligibleTasks, TaskNotEligibleError, validateMode } from "./modes.ts"
import type { DomainEntry, ExperimentSpec } from "./spec.ts"

/** A cell could not be set up (unknown domain, split, task, participant, unsupported mode, ...). */
export class ExperimentPlanError extends Schema.TaggedError<ExperimentPlanError>()("ExperimentPlanError", {
  experiment: Schema.String,
  /** The key of the experiment file the problem comes from. */
  key: Schema.String,
  detail: Schema.String,
}) {
  override get message(): string {
    return `experiment ${this.experiment}: ${this.key}: ${this.detail}`
  }
}

/** Solo cells have no user simulator; their user spec is recorded as this. */
export const NO_USER = "none"

export interface ExperimentCell {
  readonly index: number
  readonly runId: string
  readonly domain: DomainEntry
  /** The data folder the cell's domain is read from (absolute; without `data_dir`, the one found when planning). */
  readonly dataDir: string | null
  readonly mode: Mode
  readonly agent: string
  readonly user: string
  readonly taskIds: ReadonlyArray<string>
  /** Selected tasks this mode cannot run (reference task filters), with the reason. */
  readonly excluded: ReadonlyArray<{ readonly id: string; readonly reason: string }>
}

export interface ExperimentPlan {
  readonly spec: ExperimentSpec
  readonly cells: ReadonlyArray<ExperimentCell>
}

/** Cell metadata stored in the run's config (reports group and label runs by it). */
export interface CellInfo {
  readonly index: number
  readonly domain_label: string
  readonly baseline_mode: Mode
  readonly excluded: ReadonlyArray<{ readonly id: string; readonly reason: string }>
}

const slug = (spec: string): string =>
  spec
    .replace(/^(scripted):.*[\\/]/, "$1:")
    .replace(/\.json$/, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "")

/**
 * Deterministic run id of a cell: readable parts plus a hash of the exact specs (two script files
 * with the same name in different folders must not share a run).
 */
export const cellRunId = (experiment: string, domainLabel: string, mode: Mode, agent: string, user: string): string => {
  const hash = createHash("sha256")
    .update(JSON.stringify([experiment, domainLabel, mode, agent, user]))
    .digest("hex")
    .slice(0, 6)
  return `${experiment}.${slug(domainLabel)}.${mode}.${slug(agent)}.${slug(user)}.${hash}`
}

const idsFor = (spec: ExperimentSpec, entry: DomainEntry): ReadonlyArray<string> | undefined => {
  const ids = spec.tasks.ids
  if (ids === undefined) return undefined
  if (Array.isArray(ids)) return ids as ReadonlyArray<string>
  const byDomain = ids as Readonly<Record<string, ReadonlyArray<string>>>
  return byDomain[entry.label] ?? byDomain[entry.domain]
}

/**
 * Builds and validates every cell (`ExperimentPlanError` / `ModeNotSupportedError` /
 * `TaskNotEligibleError`). The plan's participant specs are their public forms (credentials in
 * URLs redacted) before run ids are derived from them or anything is stored.
 */
export const planExperiment = (file: ExperimentSpec) =>
  Effect.gen(function* () {
    const resolver = yield* DomainResolver
    const factory = yield* ParticipantFactory
    const fail = (key: string, detail: string) => new ExperimentPlanError({ experiment: file.name, key, detail })
    const spec: ExperimentSpec = { ...file, agents: file.agents.map(factory.publicSpec), users: file.users.map(factory.publicSpec) }
    // Made from their public forms, as the episodes will be (the factory knows the live forms it redacted).
    for (const agent of spec.agents) yield* factory.make(agent, "agent").pipe(Effect.mapError((e) => fail("agents", e.message)))
    if (spec.modes.some((m) => !modeTraits(m).solo)) {
      for (const user of spec.users) yield* factory.make(user, "user").pipe(Effect.mapError((e) => fail("users", e.message)))
    }
    const cells: ExperimentCell[] = []
    for (const entry of spec.domains) {
      const ref = resolver.ref(entry.domain, spec.dataDir, entry.policyVariant)
      const domain = yield* resolver.resolve(ref).pipe(Effect.mapError((e) => fail("domains", `${entry.label}: ${e.message}`)))
      const explicit = idsFor(spec, entry)
      const selected = yield* selectTasks(domain, { split: spec.tasks.split, taskIds: explicit, numTasks: spec.tasks.numTasks }).pipe(
        Effect.mapError((e) => fail("tasks", e.message)),
      )
      if (selected.length === 0) return yield* fail("tasks", `no tasks selected for ${entry.label}`)
      for (const mode of spec.modes) {
        const unsupported = validateMode(domain, mode, entry.policyVariant)
        if (unsupported) return yield* unsupported
        const { tasks, excluded } = eligibleTasks(selected, mode)
        if (explicit !== undefined && excluded.length > 0) return yield* new TaskNotEligibleError({ domain: entry.label, mode, tasks: excluded })
        if (tasks.length === 0) return yield* fail("tasks", `none of the ${selected.length} selected tasks of ${entry.label} can run in mode ${mode}`)
        const users = modeTraits(mode).solo ? [NO_USER] : spec.users
        for (const agent of spec.agents) {
          for (const user of users) {
            cells.push({
              index: cells.length,
              runId: cellRunId(spec.name, entry.label, mode, agent, user),
              domain: entry,
              dataDir: ref.dataDir,
              mode,
              agent,
              user,
              taskIds: tasks.map((t) => t.id),
              excluded,
            })
          }
        }
      }
    }
    return { spec, cells } satisfies ExperimentPlan
  })

/** The run configuration of a cell (what `executeRunUnits` runs). */
export const cellRunConfig = (spec: ExperimentSpec, cell: ExperimentCell): RunConfig => ({
  runId: cell.runId,
  domain: cell.domain.domain,
  dataDir: cell.dataDir,
  policyVariant: cell.domain.policyVariant,
  agent: cell.agent,
  user: cell.user,
  mode: cell.mode,
  trials: spec.trials,
  seed: spec.seed,
  maxSteps: spec.maxSteps,
  maxErrors: spec.maxErrors,
  taskIds: cell.taskIds,
  maxConcurrency: spec.maxConcurrency,
  ...(spec.episodeTimeoutMs === null ? {} : { episodeTimeoutMs: spec.episodeTimeoutMs }),
  experiment: spec.name,
})

export const cellInfo = (spec: ExperimentSpec, cell: ExperimentCell): CellInfo => ({
  index: cell.index,
  domain_label: cell.domain.label,
  baseline_mode: spec.baselineMode,
  excluded: cell.excluded,
})
