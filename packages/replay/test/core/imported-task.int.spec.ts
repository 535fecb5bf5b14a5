/**
 * The task of an imported episode comes from the results header its run keeps: read from the
 * run record on every load by default, or once per header with `importedTasksCache` (what the CLI
 * provides). A cached header is not trusted past a change of the record, and a header that is not
 * JSON is a typed StoreError naming the run, not a defect.
 */
import { type EpisodeEvent, Events, EventStore, PyJson, type PyValue, type Task } from "@tau-sim/engine"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { importedTasksCache, loadEpisode, taskOfEpisode } from "../../src/replay.ts"
import { demoTask, startedEvent, tempDir, withStore } from "./harness.ts"

const tmp = tempDir("imported-task")
afterAll(tmp.dispose)

const RUN = "tau2_imported"
const EPISODE = "ep_imported"
const source = demoTask("renew_loan")
const embedded = (marker: string): Task => ({ ...source, user_scenario: { ...source.user_scenario, instructions: marker } })
const header = (marker: string) => PyJson.compact({ tasks: [embedded(marker) as unknown as PyValue] })

/** A store with one imported run (its header embedding renew_loan with `marker` as instructions) and one episode. */
const importedStore = async (marker: string) => {
  const db = tmp.db()
  const events: EpisodeEvent[] = [
    startedEvent({ runId: RUN, episodeId: EPISODE, taskId: source.id }),
    Events.externalRecord({ source: "tau2-results", json: "{}" }),
  ]
  await withStore(
    db,
    Effect.gen(function* () {
      const store = yield* EventStore
      yield* store.createRun({ runId: RUN, createdAt: "2026-01-01T00:00:00.000Z", config: { kind: "import", headerJson: header(marker) }, experiment: null })
      yield* store.append(EPISODE, 0, events)
    }),
  )
  return db
}

const setHeader = (db: string, headerJson: string) => {
  const sqlite = new Database(db)
  try {
    const { config } = sqlite.prepare("SELECT config FROM runs WHERE run_id = ?").get(RUN) as { config: string }
    sqlite.prepare("UPDATE runs SET config = ? WHERE run_id = ?").run(JSON.stringify({ ...JSON.parse(config), headerJson }), RUN)
  } finally {
    sqlite.close()
  }
}

const instructionsNow = Effect.gen(function* () {
  const task = yield* taskOfEpisode(yield* loadEpisode(EPISODE))
  return task.user_scenario.instructions
})

describe("the task of an imported episode", () => {
  it("is the one embedded in the run's header, read again after the record changes (default and cached)", async () => {
    const db = await importedStore("FROM THE HEADER")
    const seen = await withStore(
      db,
      Effect.gen(function* () {
        const plain = yield* instructionsNow
        const cached = yield* instructionsNow.pipe(Effect.provide(importedTasksCache))
        return { plain, cached }
      }),
    )
    expect(seen).toEqual({ plain: "FROM THE HEADER", cached: "FROM THE HEADER" })
    expect(source.user_scenario.instructions).not.toBe("FROM THE HEADER")

    // One cache across the change: the second read sees the new header, not the cached tasks.
    const afterChange = await withStore(
      db,
      Effect.gen(function* () {
        const before = yield* instructionsNow
        yield* Effect.sync(() => setHeader(db, header("CHANGED")))
        const after = yield* instructionsNow
        return [before, after]
      }).pipe(Effect.provide(importedTasksCache)),
    )
    expect(afterChange).toEqual(["FROM THE HEADER", "CHANGED"])
  })

  it("falls back on the domain's task when the header does not embed it", async () => {
    const db = await importedStore("unused")
    setHeader(db, PyJson.compact({ tasks: [] }))
    expect(await withStore(db, instructionsNow)).toEqual(source.user_scenario.instructions)
  })

  it("a header that is not JSON is a StoreError naming the run", async () => {
    const db = await importedStore("unused")
    setHeader(db, "{ not json")
    const failure = await withStore(db, Effect.flip(instructionsNow))
    expect(failure._tag).toBe("StoreError")
    expect(failure.message).toContain(`run ${RUN}: the stored results header is not JSON`)
  })
})
