/**
 * Real episodes for the support-desk tests: a scripted agent and a scripted user played by the
 * engine's orchestrator into a SQLite file, then read back and folded (as `rescore` reads them).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  allEvents,
  type Domain,
  type EpisodeEvent,
  type EpisodeState,
  Events,
  EventStore,
  foldHistory,
  layerSqlite,
  type ParticipantTurn,
  playEpisode,
  readHistory,
  scriptedParticipant,
  setupEvents,
  type Task,
  taskHash,
} from "@tau-sim/engine"
import { Effect } from "effect"

export const say = (text: string): ParticipantTurn => ({ text, toolCalls: [] })
export const call = (name: string, args: Record<string, unknown>): ParticipantTurn => ({
  text: null,
  toolCalls: [{ name, argumentsJson: JSON.stringify(args) }],
})

export const findTask = (domain: Domain, id: string): Task => {
  const task = domain.tasks.find((t) => t.id === id)
  if (!task) throw new Error(`${domain.name}: no task ${id}`)
  return task
}

/** A temporary folder of SQLite stores for one test file; `dispose` removes it. */
export const tempStores = (prefix: string) => {
  const root = mkdtempSync(join(tmpdir(), `tau-sim-${prefix}-`))
  let n = 0
  return { next: () => join(root, `store-${n++}.db`), dispose: () => rmSync(root, { recursive: true, force: true }) }
}

export const runOn = <A, E>(path: string, effect: Effect.Effect<A, E, EventStore>): Promise<A> =>
  Effect.runPromise(effect.pipe(Effect.provide(layerSqlite(path))) as Effect.Effect<A, never, never>)

export interface PlayedEpisode {
  readonly path: string
  readonly episodeId: string
  readonly state: EpisodeState
  readonly events: ReadonlyArray<EpisodeEvent>
}

let played = 0

/** Plays `agent` against `user` on a task until the episode ends, stores it, and reads it back. */
export const playScripted = async (
  path: string,
  domain: Domain,
  task: Task,
  script: { readonly agent: ReadonlyArray<ParticipantTurn>; readonly user: ReadonlyArray<ParticipantTurn> },
): Promise<PlayedEpisode> => {
  const episodeId = `ep_support_desk_${played++}`
  const started = Events.episodeStarted({
    runId: "run_support_desk",
    episodeId,
    domain: domain.name,
    taskId: task.id,
    trial: 0,
    hashes: { task: taskHash(task), policy: domain.hashes.policy, data: domain.hashes.data },
    dataDir: null,
    policyVariant: "default",
    mode: "default",
    agent: "scripted:agent",
    user: "scripted:user",
    seed: 7,
    limits: { maxSteps: 100, maxErrors: 10 },
    engineVersion: "test",
    parent: null,
  })
  const participants = { agent: scriptedParticipant("scripted:agent", script.agent), user: scriptedParticipant("scripted:user", script.user) }
  await runOn(
    path,
    Effect.gen(function* () {
      const store = yield* EventStore
      const setup = setupEvents(started, domain, task)
      yield* store.append(episodeId, 0, setup)
      yield* playEpisode(episodeId, foldHistory(domain, setup), domain, task, participants)
    }),
  )
  // Read back through a new connection, as a later `rescore` would.
  const events = (await runOn(path, readHistory(episodeId)).then(allEvents)).map((e) => e.event)
  const state = foldHistory(domain, events)
  if (state.ended === null) throw new Error(`${episodeId} did not end`)
  return { path, episodeId, state, events }
}
