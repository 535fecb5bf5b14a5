/** `tau fork`: branch an episode at a turn and continue it live with other participants. */
import { randomUUID } from "node:crypto"
import { EventStore } from "@tau-sim/engine"
import { EpisodeNotFound } from "@tau-sim/replay"
import { decodeRunConfig, ForkError, forkEpisode, forksRunOf } from "@tau-sim/runs"
import { ModelRuntime } from "@tau-sim/models"
import { Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { fmtReward } from "../table.ts"
import { resumableOnStop, shellArg } from "../signals.ts"
import { dbFlag, jsonFlag, movedDataDirFlag, movedDomainFlag, nonNegativeInt, print, printJson, storeLayer } from "./common.ts"
import { participantFlag, modelCallFlags, modelServices, runPricing } from "./model-flags.ts"

const flags = {
  db: dbFlag,
  json: jsonFlag,
  episode: Argument.String("episode"),
  atTurn: nonNegativeInt("at-turn").pipe(Flag.withDescription("Keep turns 0..N-1 of the parent; continue live from turn N")),
  agent: participantFlag("agent").pipe(Flag.withDescription("Agent spec for the branch (default: the parent's)"), Flag.optional),
  user: participantFlag("user").pipe(Flag.withDescription("User spec for the branch (default: the parent's)"), Flag.optional),
  dataDir: movedDataDirFlag,
  domain: movedDomainFlag,
  // The viewer names the branch before it starts, to follow its progress while it runs.
  episodeId: Flag.String("episode-id").pipe(
    Flag.withDescription("Id of the branch (default: a fresh ep_...); refused if an episode has it"),
    Flag.filter(
      (id) => /^[A-Za-z0-9_.~-]+$/.test(id),
      () => "letters, digits and _ . ~ - only",
    ),
    Flag.optional,
  ),
  ...modelCallFlags,
}

export const forkCommand = Command.make("fork", flags, (f) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const parent = yield* store.getEpisode(f.episode)
    if (!parent) return yield* new EpisodeNotFound({ episodeId: f.episode, store: f.db })
    // The branch's participants are the given ones, else its parent's: a model among them makes its prices worth recording.
    const parentRun = yield* store.getRun(parent.runId)
    const parentConfig = parentRun ? Option.getOrUndefined(yield* Effect.option(decodeRunConfig(parentRun))) : undefined
    const parentSpecs = parentConfig && "agent" in parentConfig ? [parentConfig.agent, parentConfig.user] : []
    const pricing = runPricing(yield* ModelRuntime, [Option.getOrUndefined(f.agent), Option.getOrUndefined(f.user), ...parentSpecs])
    const { runId, create } = yield* forksRunOf(parent.runId, pricing)
    const childId = Option.getOrElse(f.episodeId, () => `ep_${randomUUID().replaceAll("-", "").slice(0, 12)}`)
    if (Option.isSome(f.episodeId) && (yield* store.getEpisode(childId)))
      return yield* new ForkError({ message: `an episode ${childId} exists already; choose another --episode-id` })
    const child = yield* forkEpisode(f.episode, {
      atTurn: f.atTurn,
      agent: Option.getOrUndefined(f.agent),
      user: Option.getOrUndefined(f.user),
      runId,
      childId,
      prepareRun: create,
      dataDir: Option.getOrUndefined(f.dataDir),
      domain: Option.getOrUndefined(f.domain),
    }).pipe(resumableOnStop(() => `tau run --resume ${shellArg(runId)} --db ${shellArg(f.db)}  (continues ${childId})`))
    const out = {
      run_id: runId,
      episode_id: child.episodeId,
      parent_episode_id: child.parent,
      fork_seq: child.forkSeq,
      at_turn: f.atTurn,
      termination_reason: child.state.ended,
      reward: child.reward,
    }
    if (f.json) yield* printJson(out)
    else
      yield* print(
        `forked ${out.parent_episode_id} at turn ${f.atTurn} (event ${out.fork_seq}) -> ${out.episode_id}: ${out.termination_reason}, reward ${fmtReward(out.reward)}`,
      )
  }).pipe(Effect.provide(modelServices(f).pipe(Layer.provideMerge(storeLayer(f.db, { mustExist: true }))))),
).pipe(Command.withDescription("Fork an episode at a turn into a counterfactual branch"))
