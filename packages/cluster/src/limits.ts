/**
 * Model-call limits that hold across every runner of the cluster, kept in the Postgres database the
 * cluster runs on (no coordinator process of our own):
 *
 * - **Rate** (`--rate-limit openai=500`): the same token bucket as a local run's (models'
 *   rate-limit.ts: reserve a token, wait while the balance is negative, first come first served),
 *   but the bucket is one row per provider key, updated in one statement on the database's clock,
 *   so runners share it and their clocks do not matter. The rate given with a call applies to its
 *   reservation (submissions with different rates for one key share one bucket).
 * - **Concurrency** (`--provider-concurrency openai=8`): at most N participant turns of a provider
 *   in flight, as N session-level advisory locks (`pg_try_advisory_lock(hashtext(key), slot)`) taken
 *   on one connection each runner reserves for them. A runner that dies closes that session, and
 *   Postgres frees its slots with it: a dead runner never keeps a slot. A frozen or cut-off one
 *   neither: as effect/cluster does for its shard-lock session, the session has an
 *   `idle_session_timeout` of the shard lock expiry, kept busy by a keepalive at the lock refresh
 *   interval, so Postgres ends it (and frees its slots) when the runner stops using it; the runner
 *   then opens a new session (the slots it held are gone with the old one).
 */
import type { RateLimiter } from "@tau-sim/models"
import { Context, Duration, Effect, Exit, Layer, Scope, Semaphore } from "effect"
import { CLUSTER_TIMINGS } from "./config.ts"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"

/** How often a turn waiting for a concurrency slot tries again. */
const SLOT_POLL_MS = 25

export interface ClusterLimitsShape {
  /** A limiter of `requestsPerMinute` for `key`, shared by every runner (bursts: one second's worth). */
  readonly rateLimiter: (key: string, requestsPerMinute: number) => RateLimiter
  /** Runs `effect` holding one of the `cap` slots of `key` (waits for a free one). */
  readonly withSlot: <A, E, R>(key: string, cap: number, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export class ClusterLimits extends Context.Service<ClusterLimits, ClusterLimitsShape>()("@tau-sim/cluster/ClusterLimits") {}

const num = (v: unknown): number => (typeof v === "bigint" ? Number(v) : typeof v === "string" ? Number(v) : (v as number))

export const makeClusterLimits: Effect.Effect<ClusterLimitsShape, SqlError, SqlClient | Scope.Scope> = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql
    .unsafe("CREATE TABLE IF NOT EXISTS tau_cluster_rates (key text PRIMARY KEY, tokens double precision NOT NULL, at_ms double precision NOT NULL)")
    .pipe(
      // Two runners creating it at once: the loser's error says it exists now.
      Effect.catch(() => sql.unsafe("SELECT 1 FROM tau_cluster_rates LIMIT 0")),
    )
  // A session takes an advisory lock it holds again (they stack): the slots this runner holds are skipped here.
  const held = new Map<string, Set<number>>()
  // The advisory locks of the slots belong to this session: one connection, used by one fiber at a time.
  const layerScope = yield* Effect.scope
  const idleMs = Math.ceil(Duration.toMillis(Duration.fromInputUnsafe(CLUSTER_TIMINGS.shardLockExpiration)))
  const openSession = Effect.gen(function* () {
    const scope = yield* Scope.fork(layerScope)
    const conn = yield* sql.reserve.pipe(Scope.provide(scope))
    // The session ends after this long unused (a frozen runner): Postgres frees its slots then.
    yield* conn.executeRaw(`SELECT set_config('idle_session_timeout', '${idleMs}', false)`, [])
    return { conn, scope }
  })
  let session: Effect.Success<typeof openSession> | null = null
  const oneAtATime = yield* Semaphore.make(1)
  const run = (statement: string, params: ReadonlyArray<unknown>) =>
    Effect.gen(function* () {
      session ??= yield* openSession
      return yield* session.conn.executeValues(statement, params)
    })
  const onSlots = <A>(statement: string, params: ReadonlyArray<unknown>) =>
    oneAtATime.withPermits(1)(
      run(statement, params).pipe(
        // The session is gone (ended while this runner was frozen, or the connection was cut): so are its slots.
        Effect.catch(() =>
          Effect.gen(function* () {
            const old = session
            session = null
            held.clear()
            if (old) yield* Scope.close(old.scope, Exit.void)
            return yield* run(statement, params)
          }),
        ),
      ),
    ) as Effect.Effect<ReadonlyArray<ReadonlyArray<A>>, SqlError>
  // Used at least every lock refresh interval, so that only a runner that stopped is timed out.
  yield* onSlots("SELECT 1", []).pipe(
    Effect.ignore,
    Effect.andThen(Effect.sleep(CLUSTER_TIMINGS.shardLockRefreshInterval)),
    Effect.forever,
    Effect.forkIn(layerScope),
  )

  const reserve = (key: string, capacity: number, perMs: number) =>
    sql
      .unsafe<{ tokens: unknown }>(
        `WITH now AS (SELECT extract(epoch FROM clock_timestamp()) * 1000 AS ms)
         INSERT INTO tau_cluster_rates AS r (key, tokens, at_ms) SELECT $1, $2::float8 - 1, ms FROM now
         ON CONFLICT (key) DO UPDATE SET tokens = least($2::float8, r.tokens + (EXCLUDED.at_ms - r.at_ms) * $3::float8) - 1, at_ms = EXCLUDED.at_ms
         RETURNING tokens`,
        [key, capacity, perMs],
      )
      .pipe(Effect.map((rows) => num(rows[0]?.tokens)))

  const rateLimiter = (key: string, requestsPerMinute: number): RateLimiter => {
    const perMs = requestsPerMinute / 60_000
    const capacity = Math.max(1, Math.ceil(requestsPerMinute / 60))
    return {
      take: reserve(key, capacity, perMs).pipe(
        Effect.flatMap((tokens) => (tokens >= 0 ? Effect.void : Effect.sleep(Math.ceil(-tokens / perMs)))),
        // The database is the cluster: without it nothing runs anyway; the episode's runner reports it.
        Effect.orDie,
      ),
    }
  }

  const heldOf = (key: string) => {
    const slots = held.get(key) ?? new Set<number>()
    held.set(key, slots)
    return slots
  }
  const takeSlot = (key: string, cap: number): Effect.Effect<number, SqlError> =>
    Effect.gen(function* () {
      const mine = heldOf(key)
      for (;;) {
        for (let slot = 0; slot < cap; slot++) {
          if (mine.has(slot)) continue
          mine.add(slot)
          const rows = yield* onSlots<boolean>("SELECT pg_try_advisory_lock(hashtext($1), $2)", [`tau-provider:${key}`, slot]).pipe(
            Effect.onError(() => Effect.sync(() => mine.delete(slot))),
          )
          if (rows[0]?.[0] === true) return slot
          mine.delete(slot)
        }
        yield* Effect.sleep(SLOT_POLL_MS)
      }
    })
  const freeSlot = (key: string, slot: number) =>
    onSlots("SELECT pg_advisory_unlock(hashtext($1), $2)", [`tau-provider:${key}`, slot]).pipe(
      Effect.ignore,
      Effect.ensuring(Effect.sync(() => heldOf(key).delete(slot))),
    )

  return {
    rateLimiter,
    withSlot: (key, cap, effect) =>
      Effect.acquireUseRelease(
        takeSlot(key, cap).pipe(Effect.orDie),
        () => effect,
        (slot) => freeSlot(key, slot),
      ),
  }
})

export const layerClusterLimits: Layer.Layer<ClusterLimits, SqlError, SqlClient> = Layer.effect(ClusterLimits, makeClusterLimits)
