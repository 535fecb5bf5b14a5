import { Result } from "effect"
import { describe, expect, it } from "vitest"
import {
  computeMetrics,
  isSuccessful,
  maxK,
  mean,
  pairwiseSum,
  PassHatKError,
  passHatK,
  passHatKEstimate as passHatKEstimateResult,
  type SimulationOutcome,
  taskPassHatKs,
} from "../src/index.ts"

/** The estimate, or its PassHatKError thrown (as the reference raises). */
const passHatKEstimate = (numTrials: number, successCount: number, k: number) => Result.getOrThrow(passHatKEstimateResult(numTrials, successCount, k))

const sim = (task_id: string, reward: number | null, termination_reason = "user_stop", agent_cost: number | null = null): SimulationOutcome => ({
  task_id,
  reward,
  termination_reason,
  agent_cost,
})

describe("pass^k of one task", () => {
  it("is C(c,k)/C(n,k)", () => {
    expect(passHatKEstimate(4, 2, 1)).toBe(0.5)
    expect(passHatKEstimate(4, 2, 2)).toBe(1 / 6) // C(2,2)=1, C(4,2)=6
    expect(passHatKEstimate(5, 4, 3)).toBe(4 / 10) // C(4,3)=4, C(5,3)=10
    expect(passHatKEstimate(4, 4, 4)).toBe(1)
  })

  it("is 0 when there are fewer successes than k, and for all failures", () => {
    expect(passHatKEstimate(4, 2, 3)).toBe(0)
    expect(passHatKEstimate(3, 0, 1)).toBe(0)
  })

  it("raises when k exceeds the number of trials", () => {
    expect(() => passHatKEstimate(2, 2, 3)).toThrow(PassHatKError)
    expect(() => passHatKEstimate(2, 2, 3)).toThrow("Number of trials 2 is less than k 3.")
  })

  it("stays exact for large trial counts", () => {
    // C(60,30)/C(70,30): both exceed 2^53; exact ratio 60!40!/(70!30!) ≈ 0.000166...
    const got = passHatKEstimate(70, 60, 30)
    let ratio = 1
    for (let i = 0; i < 30; i++) ratio *= (60 - i) / (70 - i)
    expect(got).toBeCloseTo(ratio, 15)
  })
})

describe("success and means", () => {
  it("counts rewards within 1e-6 of 1 as successes", () => {
    expect(isSuccessful(1)).toBe(true)
    expect(isSuccessful(0.9999995)).toBe(true)
    expect(isSuccessful(1.0000009)).toBe(true)
    expect(isSuccessful(0.999998)).toBe(false)
    expect(isSuccessful(0)).toBe(false)
  })

  it("sums like numpy (pairwise), not left to right", () => {
    const tenths = Array(10).fill(0.1)
    expect(tenths.reduce((a, b) => a + b, 0)).toBe(0.9999999999999999)
    expect(pairwiseSum(tenths)).toBe(1) // numpy: np.array([0.1]*10).sum() == 1.0
    expect(mean(tenths)).toBe(0.1)
    expect(mean([null, 1, 0])).toBe(0.5)
    expect(mean([])).toBeNull()
  })
})

describe("run metrics", () => {
  // Task A: 3 sims, 2 successes; task B: 3 sims, 3 successes.
  const sims = [sim("A", 1, "user_stop", 0.1), sim("A", 0), sim("A", 1), sim("B", 1), sim("B", 1.0000001), sim("B", 1, "agent_stop", 0.3)]

  it("averages pass^k over tasks for k = 1..max_k", () => {
    const ks = passHatK(sims, { numTrials: 3 })
    expect(Object.keys(ks)).toEqual(["1", "2", "3"])
    expect(ks[1]).toBeCloseTo((2 / 3 + 1) / 2, 15)
    expect(ks[2]).toBeCloseTo((1 / 3 + 1) / 2, 15)
    expect(ks[3]).toBe(0.5)
  })

  it("lowers max_k to the fewest simulations of any task", () => {
    const fewer = [...sims.slice(0, 3), sim("B", 1), sim("B", 1)]
    expect(maxK(fewer, { numTrials: 3 })).toBe(2)
    expect(Object.keys(passHatK(fewer, { numTrials: 3 }))).toEqual(["1", "2"])
    expect(maxK(sims, { numTrials: 2 })).toBe(2)
  })

  it("leaves infrastructure errors out of everything", () => {
    const withInfra = [...sims, sim("A", null, "infrastructure_error"), sim("C", null, "infrastructure_error")]
    const m = computeMetrics(withInfra, { numTrials: 3 })
    expect(m.infra_error_count).toBe(2)
    expect(m.total_simulations).toBe(6)
    expect(m.total_tasks).toBe(2)
    expect(m.max_k).toBe(3)
    expect(m.avg_reward).toBeCloseTo(5.0000001 / 6, 15)
    expect(m.avg_agent_cost).toBeCloseTo(0.2, 15)
    expect(m.tasks.map((t) => [t.task_id, t.num_simulations, t.num_successes])).toEqual([
      ["A", 3, 2],
      ["B", 3, 3],
    ])
  })

  it("counts premature terminations (reward 0) but not infrastructure errors", () => {
    const m = computeMetrics([sim("A", 1), sim("A", 0, "max_steps")], { numTrials: 2 })
    expect(m.avg_reward).toBe(0.5)
    expect(m.pass_hat_ks).toEqual({ 1: 0.5, 2: 0 })
  })

  it("gives all-failure runs pass^k = 0 and empty runs nothing", () => {
    expect(passHatK([sim("A", 0), sim("A", 0), sim("B", 0), sim("B", 0)], { numTrials: 2 })).toEqual({ 1: 0, 2: 0 })
    expect(computeMetrics([sim("A", null, "infrastructure_error")], { numTrials: 1 })).toMatchObject({
      avg_reward: 0,
      pass_hat_ks: {},
      total_simulations: 0,
      infra_error_count: 1,
    })
  })

  it("lists the per-task table in task-id order", () => {
    expect(taskPassHatKs([sim("b", 1), sim("a", 0)], { numTrials: 1 })).toEqual([
      { task_id: "a", num_simulations: 1, num_successes: 0, pass_hat_ks: { 1: 0 } },
      { task_id: "b", num_simulations: 1, num_successes: 1, pass_hat_ks: { 1: 1 } },
    ])
  })
})
