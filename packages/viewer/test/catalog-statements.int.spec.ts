/**
 * The SQLite catalog prepares its statements once: over many requests of the episodes list (each
 * shape of filters, sort and page asked before), an episode's branches and its lineage tree, no
 * statement is prepared again, neither by the catalog (a `db.prepare` per request) nor by SQLite
 * (a bare `?` its planner peeks at marks the statement to be re-prepared on every new binding,
 * and better-sqlite3 clears the bindings after each call). Counted on a real store file: the
 * catalog's `db.prepare` calls, and the row factories better-sqlite3 compiles, one each time a
 * statement returns rows for the first time after being prepared.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { type EpisodeEvent, Events, openSqliteStore } from "@tau-sim/engine"
import { rowFactoriesCompiled } from "@tau-sim/engine/testing"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { EPISODE_SORTS, type EpisodeQuery, openCatalog } from "../src/server/index.ts"

const dir = mkdtempSync(join(tmpdir(), "tau-viewer-statements-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const started = (runId: string, episodeId: string, trial: number, parent: { episodeId: string; seq: number } | null): EpisodeEvent =>
  Events.episodeStarted({
    runId,
    episodeId,
    domain: "demo",
    taskId: `task_${trial % 3}`,
    trial,
    hashes: { task: "a", policy: "b", data: "c" },
    dataDir: null,
    policyVariant: "default",
    mode: trial % 2 === 0 ? "default" : "no-user",
    agent: `agent_${trial % 2}`,
    user: "scripted",
    seed: trial,
    limits: { maxSteps: 200, maxErrors: 10 },
    engineVersion: "test",
    parent,
  })

/** `db.prepare` calls (by anyone: the catalog is the only database user here) while `body` runs. */
const preparesDuring = (body: () => void): number => {
  const original = Database.prototype.prepare
  let prepares = 0
  Database.prototype.prepare = function (this: Database.Database, ...args: Parameters<typeof original>) {
    prepares++
    return original.apply(this, args)
  } as typeof original
  try {
    body()
  } finally {
    Database.prototype.prepare = original
  }
  return prepares
}

describe("catalog statements", () => {
  const path = join(dir, "store.db")
  const run = <A>(e: Effect.Effect<A, unknown>) => Effect.runSync(e)
  beforeAll(() => {
    const handle = openSqliteStore(path)
    // Two runs of 12 episodes, every third with a tool error, scored 0 or 1; e0 has branches two deep.
    for (const runId of ["r0", "r1"]) {
      run(handle.store.putRun({ runId, createdAt: "t", config: { kind: "run", trials: 12 }, experiment: null }))
      for (let i = 0; i < 12; i++) {
        const episodeId = `${runId}_e${i}`
        run(
          handle.store.append(
            episodeId,
            0,
            [started(runId, episodeId, i, null), Events.episodeEnded({ reason: "agent_stop", steps: 1, errors: i % 3 === 0 ? 1 : 0, note: null })],
            {
              scores: [{ episodeId, evaluator: "tau2", evaluatorVersion: "1", reward: i % 4 === 0 ? 0 : 1, breakdown: {}, recordedAt: "t" }],
            },
          ),
        )
      }
    }
    const branch = (episodeId: string, parent: string) =>
      run(
        handle.store.append(episodeId, 0, [
          started("r0", episodeId, 0, { episodeId: parent, seq: 0 }),
          Events.episodeEnded({ reason: "user_stop", steps: 1, errors: 0, note: null }),
        ]),
      )
    branch("r0_e0_f1", "r0_e0")
    branch("r0_e0_f2", "r0_e0")
    branch("r0_e0_f1_f1", "r0_e0_f1")
    handle.close()
  })

  const page = (i: number): EpisodeQuery => ({ sort: "started", descending: false, offset: i % 20, limit: 5 + (i % 3) })
  /** The requests of the list, a run's page, its filters and sorts, branches and lineage; `i` varies every value. */
  const requests = (i: number): ReadonlyArray<(c: ReturnType<typeof openCatalog>) => unknown> => [
    (c) => c.episodes(page(i)),
    (c) => c.episodes({ ...page(i), run: `r${i % 2}` }),
    (c) => c.episodes({ ...page(i), sort: "reward", descending: true, rewardMin: (i % 2) / 2 }),
    (c) => c.episodes({ ...page(i), task: `task_${i % 3}`, termination: "agent_stop", status: "ended" }),
    (c) => c.episodes({ ...page(i), toolErrors: i % 2 === 0, agent: `agent_${i % 2}`, mode: "default" }),
    (c) => c.episodes({ ...page(i), scoredBy: i % 2 === 0 ? "tau2@1" : "tau2" }),
    (c) => c.children(["r0_e0", "r0_e0_f1"][i % 2]),
    (c) => c.tree(["r0_e0", "r0_e0_f1_f1", "r0_e0_f2", "r1_e3"][i % 4]),
  ]

  it("prepares no statement again over 40 rounds of the episodes list, its pages and filters, branches and lineage", () => {
    const catalog = openCatalog(path)
    try {
      const round = (i: number) => {
        for (const request of requests(i)) request(catalog)
      }
      // The first two rounds ask every shape (odd and even values differ in shape: with or without
      // tool errors, an evaluator with or without its version): its statements are prepared then.
      expect(
        rowFactoriesCompiled(() => [0, 1].forEach(round)),
        "row factories are compiled as this test counts them",
      ).toBeGreaterThan(0)
      let compiled = 0
      const prepares = preparesDuring(() => {
        compiled = rowFactoriesCompiled(() => {
          for (let i = 2; i < 42; i++) round(i)
        })
      })
      expect({ prepares, compiled }).toEqual({ prepares: 0, compiled: 0 })
      // The answers are those asked for: the lineage from any member of the family, parents first.
      expect(catalog.tree("r0_e0_f1_f1").map((e) => e.episode_id)).toEqual(["r0_e0", "r0_e0_f1", "r0_e0_f1_f1", "r0_e0_f2"])
      expect(catalog.children("r0_e0").map((e) => e.episode_id)).toEqual(["r0_e0_f1", "r0_e0_f2"])
      expect(catalog.episodes({ ...page(0), run: "r1", toolErrors: true, limit: 50 }).episodes.map((e) => e.episode_id)).toEqual([
        "r1_e0",
        "r1_e3",
        "r1_e6",
        "r1_e9",
      ])
    } finally {
      catalog.close()
    }
  })

  it("keeps a bounded number of query shapes and answers a shape let go the same when asked again", () => {
    const catalog = openCatalog(path)
    try {
      // 8 sorts × 2 directions × 5 filters: 80 shapes, more than are kept.
      const filters: ReadonlyArray<Partial<EpisodeQuery>> = [{}, { run: "r0" }, { toolErrors: true }, { rewardMax: 0 }, { task: "task_1", status: "ended" }]
      const shapes = filters.flatMap((f) => EPISODE_SORTS.flatMap((sort) => [false, true].map((descending) => ({ ...page(3), ...f, sort, descending }))))
      const first = shapes.map((q) => catalog.episodes(q))
      // The first shapes were let go: asking them again prepares them again, with the same answers.
      expect(preparesDuring(() => expect(shapes.map((q) => catalog.episodes(q))).toEqual(first))).toBeGreaterThan(0)
      expect(first[0].episodes.map((e) => e.episode_id)).toEqual(["r0_e3", "r0_e4", "r0_e5", "r0_e6", "r0_e7"])
    } finally {
      catalog.close()
    }
  })
})
