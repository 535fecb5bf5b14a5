/** What the conformance suites share: a fresh store per test, and small builders. */
import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { Effect } from "effect"
import type { EpisodeEvent } from "../../src/events.ts"
import { CHAIN_START, chainHash } from "../../src/store/chain.ts"
import { EventStore, type EventStoreShape, type LeaseHolder, type RawStoredRow, type ScoreRecord } from "../../src/store/event-store.ts"
import { checkStreamIntegrity } from "../../src/store/integrity.ts"
import type { AsyncStoreHandle, RawEventRow, StoreHandle } from "../../src/store/store-handle.ts"

/** An opened store: a synchronous client's (SQLite, memory) or an asynchronous one's (a server database). */
export type OpenedStore = StoreHandle | AsyncStoreHandle

/** Opens a fresh, empty store (a new file, a new database, a new schema...). */
export type StoreFactory = () => OpenedStore | Promise<OpenedStore>

/** Opens a store from the factory (awaited when it is asynchronous). */
export const openStore = (makeStore: StoreFactory): Effect.Effect<OpenedStore> => Effect.promise(async () => makeStore())

/** Closes a store (awaited when it is asynchronous). */
export const closeStore = (handle: OpenedStore): Effect.Effect<void> => Effect.promise(async () => handle.close())

/** Writes a row verbatim (`StoreHandle.writeRawEvent`), awaited when the store is asynchronous. */
export const writeRaw = (handle: OpenedStore, row: RawEventRow & { readonly hash?: string | null }): Effect.Effect<void> =>
  Effect.promise(async () => handle.writeRawEvent(row))

/** Runs `use` against a fresh store and closes it afterwards. */
export const withStore =
  (makeStore: StoreFactory) =>
  <A, E>(use: (store: EventStoreShape, handle: OpenedStore) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.acquireUseRelease(openStore(makeStore), (handle) => use(handle.store, handle), closeStore)

export const events = (stored: ReadonlyArray<{ readonly event: EpisodeEvent }>) => stored.map((s) => s.event)
export const seqs = (stored: ReadonlyArray<{ readonly seq: number }>) => stored.map((s) => s.seq)

export const score = (episodeId: string, reward: number, evaluator = "tau2"): ScoreRecord => ({
  episodeId,
  evaluator,
  evaluatorVersion: "1",
  reward,
  breakdown: { reward, reward_basis: ["DB", "COMMUNICATE"], info: { db_match: reward === 1, nested: [1.5, null] } },
  recordedAt: "2025-01-02T03:04:05.000Z",
})

/** Recomputes a stream's chain from its rows' content: what an untouched stream's hashes must be. */
export const expectedHashes = (rows: ReadonlyArray<RawStoredRow>): Array<string> => {
  let prev = CHAIN_START
  return rows.map((row) => (prev = chainHash(row.episodeId, prev, row.seq, row.tag, row.v, row.body)))
}

export const integrityOf = (store: EventStoreShape, episodeId: string) => checkStreamIntegrity(episodeId).pipe(Effect.provideService(EventStore, store))

/** The pid of a process that has exited (so a lease it held is stale at once). */
export const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", ""])
  if (child.pid === undefined || child.status !== 0) throw new Error("could not run a short-lived child process")
  return child.pid
}

export const holder = (id: string, overrides: Partial<LeaseHolder> = {}): LeaseHolder => ({
  id,
  pid: process.pid,
  host: hostname(),
  acquiredAt: "2025-01-01T00:00:00.000Z",
  ...overrides,
})
