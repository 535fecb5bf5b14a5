/**
 * Shared plumbing for the engine-core integration tests: temporary SQLite stores, start events for
 * the demo domain, and a hop-by-hop driver that records the live world next to what was stored.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  type EpisodeEvent,
  type EpisodeParticipants,
  type EpisodeStarted,
  type EpisodeState,
  type DomainResolver,
  Events,
  EventStore,
  foldEvents,
  foldHistory,
  layerSqlite,
  type Node,
  nextHop,
  openSqliteStore,
  executeEpisodeCall,
  setupEvents,
  type StoredEvent,
  type Task,
  taskHash,
} from "@tau-sim/engine"
import { builtinDomains } from "@tau-sim/domains"
import { demoDomain } from "@tau-sim/domains/demo"
import Database from "better-sqlite3"
import { Effect } from "effect"

export const domain = demoDomain()

export const demoTask = (id: string): Task => {
  const task = domain.tasks.find((t) => t.id === id)
  if (!task) throw new Error(`demo task ${id} not found`)
  return task
}

/** A temporary directory for one test file; `dispose` removes it. */
export const tempDir = (prefix: string) => {
  const root = mkdtempSync(join(tmpdir(), `tau-sim-${prefix}-`))
  let n = 0
  return {
    root,
    /** A fresh database path inside the directory. */
    db: () => join(root, `store-${n++}.db`),
    file: (name: string) => join(root, name),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  }
}

/** Runs an effect against the SQLite store at `path` (opened and closed around it), with the built-in domains. */
export const withStore = <A, E>(path: string, effect: Effect.Effect<A, E, EventStore | DomainResolver>): Promise<A> =>
  Effect.runPromise(effect.pipe(Effect.provide([layerSqlite(path), builtinDomains()])) as Effect.Effect<A, never, never>)

/** Like `withStore`, returning the failure instead of throwing it. */
export const withStoreResult = <A, E>(path: string, effect: Effect.Effect<A, E, EventStore | DomainResolver>) => withStore(path, Effect.result(effect))

const taskHashOf = (taskId: string): string => {
  const task = domain.tasks.find((t) => t.id === taskId)
  return task ? taskHash(task) : "t"
}

export const startedEvent = (overrides: Partial<EpisodeStarted> & { taskId: string; episodeId: string }): EpisodeStarted =>
  Events.episodeStarted({
    runId: "run_test",
    domain: "demo",
    trial: 0,
    // The hashes verify compares with the data (a test wanting other hashes overrides them).
    hashes: { task: taskHashOf(overrides.taskId), policy: domain.hashes.policy, data: domain.hashes.data },
    dataDir: null,
    policyVariant: "default",
    mode: "default",
    agent: "scripted:test",
    user: "scripted:test",
    seed: 300,
    limits: { maxSteps: 200, maxErrors: 10 },
    engineVersion: "test",
    parent: null,
    ...overrides,
  })

export interface DrivenEpisode {
  readonly final: EpisodeState
  /** `live[seq]`: the world the orchestrator's tool executions produced, right after event `seq`. */
  readonly live: ReadonlyArray<Node>
}

/**
 * Drives an episode hop by hop through the orchestrator, appending every hop to the store. Beside
 * the stored patches it keeps the live world: the worlds `executeToolCall` itself returned (never
 * rebuilt from a patch), so a test can compare them with what the stored events rebuild.
 */
export const driveRecordingLiveWorld = (started: EpisodeStarted, task: Task, participants: EpisodeParticipants) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const setup = setupEvents(started, domain, task)
    let version = yield* store.append(started.episodeId, 0, setup)
    let state = foldHistory(domain, setup)
    const live: Node[] = []
    // The demo tasks have no initial state: setup never changes the world.
    for (const e of setup) {
      if (e._tag === "ToolExecuted" && e.patchJson !== "[]") throw new Error("harness assumes setup without world changes")
      live.push(domain.initialWorld)
    }
    let world: Node = domain.initialWorld
    while (state.ended === null) {
      const events = yield* nextHop(state, domain, task, participants)
      let position = state.trajectory.length
      for (const e of events) {
        if (e._tag === "ToolExecuted" && e.actor !== "env") {
          const call = state.pending.find((c) => c.id === e.callId)
          if (!call) throw new Error(`executed call ${e.callId} was not pending`)
          const outcome = executeEpisodeCall(domain, state, world, call, position++)
          if (outcome.output !== e.output || outcome.error !== e.error) throw new Error(`live call ${e.callId} disagrees with its event`)
          world = outcome.world
        }
        live.push(world)
      }
      version = yield* store.append(started.episodeId, version, events)
      state = foldEvents(state, events)
    }
    return { final: state, live } satisfies DrivenEpisode
  })

/** Reads a stream back through a separate connection (what a later process would see). */
export const readStored = (path: string, episodeId: string): Promise<ReadonlyArray<StoredEvent>> => {
  const handle = openSqliteStore(path)
  return Effect.runPromise(handle.store.read(episodeId)).finally(handle.close)
}

export interface RawRow {
  readonly episode_id: string
  readonly seq: number
  readonly recorded_at: string
  readonly tag: string
  readonly v: number
  readonly body: string
}

/** Raw rows of the events table, straight from SQLite. */
export const rawRows = (path: string, episodeId?: string): RawRow[] => {
  const db = new Database(path, { readonly: true })
  try {
    const sql = `SELECT episode_id, seq, recorded_at, tag, v, body FROM events ${episodeId ? "WHERE episode_id = ?" : ""} ORDER BY episode_id, seq`
    return (episodeId ? db.prepare(sql).all(episodeId) : db.prepare(sql).all()) as RawRow[]
  } finally {
    db.close()
  }
}

/** Overwrites one stored event body in place, bypassing the store (a tampered or damaged log). */
export const overwriteEventBody = (path: string, episodeId: string, seq: number, body: string): void => {
  const db = new Database(path)
  try {
    const changed = db.prepare("UPDATE events SET body = ? WHERE episode_id = ? AND seq = ?").run(body, episodeId, seq).changes
    if (changed !== 1) throw new Error(`no event ${episodeId}#${seq} to overwrite`)
  } finally {
    db.close()
  }
}

export const tagsOf = (events: ReadonlyArray<EpisodeEvent>): string[] => events.map((e) => e._tag)
