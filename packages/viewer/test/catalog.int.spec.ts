/**
 * The catalog over a real SQLite store written through the store's append API while the catalog
 * is open: a run with a running episode is interrupted until a process holds its lease, an
 * episode seen running gets its tool errors once it ends, a new run appears in the runs list
 * (whose cache holds only until something is appended or a lease changes), and a newer store schema
 * is refused with a message naming the file.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { type EpisodeEvent, Events, openSqliteStore } from "@tau-sim/engine"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { openCatalog } from "../src/server/index.ts"

const dir = mkdtempSync(join(tmpdir(), "tau-viewer-catalog-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const started = (runId: string, episodeId: string, agent: string): EpisodeEvent =>
  Events.episodeStarted({
    runId,
    episodeId,
    domain: "demo",
    taskId: "renew_loan",
    trial: 0,
    hashes: { task: "a", policy: "b", data: "c" },
    dataDir: null,
    policyVariant: "default",
    mode: "no-user",
    agent,
    user: "scripted",
    seed: 1,
    limits: { maxSteps: 200, maxErrors: 10 },
    engineVersion: "test",
    parent: null,
  })

const failedCall: EpisodeEvent[] = [
  Events.messageSent({ role: "agent", text: null, toolCalls: [{ id: "c1", name: "renew_loan", argumentsJson: '{"loan_id":"nope"}' }] }),
  Events.toolExecuted({
    callId: "c1",
    actor: "agent",
    name: "renew_loan",
    argumentsJson: '{"loan_id":"nope"}',
    output: "Error: no loan",
    error: true,
    patchJson: "[]",
  }),
]

describe("catalog", () => {
  it("follows a store that is written while it is open", () => {
    const path = join(dir, "live.db")
    const handle = openSqliteStore(path)
    const run = <A>(e: Effect.Effect<A, unknown>) => Effect.runSync(e)
    run(handle.store.putRun({ runId: "r1", createdAt: "t", config: { kind: "run", agent: "a1", mode: "no-user", trials: 1 }, experiment: null }))
    run(handle.store.append("e1", 0, [started("r1", "e1", "a1")]))
    const catalog = openCatalog(path)
    try {
      const page = () => catalog.episodes({ sort: "started", descending: false, offset: 0, limit: 50 })
      expect(page().episodes).toMatchObject([{ episode_id: "e1", status: "running", agent: "a1", mode: "no-user", tool_errors: null }])
      // Nobody works on it: interrupted; a process holding its lease: running.
      expect(catalog.runs()).toMatchObject([{ run_id: "r1", status: "interrupted", running: 1 }])
      const holder = { id: "h1", pid: process.pid, host: "here", acquiredAt: "t" }
      expect(run(handle.store.acquireLease("run:r1", holder, 60_000))).toEqual({ acquired: true })
      expect(catalog.runs()).toMatchObject([{ run_id: "r1", status: "running", running: 1 }])
      run(handle.store.releaseLease("run:r1", "h1"))
      expect(catalog.runs()).toMatchObject([{ run_id: "r1", status: "interrupted" }])

      run(handle.store.append("e1", 1, [...failedCall, Events.episodeEnded({ reason: "agent_stop", steps: 1, errors: 1, note: null })]))
      expect(page().episodes).toMatchObject([{ episode_id: "e1", status: "ended", tool_errors: 1 }])
      expect(catalog.episodes({ sort: "started", descending: false, offset: 0, limit: 50, toolErrors: true }).total).toBe(1)
      expect(catalog.runs()).toMatchObject([{ run_id: "r1", status: "done", running: 0, avg_reward: null }])

      run(handle.store.putRun({ runId: "r2", createdAt: "t", config: { kind: "run", agent: "a2", mode: "default", trials: 1 }, experiment: null }))
      run(handle.store.append("e2", 0, [started("r2", "e2", "a2"), Events.episodeEnded({ reason: "agent_stop", steps: 0, errors: 0, note: null })]))
      expect(catalog.runs().map((r) => r.run_id)).toEqual(["r1", "r2"])
      expect(catalog.episodes({ sort: "started", descending: false, offset: 0, limit: 50, agent: "a2" }).episodes.map((e) => e.episode_id)).toEqual(["e2"])
      expect(catalog.facets().agents).toEqual(["a1", "a2"])

      // Scores by evaluator version: a rescore with a new version is its own filter value.
      const score = (episodeId: string, version: string) =>
        run(handle.store.appendScore({ episodeId, evaluator: "tau2", evaluatorVersion: version, reward: 1, breakdown: {}, recordedAt: "t" }))
      score("e1", "1")
      score("e2", "1")
      score("e2", "2")
      expect(catalog.facets().evaluators).toEqual(["tau2@1", "tau2@2"])
      const scoredBy = (v: string) =>
        catalog.episodes({ sort: "started", descending: false, offset: 0, limit: 50, scoredBy: v }).episodes.map((e) => e.episode_id)
      expect(scoredBy("tau2@1")).toEqual(["e1", "e2"])
      expect(scoredBy("tau2@2")).toEqual(["e2"])
      expect(scoredBy("tau2")).toEqual(["e1", "e2"])
      expect(scoredBy("support-desk@1")).toEqual([])
      expect(catalog.runs().find((r) => r.run_id === "r2")).toMatchObject({ avg_reward: 1, pass_hat_ks: { 1: 1 } })

      // Cost: the recorded costs summed; a call of unknown price counted apart, never as 0.
      const call = (cost: number | null, hash: string, response: Record<string, unknown> = { text: "ok" }, error: string | null = null) =>
        Events.modelCalled({
          participant: "agent",
          provider: "openai",
          model: "m",
          request: { messages: [] },
          response,
          usage: { promptTokens: 10, completionTokens: 2 },
          cost,
          latencyMs: 5,
          attempt: 1,
          requestHash: hash,
          error,
        })
      run(handle.store.append("e3", 0, [started("r2", "e3", "a2"), call(0.25, "h1"), call(null, "h2"), call(0.5, "h3")]))
      expect(catalog.runs().find((r) => r.run_id === "r2")).toMatchObject({
        cost: 0.75,
        model_calls: 3,
        unpriced_calls: 1,
        cost_text: "≥ $0.7500 (1 call unpriced)",
      })
      // The engine's callCost: an old successful call recorded at 0 with `pricing: null` had no price
      // (not $0); a cached answer and a failed attempt with it cost 0.
      run(handle.store.putRun({ runId: "r3", createdAt: "t", config: { kind: "run", agent: "a3", mode: "default", trials: 1 }, experiment: null }))
      run(
        handle.store.append("e4", 0, [
          started("r3", "e4", "a3"),
          call(0, "h4", { text: "ok", pricing: null }),
          call(0, "h5", { text: "ok", pricing: null, cached: true }),
          call(0, "h6", { pricing: null }, "timeout"),
        ]),
      )
      expect(catalog.runs().find((r) => r.run_id === "r3")).toMatchObject({
        cost: 0,
        model_calls: 3,
        unpriced_calls: 1,
        cost_text: "unknown (1 call unpriced)",
      })
      run(handle.store.putRun({ runId: "r4", createdAt: "t", config: { kind: "run", agent: "a3", mode: "default", trials: 1 }, experiment: null }))
      run(handle.store.append("e5", 0, [started("r4", "e5", "a3"), call(0.125, "h7"), call(0, "h8", { text: "ok", pricing: { input: 1 } })]))
      expect(catalog.runs().find((r) => r.run_id === "r4")).toMatchObject({ unpriced_calls: 0, cost_text: "$0.1250" })
    } finally {
      catalog.close()
      handle.close()
    }
  })

  it("refuses a store of another schema version, naming it", () => {
    const path = join(dir, "newer.db")
    openSqliteStore(path).close()
    const raw = new Database(path)
    raw.pragma("user_version = 999")
    raw.close()
    expect(() => openCatalog(path)).toThrow(`event store ${path} has schema version 999`)
    expect(() => openCatalog(join(dir, "missing.db"))).toThrow(/cannot open event store .*missing\.db/)
  })
})
