/**
 * `tau critical --budget-usd`, through the real CLI against the models package's local
 * OpenAI-compatible server (demo brain) with a price given for its model: the analysis stops
 * starting samples once they cost the budget (one at a time here, so it stops at the first sample
 * that reaches it), records the budget so that `tau run --resume` keeps it, and refuses a budget
 * over a model without a price before anything runs.
 */
import type { ModelCalled } from "@tau-sim/engine"
import { demoBrain, type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, readStore, storedRun, tau, tempDir } from "./tau.ts"
import { Effect } from "effect"

const tmp = tempDir("critical-budget")
let server: FakeLlmServer
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: demoBrain })
})
afterAll(async () => {
  await server.close()
  tmp.dispose()
})

const model = () => `compat:demo-model@${server.baseURL}`
/** USD per million input and output tokens: a call costs cents, so a budget falls between samples. */
const PRICE = ["--price", "demo-model=2000,8000"]

interface Analysis {
  readonly run_id: string
  readonly turns: ReadonlyArray<{ readonly turn: number; readonly samples: number }>
  readonly planned: number
  readonly finished: number
  readonly stopped_by: string | null
  readonly cost: number | null
  readonly budget_usd: number | null
}

/** The first six live turns are enough to fall between (and keep the test short). */
const TURNS = ["--turns", "1..6"]

const critical = async (db: string, episode: string, ...args: string[]) => {
  const result = await tau(["critical", episode, "--json", "--max-concurrency", "1", "--db", db, ...TURNS, ...PRICE, ...args], tmp.root)
  expect(result.stderr).not.toContain("error:")
  expect(result.code).toBe(0)
  // The samples this invocation ran, in the order they finished (one at a time: the order they started).
  const ran = [...result.stderr.matchAll(/^\[\d+\/\d+\] turn \d+ sample \d+: .*\((ep_[0-9a-f]+)\)$/gm)].map((m) => m[1])
  return { ...(jsonLines(result.stdout)[0] as unknown as Analysis), ran }
}

/** What each sample's own model calls cost, by episode id. */
const sampleCosts = async (db: string, runId: string): Promise<Map<string, number>> => {
  const { rows, events } = await storedRun(db, runId)
  return new Map(
    rows.map((r) => [
      r.episodeId,
      events[r.episodeId].flatMap((e) => (e.event._tag === "ModelCalled" ? [(e.event as ModelCalled).cost as number] : [])).reduce((a, b) => a + b, 0),
    ]),
  )
}

describe("tau critical --budget-usd", () => {
  const db = tmp.db()
  let episode = ""

  beforeAll(async () => {
    const run = await tau(
      ["run", "--domain", "demo", "--task-ids", "renew_loan", "--trials", "1", "--agent", model(), "--run-id", "parent", "--json", "--db", db, ...PRICE],
      tmp.root,
    )
    expect(run.code, run.stderr).toBe(0)
    episode = String(jsonLines(run.stdout)[0].episode_id)
  }, 120_000)

  it("stops starting samples once they cost the budget, and a resume keeps the budget", async () => {
    // One sample a turn, unbudgeted: what a round costs (the model answers the same prefix the same way, whatever the seed).
    const round = await critical(db, episode, "--samples", "1")
    expect(round.cost).toBeGreaterThan(0)
    const perRound = round.cost as number
    // Two samples a turn on a budget of one and a half rounds: the second round stops in its middle.
    const budget = Number((1.5 * perRound).toFixed(6))
    const analysis = await critical(db, episode, "--samples", "2", "--budget-usd", String(budget))
    const turns = analysis.turns.length
    expect(analysis.stopped_by).toBe("budget-usd")
    expect(analysis.budget_usd).toBe(budget)
    expect(analysis.finished).toBeGreaterThan(turns)
    expect(analysis.finished).toBeLessThan(2 * turns)

    // At the limit: what was spent reaches the budget, and did not before the last sample started.
    const costs = await sampleCosts(db, analysis.run_id)
    expect(costs.size).toBe(analysis.finished)
    const spent = [...costs.values()].reduce((a, b) => a + b, 0)
    expect(analysis.cost).toBeCloseTo(spent, 12)
    expect(spent).toBeGreaterThanOrEqual(budget)
    const last = analysis.ran.at(-1) as string
    expect(analysis.ran.length).toBe(analysis.finished)
    expect(spent - (costs.get(last) as number)).toBeLessThan(budget)

    // Recorded with the analysis: a resume starts nothing (the budget is spent), the text says why it stopped.
    const config = await readStore(db, ({ store }) => Effect.runPromise(store.getRun(analysis.run_id)))
    expect(config?.config.budget_usd).toBe(budget)
    const resumed = await tau(["run", "--resume", analysis.run_id, "--json", "--db", db, ...PRICE], tmp.root)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect((await storedRun(db, analysis.run_id)).rows.length).toBe(analysis.finished)
    const text = await tau(["critical", episode, "--samples", "2", "--budget-usd", String(budget), "--db", db, ...TURNS, ...PRICE], tmp.root)
    expect(text.stdout).toContain(`${analysis.finished} of ${2 * turns} samples taken (the $${budget} budget)`)
    expect(text.stdout).toMatch(/samples' model calls cost \$\d+\.\d{4} \(budget \$/)
    // A larger budget continues the same analysis.
    const more = await critical(db, episode, "--samples", "2", "--budget-usd", String(10 * perRound))
    expect(more.run_id).toBe(analysis.run_id)
    expect(more.finished).toBe(2 * turns)
    expect(more.stopped_by).toBeNull()
  }, 300_000)

  it("refuses a budget over a model without a price, before anything runs", async () => {
    const before = await readStore(db, ({ store }) => Effect.runPromise(store.listRuns()))
    const result = await tau(["critical", episode, "--samples", "3", "--budget-usd", "1", "--db", db], tmp.root)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--budget-usd needs a price for every model the samples call; none for demo-model")
    expect((await readStore(db, ({ store }) => Effect.runPromise(store.listRuns()))).length).toBe(before.length)
  }, 120_000)
})
