/**
 * Counterfactual batches: fork every finished episode of a run at the same point (a turn, or the
 * first write action) and continue each branch live under another agent, user or mode. The
 * branches form their own run (deterministic id), so re-running the batch skips finished branches
 * and continues interrupted ones; reports compare each branch with its parent.
 */
import { createHash } from "node:crypto"
import {
  type Domain,
  type EpisodeRow,
  type EpisodeState,
  EventStore,
  findTool,
  isSolo,
  type Mode,
  modeTraits,
  mutates,
  ParticipantFactory,
  type ToolDef,
  nowIso,
} from "@tau-sim/engine"
import { Effect, Schema } from "effect"
import { forkEpisode } from "../fork.ts"
import { runLease, withLease } from "../lease.ts"
import { resumeEpisode } from "../lifecycle.ts"
import { type CounterfactualRunConfig, encodeRunConfig, type ForkPoint, RUN_DEFAULTS, type RunPricing } from "../run-config.ts"
import { recordRunPricing } from "../run-pricing.ts"
import { loadEpisode } from "@tau-sim/replay"
import { stableEpisodeId } from "../run.ts"
import { validateMode } from "./modes.ts"

export interface CounterfactualOptions {
  /** The run whose episodes are forked. */
  readonly runId: string
  readonly at: ForkPoint
  /** Absent or undefined: as the parent (forwarded from optional flags or a stored null). */
  readonly agent?: string | undefined
  readonly user?: string | undefined
  readonly mode?: Mode | undefined
  readonly maxConcurrency?: number | undefined
  /** The prices the branches' model calls are costed with, recorded with the batch (not part of its id). */
  readonly pricing?: RunPricing | undefined
}

export class CounterfactualError extends Schema.TaggedError<CounterfactualError>()("CounterfactualError", { message: Schema.String }) {}

export interface BranchOutcome {
  readonly parent_episode_id: string
  readonly task_id: string
  readonly trial: number
  /** Null when the parent was not forked (see `skipped`). */
  readonly episode_id: string | null
  readonly at_turn: number | null
  readonly skipped: string | null
  readonly parent_reward: number | null
  readonly reward: number | null
  readonly parent_termination_reason: string | null
  readonly termination_reason: string | null
  /** Whether this invocation ran the branch (false: finished before, or skipped). */
  readonly ran: boolean
}

export const describeForkPoint = (at: ForkPoint): string => (at.kind === "turn" ? `turn ${at.turn}` : "first write")

export const counterfactualRunId = (options: CounterfactualOptions): string => {
  const key = JSON.stringify([options.at, options.agent ?? null, options.user ?? null, options.mode ?? null])
  return `${options.runId}~cf-${createHash("sha256").update(key).digest("hex").slice(0, 8)}`
}

/** A branch's id depends only on its batch and parent, so an interrupted batch resumes to the same ids. */
export const branchIdFor = (runId: string, parentEpisodeId: string): string => stableEpisodeId(runId, parentEpisodeId)

/** The tool a call runs, routed as the environment would route it (§3.2). */
const toolOf = (domain: Domain, name: string, requestor: "assistant" | "user", solo: boolean): ToolDef | undefined => {
  if (requestor === "user") return findTool(domain.userToolkit, name)
  if (solo) return findTool(domain.userToolkit, name) ?? findTool(domain.agentToolkit, name)
  return findTool(domain.agentToolkit, name)
}

/** Turn of the first live message that calls a tool which mutates the world, or null. */
export const firstWriteTurn = (domain: Domain, state: EpisodeState): number | null => {
  const solo = isSolo(state.started)
  const index = state.trajectory.findIndex(
    (m) =>
      m.role !== "tool" &&
      !m.setup &&
      (m.toolCalls ?? []).some((c) => {
        const tool = toolOf(domain, c.name, c.requestor, solo)
        return tool !== undefined && mutates(tool)
      }),
  )
  return index < 0 ? null : index
}

/** The batch's participants and mode can branch episodes of `parentMode` on `domain`: checked before anything is stored. */
const validateOptions = (options: CounterfactualOptions, parentMode: Mode, domain: Domain, policyVariant: string) =>
  Effect.gen(function* () {
    const factory = yield* ParticipantFactory
    if (options.agent !== undefined) yield* factory.make(options.agent, "agent")
    if (options.mode !== undefined) {
      if (modeTraits(options.mode).solo !== modeTraits(parentMode).solo) {
        return yield* new CounterfactualError({
          message: `cannot branch a ${parentMode} episode into mode ${options.mode}: a conversation cannot switch between solo and dual control midway`,
        })
      }
      const unsupported = validateMode(domain, options.mode, policyVariant)
      if (unsupported) return yield* unsupported
    }
    const solo = modeTraits(options.mode ?? parentMode).solo
    if (options.user !== undefined && !solo) yield* factory.make(options.user, "user")
  })

const branchOf = (parent: EpisodeRow, fields: Partial<BranchOutcome>): BranchOutcome => ({
  parent_episode_id: parent.episodeId,
  task_id: parent.taskId,
  trial: parent.trial,
  episode_id: null,
  at_turn: null,
  skipped: null,
  parent_reward: parent.reward,
  reward: null,
  parent_termination_reason: parent.terminationReason,
  termination_reason: null,
  ran: false,
  ...fields,
})

/** Runs (or resumes) the batch; `onBranch` sees every parent's outcome as it completes. */
export const runCounterfactual = (options: CounterfactualOptions, onBranch: (b: BranchOutcome) => void = () => {}) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const parentRun = yield* store.getRun(options.runId)
    if (!parentRun) return yield* new CounterfactualError({ message: `run ${options.runId} not found` })
    if (options.at.kind === "turn" && options.at.turn < 0) return yield* new CounterfactualError({ message: "--at-turn must be ≥ 0" })
    const parents = (yield* store.listEpisodes({ runId: options.runId })).filter((e) => e.status === "ended")
    if (parents.length === 0) return yield* new CounterfactualError({ message: `run ${options.runId} has no finished episodes to fork` })
    const first = yield* loadEpisode(parents[0].episodeId)
    yield* validateOptions(options, first.final.started.mode, first.domain, first.final.started.policyVariant)
    const runId = counterfactualRunId(options)
    // The id is a hash of what the batch is, so an existing run with this id is this batch.
    const config: CounterfactualRunConfig = {
      kind: "counterfactual",
      counterfactual_of: options.runId,
      at: options.at,
      agent: options.agent ?? null,
      user: options.user ?? null,
      mode: options.mode ?? null,
    }
    yield* store.createRun({ runId, createdAt: yield* nowIso, config: encodeRunConfig(config), experiment: null })
    if (options.pricing) yield* recordRunPricing(runId, options.pricing)
    return yield* branchAll(runId, parents, options, onBranch).pipe(withLease(runLease(runId)))
  })

const branchAll = (runId: string, parents: ReadonlyArray<EpisodeRow>, options: CounterfactualOptions, onBranch: (b: BranchOutcome) => void) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const children = new Map((yield* store.listEpisodes({ runId })).map((c) => [c.parentEpisodeId, c]))
    const branches = yield* Effect.forEach(
      parents,
      (parent) =>
        Effect.gen(function* () {
          const child = children.get(parent.episodeId)
          if (child?.status === "ended" && (yield* store.listScores(child.episodeId)).length > 0) {
            return branchOf(parent, { episode_id: child.episodeId, reward: child.reward, termination_reason: child.terminationReason })
          }
          if (child) {
            // Created but interrupted (or ended, not scored): continue it from its last stored event, with its own participants.
            const done = yield* resumeEpisode(child.episodeId)
            return branchOf(parent, { episode_id: child.episodeId, reward: done.reward, termination_reason: done.state.ended, ran: true })
          }
          const loaded = yield* loadEpisode(parent.episodeId)
          const turn = options.at.kind === "turn" ? options.at.turn : firstWriteTurn(loaded.domain, loaded.final)
          if (turn === null) return branchOf(parent, { skipped: "no write action" })
          if (turn >= loaded.final.trajectory.length) {
            return branchOf(parent, { skipped: `only ${loaded.final.trajectory.length} turns` })
          }
          if (loaded.final.trajectory[turn].setup) return branchOf(parent, { at_turn: turn, skipped: `turn ${turn} is part of the task setup` })
          const forked = yield* forkEpisode(parent.episodeId, {
            atTurn: turn,
            agent: options.agent,
            user: options.user,
            mode: options.mode,
            runId,
            childId: branchIdFor(runId, parent.episodeId),
          })
          return branchOf(parent, { episode_id: forked.episodeId, at_turn: turn, reward: forked.reward, termination_reason: forked.state.ended, ran: true })
        }).pipe(Effect.tap((b) => Effect.sync(() => onBranch(b)))),
      { concurrency: options.maxConcurrency ?? RUN_DEFAULTS.maxConcurrency },
    )
    return { runId, branches }
  })
