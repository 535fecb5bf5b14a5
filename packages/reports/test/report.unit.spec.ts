/**
 * Report numbers against values computed by hand from hand-made runs.
 *
 * Experiment "hand", domain mock, tasks t1 and t2, 3 trials:
 *   run A (default):  t1 rewards 1, 1, 0     t2 rewards 1, 0, 0
 *   run B (no-user):  t1 rewards 1, 1, 1     t2 rewards 0, 0.5, and an infrastructure error
 * A: avg reward 3/6; pass^1 = (2/3 + 1/3)/2 = 1/2; pass^2 = (C(2,2)/C(3,2) + 0)/2 = 1/6; pass^3 = 0.
 * B: the infrastructure error is dropped, so t2 has 2 simulations and max_k = min(3, 2) = 2;
 *    avg reward = 3.5/5 = 0.7; pass^1 = (1 + 0)/2; pass^2 = (1 + 0)/2 (0.5 is not a success).
 * Δ B − A, per task: reward t1 1 − 2/3 = 1/3, t2 1/4 − 1/3 = −1/12 → mean 1/8;
 *    success rate t1 1 − 2/3 = 1/3, t2 0 − 1/3 = −1/3 → mean 0.
 *    Bootstrapping two tasks gives means {both t1, one each, both t2} with probabilities
 *    1/4, 1/2, 1/4, so the 95% interval is [the t2 value, the t1 value].
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { buildReport, collectExperiment, loadReport, renderJson, renderMarkdown, renderText } from "../src/index.ts"
import { type HandEpisode, type HandRun, withHandStore } from "./fixtures.ts"

const call = (participant: "agent" | "user", prompt: number, completion: number, cost: number) => ({ participant, prompt, completion, cost })

const aEpisode = (task: string, trial: number, reward: number, reason: HandEpisode["reason"] = "user_stop"): HandEpisode => ({
  task,
  trial,
  reward,
  reason,
  breakdown: {
    reward,
    reward_breakdown: { DB: reward, COMMUNICATE: 1.0 },
    db_check: { db_match: reward === 1, db_reward: reward },
    communicate_checks: [{ info: "x", met: true, justification: "" }],
  },
  // One agent call and two user calls per episode.
  modelCalls: [call("agent", 100, 10, 0.01), call("user", 50, 5, 0.002), call("user", 50, 5, 0.002)],
})

const bEpisode = (task: string, trial: number, reward: number, reason: HandEpisode["reason"] = "agent_stop"): HandEpisode => ({
  task,
  trial,
  reward,
  reason,
  breakdown: { reward, reward_breakdown: { DB: reward }, action_checks: [{ action_match: reward === 1 }, { action_match: true }] },
})

export const runA: HandRun = {
  runId: "hand.A",
  domain: "mock",
  mode: "default",
  agent: "openai:m",
  user: "openai:u",
  trials: 3,
  taskIds: ["t1", "t2"],
  experiment: "hand",
  cellIndex: 0,
  episodes: [aEpisode("t1", 0, 1), aEpisode("t1", 1, 1), aEpisode("t1", 2, 0, "max_steps"), aEpisode("t2", 0, 1), aEpisode("t2", 1, 0), aEpisode("t2", 2, 0)],
}

export const runB: HandRun = {
  runId: "hand.B",
  domain: "mock",
  mode: "no-user",
  agent: "openai:m",
  user: "none",
  trials: 3,
  taskIds: ["t1", "t2"],
  experiment: "hand",
  cellIndex: 1,
  episodes: [
    bEpisode("t1", 0, 1),
    bEpisode("t1", 1, 1),
    bEpisode("t1", 2, 1),
    bEpisode("t2", 0, 0),
    bEpisode("t2", 1, 0.5),
    bEpisode("t2", 2, 0, "infrastructure_error"),
  ],
}

/** A run of another experiment, and an unfinished episode outside the configured trials: neither may leak in. */
const other: HandRun = { ...runA, runId: "other.A", experiment: "other", cellIndex: 0 }
const withStray: HandRun = { ...runA, episodes: [...runA.episodes, { task: "t1", trial: 3, reward: 1 }] }

const experimentReport = () => withHandStore([withStray, runB, other], loadReport({ experiment: "hand" }))

describe("report numbers", () => {
  it("pass^k, average reward and max_k follow the reference estimator", async () => {
    const report = await experimentReport()
    expect(report.cells.map((c) => c.run_id)).toEqual(["hand.A", "hand.B"])
    const [a, b] = report.cells
    expect(a.avg_reward).toBeCloseTo(0.5, 12)
    expect(a.max_k).toBe(3)
    expect(a.pass_hat_k[1]).toBeCloseTo(0.5, 12)
    expect(a.pass_hat_k[2]).toBeCloseTo(1 / 6, 12)
    expect(a.pass_hat_k[3]).toBe(0)
    expect(b.avg_reward).toBeCloseTo(0.7, 12)
    expect(b.max_k).toBe(2)
    expect(b.pass_hat_k).toEqual({ 1: 0.5, 2: 0.5 })
    expect(b.infra_errors).toBe(1)
    expect(a.episodes).toEqual({ total: 6, finished: 6, unfinished: 0, unscored: 0 })
  })

  it("per-task rows, termination reasons, components, checks and usage", async () => {
    const [a, b] = (await experimentReport()).cells
    expect(a.tasks.map((t) => [t.task_id, t.successes, t.simulations])).toEqual([
      ["t1", 2, 3],
      ["t2", 1, 3],
    ])
    expect(a.tasks[0].avg_reward).toBeCloseTo(2 / 3, 12)
    expect(a.tasks[0].pass_hat_k[2]).toBeCloseTo(1 / 3, 12)
    expect(b.tasks[1].avg_reward).toBeCloseTo(0.25, 12)
    expect(a.termination_reasons).toEqual({ max_steps: 1, user_stop: 5 })
    expect(b.termination_reasons).toEqual({ agent_stop: 5, infrastructure_error: 1 })
    expect(a.reward_components.DB).toEqual({ mean: 0.5, episodes: 6 })
    expect(a.reward_components.COMMUNICATE).toEqual({ mean: 1, episodes: 6 })
    expect(a.checks).toEqual({ db_match: { passed: 3, total: 6 }, communicate: { passed: 6, total: 6 } })
    // B: the infrastructure error is not evaluated: 5 episodes, DB mean 3.5 / 5; 2 action checks each.
    expect(b.reward_components.DB.mean).toBeCloseTo(0.7, 12)
    expect(b.checks).toEqual({ actions: { passed: 8, total: 10 } })
    expect(a.usage.agent).toEqual({ calls: 6, prompt_tokens: 600, completion_tokens: 60, cost: expect.closeTo(0.06, 12) })
    expect(a.usage.user).toEqual({ calls: 12, prompt_tokens: 600, completion_tokens: 60, cost: expect.closeTo(0.024, 12) })
    expect(b.usage.agent).toEqual({ calls: 0, prompt_tokens: 0, completion_tokens: 0, cost: 0 })
  })

  it("mode deltas are paired over tasks with bootstrap intervals", async () => {
    const report = await experimentReport()
    expect(report.baseline_mode).toBe("default")
    expect(report.deltas).toHaveLength(1)
    const d = report.deltas[0]
    expect([d.mode, d.baseline_mode, d.tasks, d.baseline_user, d.user]).toEqual(["no-user", "default", 2, "openai:u", "none"])
    expect(d.avg_reward.baseline).toBeCloseTo(0.5, 12)
    expect(d.avg_reward.value).toBeCloseTo(0.625, 12)
    expect(d.avg_reward.delta.estimate).toBeCloseTo(1 / 8, 12)
    expect(d.avg_reward.delta.low).toBeCloseTo(-1 / 12, 12)
    expect(d.avg_reward.delta.high).toBeCloseTo(1 / 3, 12)
    expect(d.pass_hat_1.delta.estimate).toBeCloseTo(0, 12)
    expect(d.pass_hat_1.delta.low).toBeCloseTo(-1 / 3, 12)
    expect(d.pass_hat_1.delta.high).toBeCloseTo(1 / 3, 12)
  })

  it("a single run has no deltas; the experiment's runs are found by name only", async () => {
    const single = await withHandStore([runA, other], loadReport({ run: "hand.A" }))
    expect(single.kind).toBe("run")
    expect(single.deltas).toEqual([])
    expect(single.baseline_mode).toBeNull()
    const runs = await withHandStore([runA, runB, other], collectExperiment("hand"))
    expect(runs.map((r) => r.run.runId)).toEqual(["hand.A", "hand.B"])
    const missing = await withHandStore([runA], Effect.flip(loadReport({ experiment: "nope" })))
    expect(missing.message).toContain("no runs of experiment nope")
  })

  it("unfinished episodes are counted but not scored into metrics", async () => {
    const partial: HandRun = {
      ...runA,
      runId: "p",
      experiment: null,
      episodes: [...runA.episodes.slice(0, 5), { task: "t2", trial: 2, reward: 0, running: true }],
    }
    const report = await withHandStore([partial], loadReport({ run: "p" }))
    const c = report.cells[0]
    expect(c.episodes).toEqual({ total: 6, finished: 5, unfinished: 1, unscored: 0 })
    // t2 has 2 finished simulations: max_k = 2; avg reward = 3/5.
    expect(c.max_k).toBe(2)
    expect(c.avg_reward).toBeCloseTo(0.6, 12)
  })

  it("Markdown, text and JSON show the same numbers", async () => {
    const report = await experimentReport()
    const md = renderMarkdown(report)
    expect(md).toContain("# Experiment hand")
    expect(md).toContain("| hand.A | mock | default | openai:m | openai:u | 6 | 2 | 0.500 | 0.500 | 0.167 | 0.000 |")
    expect(md).toContain("| hand.B | mock | no-user | openai:m | none | 6 | 2 | 0.700 | 0.500 | 0.500 | - |")
    expect(md).toContain("| mock | openai:m | no-user | openai:u | 2 | 0.500 → 0.625 | +0.125 [-0.083, 0.333] | 0.500 → 0.500 | 0.000 [-0.333, 0.333] |")
    expect(md).toContain("| hand.A | agent | 6 | 600 | 60 | $0.0600 |")
    expect(md).toContain("| hand.A | t1 | 2/3 | 0.667 | 0.667 0.333 0.000 |")
    const text = renderText(report)
    expect(text).toContain("+0.125 [-0.083, 0.333]")
    const json = JSON.parse(renderJson(report))
    expect(json.cells[1].pass_hat_k).toEqual({ 1: 0.5, 2: 0.5 })
    expect(json.deltas[0].avg_reward.delta.estimate).toBeCloseTo(0.125, 12)
  })

  it("the same store gives the same report (seeded bootstrap); another seed may move only the intervals", async () => {
    const runs = await withHandStore([runA, runB], collectExperiment("hand"))
    const one = renderJson(buildReport(runs, { kind: "experiment", title: "hand" }))
    const two = renderJson(buildReport(runs, { kind: "experiment", title: "hand" }))
    expect(one).toBe(two)
    const reseeded = buildReport(runs, { kind: "experiment", title: "hand", bootstrap: { resamples: 500, seed: 7, confidence: 0.9 } })
    expect(reseeded.deltas[0].avg_reward.delta.estimate).toBeCloseTo(1 / 8, 12)
  })
})
