/** One bench episode played to its end on the store in context: its start event, setup and turns. */
import { type Domain, Events, EventStore, foldHistory, type Participant, playEpisode, setupEvents, type Task, taskHash } from "@tau-sim/engine"
import { Effect } from "effect"

export interface BenchEpisode {
  readonly runId: string
  readonly episodeId: string
  readonly domain: Domain
  readonly task: Task
  readonly agent: Participant
  readonly user: Participant
  readonly seed?: number
}

/** Appends the episode's start and setup, plays it, and returns its final state. */
export const playBenchEpisode = ({ runId, episodeId, domain, task, agent, user, seed = 1 }: BenchEpisode) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const started = Events.episodeStarted({
      runId,
      episodeId,
      domain: domain.name,
      taskId: task.id,
      trial: 0,
      hashes: { ...domain.hashes, task: taskHash(task) },
      dataDir: null,
      policyVariant: "default",
      mode: "default",
      agent: agent.spec,
      user: user.spec,
      seed,
      limits: { maxSteps: 200, maxErrors: 10 },
      engineVersion: "bench",
      parent: null,
    })
    const setup = setupEvents(started, domain, task)
    yield* store.append(episodeId, 0, setup)
    return yield* playEpisode(episodeId, foldHistory(domain, setup), domain, task, { agent, user })
  })
