/**
 * What the conformance suite cannot show from one process: writers in several processes racing on
 * one Postgres store (appends of one episode, its scores, a run's creation, a lease), each group
 * opening a fresh store at the same moment (so the migration races too); and the schema version.
 */
import { join } from "node:path"
import { assert, it } from "@effect/vitest"
import { checkStreamIntegrity, EventStore, type EventStoreShape } from "@tau-sim/engine"
import { started } from "@tau-sim/engine/testing"
import { Effect } from "effect"
import { runTogether } from "../../engine/test/store/fixtures/run-writers.ts"
import { openPostgresStore } from "../src/postgres.ts"
import { SCHEMA_VERSION } from "../src/schema.ts"
import { needsPostgres } from "../testing/index.ts"

const pg = needsPostgres()
const RACER = join(import.meta.dirname, "fixtures", "racer.ts")
let schemas = 0

/** A fresh, empty schema of the test database, as a store URL. */
const freshStoreUrl = (): { readonly url: string; readonly schema: string } => {
  const server = pg.server()
  const schema = `race_${schemas++}`
  server.psql("postgres", `CREATE SCHEMA ${schema}`)
  return { url: `${server.url("postgres")}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, schema }
}

const race = (url: string, mode: string, key: string, racers: ReadonlyArray<string>, count = 1) =>
  runTogether(
    RACER,
    racers.map((racer) => [url, mode, key, racer, String(count)]),
    join(pg.server().dir, `${mode}-${key}-${schemas}.go`),
  )

const using = <A, E>(url: string, use: (store: EventStoreShape) => Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => openPostgresStore(url)),
    (handle) => use(handle.store),
    (handle) => Effect.promise(() => handle.close()),
  )

pg.describe("postgres store", () => {
  it.effect(
    "serialises appends of one episode from four processes: conflicts happen, every event lands once, the chain holds",
    () =>
      Effect.gen(function* () {
        const { url } = freshStoreUrl()
        const perRacer = 25
        const racers = ["w0", "w1", "w2", "w3"]
        yield* using(url, (store) => store.append("shared", 0, [started("shared")]))
        const reports = (yield* Effect.promise(() => race(url, "append", "shared", racers, perRacer))) as Array<{ conflicts: number }>
        // The writers really raced: some appends met a conflict (and retried).
        assert.isAbove(
          reports.reduce((sum, r) => sum + r.conflicts, 0),
          0,
        )
        yield* using(url, (store) =>
          Effect.gen(function* () {
            const stored = yield* store.read("shared")
            assert.deepStrictEqual(
              stored.map((s) => s.seq),
              Array.from({ length: 1 + racers.length * perRacer }, (_, i) => i),
            )
            const texts = stored.slice(1).map((s) => (s.event._tag === "MessageSent" ? s.event.text : ""))
            for (const id of racers) {
              assert.deepStrictEqual(
                texts.filter((t) => t?.startsWith(`${id}-`)),
                Array.from({ length: perRacer }, (_, i) => `${id}-${i}`),
              )
            }
            assert.strictEqual((yield* store.getEpisode("shared"))?.version, 1 + racers.length * perRacer)
            assert.deepStrictEqual((yield* checkStreamIntegrity("shared").pipe(Effect.provideService(EventStore, store))).findings, [])
          }),
        )
      }),
    120_000,
  )

  it.effect(
    "chains scores of one episode appended from four processes at once (no two chained from the same score)",
    () =>
      Effect.gen(function* () {
        const { url } = freshStoreUrl()
        yield* using(url, (store) => store.append("scored", 0, [started("scored")]))
        yield* Effect.promise(() => race(url, "score", "scored", ["s0", "s1", "s2", "s3"], 10))
        yield* using(url, (store) =>
          Effect.gen(function* () {
            assert.strictEqual((yield* store.listScores("scored")).length, 40)
            assert.deepStrictEqual((yield* checkStreamIntegrity("scored").pipe(Effect.provideService(EventStore, store))).findings, [])
          }),
        )
      }),
    120_000,
  )

  it.effect(
    "of four processes creating one run, exactly one creates it and all see its config; of four taking one lease, one gets it",
    () =>
      Effect.gen(function* () {
        const { url } = freshStoreUrl()
        const racers = ["r0", "r1", "r2", "r3"]
        const runs = (yield* Effect.promise(() => race(url, "run", "run-x", racers))) as Array<{ created: boolean; racer: string }>
        const winners = runs.filter((r) => r.created)
        assert.strictEqual(winners.length, 1)
        assert.isTrue(runs.every((r) => r.racer === winners[0].racer))
        const leases = (yield* Effect.promise(() => race(url, "lease", "resume:run-x", racers))) as Array<{ acquired: boolean }>
        assert.strictEqual(leases.filter((l) => l.acquired).length, 1)
      }),
    120_000,
  )

  it.effect("records its schema version, and refuses a newer one (naming the store, not its password)", () =>
    Effect.gen(function* () {
      const { url, schema } = freshStoreUrl()
      yield* using(url, () => Effect.void)
      yield* using(url, () => Effect.void)
      const server = pg.server()
      assert.strictEqual(server.psql("postgres", `SELECT version FROM ${schema}.tau_schema`).trim(), String(SCHEMA_VERSION))
      server.psql("postgres", `UPDATE ${schema}.tau_schema SET version = ${SCHEMA_VERSION + 98}`)
      const error = yield* Effect.promise(() =>
        openPostgresStore(url).then(
          () => new Error("opened"),
          (e: unknown) => e as Error,
        ),
      )
      assert.strictEqual(
        error.message,
        `event store postgres://127.0.0.1:${server.port}/postgres has schema version ${SCHEMA_VERSION + 98}, newer than this engine's ${SCHEMA_VERSION}`,
      )
    }),
  )

  it.effect("with mustExist, refuses a database without a store and creates nothing", () =>
    Effect.gen(function* () {
      const { url, schema } = freshStoreUrl()
      const server = pg.server()
      const error = yield* Effect.promise(() =>
        openPostgresStore(url, { mustExist: true }).then(
          () => new Error("opened"),
          (e: unknown) => e as Error,
        ),
      )
      assert.strictEqual(error.message, `no event store at postgres://127.0.0.1:${server.port}/postgres`)
      assert.strictEqual(server.psql("postgres", `SELECT count(*) FROM pg_tables WHERE schemaname = '${schema}'`).trim(), "0")
    }),
  )
})
