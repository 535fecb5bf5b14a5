/**
 * Exporting our runs as τ² results. Imported episodes are written back verbatim (their
 * `ExternalRecord`); our own episodes are rendered in the current τ² format.
 */
import { type Domain, type EpisodeStarted, type EpisodeState, EventStore, type PyObject, PyJson, type PyValue } from "@tau-sim/engine"
import { loadEpisode, requireRun, scanEpisodes, type SkippedEpisode } from "@tau-sim/replay"
import { RUN_DEFAULTS } from "@tau-sim/runs"
import { Effect, Schema } from "effect"
import { IMPORT_SOURCE, importedEpisodeId } from "./tau2-import.ts"

export interface ExportedResults {
  readonly document: PyObject
  /** Episodes left out because they cannot be read (and simulations of an unfinished import). */
  readonly skipped: ReadonlyArray<SkippedEpisode>
}

/**
 * Exports a run as a τ² results document. Imported episodes are written back verbatim; our own
 * episodes are rendered in the current τ² format from their events and latest τ² score. An
 * episode that cannot be read is left out and named in `skipped`; the others are exported.
 */
export const exportTau2Results = (runId: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const run = yield* requireRun(runId)
    const episodes = yield* store.listEpisodes({ runId })
    const byId = new Map<string, PyValue>()
    type Exported = { readonly native: PyValue | null; readonly domain: Domain; readonly started: EpisodeStarted }
    const scan = yield* scanEpisodes(
      episodes,
      (ep) => ep.episodeId,
      (ep) =>
        Effect.gen(function* () {
          const loaded = yield* loadEpisode(ep.episodeId)
          const external = loaded.events.find((e) => e._tag === "ExternalRecord")
          if (external?._tag === "ExternalRecord") {
            const sim = PyJson.parse(external.json)
            byId.set(String((sim as PyObject).id), sim)
            return { native: null, domain: loaded.domain, started: loaded.final.started } satisfies Exported
          }
          const scores = yield* store.listScores(ep.episodeId)
          const score = [...scores].reverse().find((s) => s.evaluator === "tau2")
          return {
            native: nativeSimulation(loaded, ep.episodeId, score?.breakdown ?? null),
            domain: loaded.domain,
            started: loaded.final.started,
          } satisfies Exported
        }),
    )
    const simulations = scan.done.flatMap((e) => (e.native === null ? [] : [e.native]))
    const config = run.config as Record<string, unknown>
    if (config.source === IMPORT_SOURCE) {
      const header = PyJson.parse(String(config.headerJson)) as PyObject
      const order = (config.simulationOrder as string[]) ?? [...byId.keys()]
      const stored = new Set(episodes.map((e) => e.episodeId))
      const missing = order
        .map((id) => ({ id, episodeId: importedEpisodeId(runId, id) }))
        .filter((s) => !stored.has(s.episodeId))
        .map(
          (s): SkippedEpisode => ({
            episode_id: s.episodeId,
            seq: null,
            reason: `simulation ${s.id} is not in the store: its import did not finish (import the file again)`,
          }),
        )
      const sims = order.flatMap((id) => (byId.has(id) ? [byId.get(id) as PyValue] : []))
      const document = {
        ...header,
        simulations: [...sims, ...simulations],
        ...(header.simulation_index !== undefined ? { simulation_index: header.simulation_index } : {}),
      } as PyObject
      return { document, skipped: [...scan.skipped, ...missing] } satisfies ExportedResults
    }
    const domain = scan.done[0]?.domain
    // The header says what the episodes ran with (their own start events), and there must be one such configuration.
    const configurations = new Map(scan.done.map(({ started: st }) => [JSON.stringify(exportedConfiguration(st)), exportedConfiguration(st)]))
    if (configurations.size > 1) {
      return yield* new MixedConfigurationsExport({ runId, configurations: [...configurations.values()].map(describeConfiguration) })
    }
    const ran = [...configurations.values()][0]
    const document = {
      timestamp: run.createdAt,
      info: {
        git_commit: "tau-sim",
        num_trials: Number(config.trials ?? RUN_DEFAULTS.trials),
        max_steps: ran?.maxSteps ?? Number(config.maxSteps ?? RUN_DEFAULTS.maxSteps),
        max_errors: ran?.maxErrors ?? Number(config.maxErrors ?? RUN_DEFAULTS.maxErrors),
        user_info: { implementation: ran?.user ?? String(config.user ?? ""), llm: null, llm_args: {}, global_simulation_guidelines: null },
        agent_info: { implementation: ran?.agent ?? String(config.agent ?? ""), llm: null, llm_args: {} },
        environment_info: { domain_name: ran?.domain ?? String(config.domain ?? ""), policy: domain?.policy.default ?? "", tool_defs: null },
        seed: Number(config.seed ?? RUN_DEFAULTS.seed),
      },
      tasks: domain ? (domain.tasks.filter((t) => episodes.some((e) => e.taskId === t.id)) as unknown as PyValue[]) : [],
      simulations,
      simulation_index: null,
    } as PyObject
    return { document, skipped: scan.skipped } satisfies ExportedResults
  })

/** A τ² results file has one agent, one user, one domain and one set of limits in its header. */
const exportedConfiguration = (started: EpisodeStarted) => ({
  domain: started.domain,
  policyVariant: started.policyVariant,
  mode: started.mode,
  agent: started.agent,
  user: started.user,
  maxSteps: started.limits.maxSteps,
  maxErrors: started.limits.maxErrors,
})

const describeConfiguration = (c: ReturnType<typeof exportedConfiguration>): string =>
  `${c.domain}${c.policyVariant === "default" ? "" : `:${c.policyVariant}`} · ${c.mode} · agent ${c.agent} / user ${c.user} · max_steps ${c.maxSteps}, max_errors ${c.maxErrors}`

/** The run's episodes ran with different configurations (e.g. the forks of a run by two agents): one results file cannot say so. */
export class MixedConfigurationsExport extends Schema.TaggedError<MixedConfigurationsExport>()("MixedConfigurationsExport", {
  runId: Schema.String,
  configurations: Schema.Array(Schema.String),
}) {
  override get message(): string {
    return `run ${this.runId} has episodes of ${this.configurations.length} configurations, and a τ² results file has one agent, user and domain: ${this.configurations.join("; ")}`
  }
}

const nativeSimulation = (loaded: { final: EpisodeState }, episodeId: string, rewardInfo: unknown): PyValue => {
  const started = loaded.final.started
  const messages = loaded.final.trajectory.map((m, turn): PyValue => {
    if (m.role === "tool") return { id: m.id, role: "tool", content: m.content, requestor: m.requestor, error: m.error, turn_idx: turn }
    return {
      role: m.role,
      content: m.content,
      tool_calls: m.toolCalls?.map((c) => ({ id: c.id, name: c.name, arguments: (c.arguments ?? {}) as PyValue, requestor: c.requestor })) ?? null,
      turn_idx: turn,
    }
  })
  return {
    id: episodeId,
    task_id: started.taskId,
    termination_reason: loaded.final.ended,
    reward_info: rewardInfo === null ? null : PyJson.fromPlain(rewardInfo),
    messages,
    trial: started.trial,
    seed: started.seed,
    mode: "half_duplex",
  }
}
