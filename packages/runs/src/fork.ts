/**
 * Fork: a new episode whose history is its parent's up to a turn and whose continuation is live,
 * possibly with other participants. The child stores one start event that points at the parent;
 * nothing of the prefix is copied, so forking costs O(events), not O(database).
 */
import * as path from "node:path"
import { EventStore, type Mode, type StoreError, nowIso } from "@tau-sim/engine"
import { Effect, Option } from "effect"
import { episodeLease, withLease } from "./lease.ts"
import { branchEpisode, ForkError } from "./lifecycle.ts"
import { loadEpisode, requireRecordedData } from "@tau-sim/replay"
import { decodeRunConfig, encodeRunConfig, type ForksRunConfig, type RunPricing, type StoredRunConfigError } from "./run-config.ts"
import { recordRunPricing } from "./run-pricing.ts"
import { randomEpisodeId } from "./run.ts"

/** Absent or undefined: as the parent (the fields are forwarded from optional flags). */
export interface ForkOptions {
  readonly atTurn: number
  readonly agent?: string | undefined
  readonly user?: string | undefined
  readonly mode?: Mode | undefined
  /** Run the child belongs to (a fork run groups counterfactual branches). */
  readonly runId?: string | undefined
  /** Stop after creating the child (no live continuation). */
  readonly noContinue?: boolean
  /** Id of the child (default: random). */
  readonly childId?: string
  /** Runs once the fork point is known to be valid, before the child is stored (creates the run it goes into). */
  readonly prepareRun?: Effect.Effect<void, StoreError | StoredRunConfigError, EventStore>
  /** Read the parent's domain from this data folder instead of the recorded one (it must hash the same). */
  readonly dataDir?: string | undefined
  /** Read the parent's domain given by path from here instead of its recorded path (a moved folder; it must hash the same); the branch records it. */
  readonly domain?: string | undefined
}

/** Index of the event that produced trajectory message `turn`. */
export const eventOfTurn = (states: ReadonlyArray<{ trajectory: ReadonlyArray<unknown> }>, turn: number): number =>
  states.findIndex((s) => s.trajectory.length > turn)

/** Branches `parentId` just before its trajectory message `atTurn` (the branch point of `branchEpisode`, by turn). */
export const forkEpisode = (parentId: string, options: ForkOptions) =>
  Effect.gen(function* () {
    const parent = yield* loadEpisode(parentId, { dataDir: options.dataDir, domain: options.domain })
    // A branch continued on other data than its parent's prefix ran on would not be a branch of it.
    yield* requireRecordedData(parent)
    const { states, events, domain } = parent
    const at = eventOfTurn(states, options.atTurn)
    const turns = parent.final.trajectory.length
    if (options.atTurn < 0 || at < 0) {
      return yield* new ForkError({ message: `episode ${parentId} has turns 0..${turns - 1}; cannot fork at turn ${options.atTurn}` })
    }
    const message = states[at].trajectory[options.atTurn] as { setup: boolean }
    if (message.setup) {
      const firstLive = parent.final.trajectory.findIndex((m) => !m.setup)
      return yield* new ForkError({
        message: `turn ${options.atTurn} is part of the task setup; fork at turn ${firstLive >= 0 ? firstLive : turns} or later`,
      })
    }
    const childId = options.childId ?? (yield* randomEpisodeId)
    // The child is ours from before it exists: a `--resume` of its run cannot drive it alongside us.
    return yield* Effect.gen(function* () {
      if (options.prepareRun) yield* options.prepareRun
      const branch = yield* branchEpisode(
        { episodeId: parentId, events, domain, states },
        at,
        {
          episodeId: childId,
          runId: options.runId,
          agent: options.agent,
          user: options.user,
          mode: options.mode,
          dataDir: options.dataDir === undefined ? undefined : path.resolve(options.dataDir),
          movedDomain: options.domain,
        },
        { noContinue: options.noContinue === true },
      )
      return { episodeId: childId, parent: parentId, forkSeq: at, state: branch.state, reward: branch.reward }
    }).pipe(withLease(episodeLease(childId)))
  })

/**
 * The run `tau fork` puts a branch in: `<parent run>~forks` (a branch of a branch joins the same
 * run), so forks never change the parent run's metrics. `create` stores it if it is new, and
 * records `pricing` (the prices a fork's model calls are costed with) over the ones it has.
 */
export const forksRunOf = (parentRunId: string, pricing?: RunPricing) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const parentRun = yield* store.getRun(parentRunId)
    const parentConfig = parentRun ? yield* Effect.option(decodeRunConfig(parentRun)) : Option.none()
    const forksOf = Option.isSome(parentConfig) && parentConfig.value.kind === "forks" ? parentConfig.value.forksOf : parentRunId
    const runId = `${forksOf}~forks`
    const config: ForksRunConfig = { kind: "forks", forksOf }
    const create = Effect.flatMap(nowIso, (createdAt) => store.createRun({ runId, createdAt, config: encodeRunConfig(config), experiment: null })).pipe(
      Effect.andThen(pricing ? recordRunPricing(runId, pricing) : Effect.void),
      Effect.asVoid,
    )
    return { runId, create }
  })
