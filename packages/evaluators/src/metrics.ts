/**
 * Agent metrics over a set of simulations (semantics §5.7, reference `metrics/agent_metrics.py`).
 *
 * - Simulations ended by `infrastructure_error` never ran and are left out of everything.
 * - Success ⇔ |reward − 1| ≤ 1e-6.
 * - `avg_reward` is the mean over simulations (not per task).
 * - max_k = min(num_trials, fewest simulations any task has); pass^k for k = 1..max_k is the
 *   mean over tasks of C(c, k) / C(n, k) with n simulations and c successes of the task.
 *
 * Means are summed like numpy (pairwise) so that they agree with the reference to the last bit for
 * the same order of values.
 */

import { Result, Schema } from "effect"

export const INFRASTRUCTURE_ERROR = "infrastructure_error"

export interface SimulationOutcome {
  readonly task_id: string
  /** Null when the simulation has no reward (ignored by the mean, counted as a failure). */
  readonly reward: number | null
  readonly termination_reason: string
  readonly agent_cost?: number | null
}

export const isSuccessful = (reward: number): boolean => 1 - 1e-6 <= reward && reward <= 1 + 1e-6

/** pass^k asked for more trials than a task has (the reference raises `ValueError`). */
export class PassHatKError extends Schema.TaggedError<PassHatKError>()("PassHatKError", {
  numTrials: Schema.Int,
  k: Schema.Int,
}) {
  override get message(): string {
    return `Number of trials ${this.numTrials} is less than k ${this.k}.`
  }
}

const comb = (n: number, k: number): bigint => {
  if (k < 0 || k > n) return 0n
  let r = 1n
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i)
  return r
}

/** Python `a / b` on ints: the correctly rounded quotient. */
const trueDivide = (a: bigint, b: bigint): number => {
  const limit = 2n ** 53n
  if (a <= limit && b <= limit) return Number(a) / Number(b)
  // Scale so the integer quotient carries ≥ 64 significant bits, then round once.
  const shift = BigInt(Math.max(0, 64 - (a.toString(2).length - b.toString(2).length)))
  const scaled = a << shift
  let q = scaled / b
  // A sticky low bit keeps the single rounding of Number() correct when the division was inexact.
  if (q * b !== scaled) q |= 1n
  return Number(q) / 2 ** Number(shift)
}

/** C(c, k) / C(n, k) for k ≤ n. */
const estimate = (numTrials: number, successCount: number, k: number): number => trueDivide(comb(successCount, k), comb(numTrials, k))

/** pass^k of one task: C(c, k) / C(n, k); fails when k > n, where the reference raises. */
export const passHatKEstimate = (numTrials: number, successCount: number, k: number): Result.Result<number, PassHatKError> =>
  numTrials < k ? Result.fail(new PassHatKError({ numTrials, k })) : Result.succeed(estimate(numTrials, successCount, k))

/** numpy's pairwise summation of a float64 array (`np.add.reduce`). */
export const pairwiseSum = (xs: ReadonlyArray<number>, start = 0, n = xs.length): number => {
  if (n < 8) {
    let s = 0
    for (let i = 0; i < n; i++) s += xs[start + i]
    return s
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => xs[start + j])
    let i = 8
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += xs[start + i + j]
    let s = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]))
    for (; i < n; i++) s += xs[start + i]
    return s
  }
  let n2 = Math.floor(n / 2)
  n2 -= n2 % 8
  return pairwiseSum(xs, start, n2) + pairwiseSum(xs, start + n2, n - n2)
}

/** pandas `Series.mean()`: nulls skipped; null when nothing is left. */
export const mean = (xs: ReadonlyArray<number | null | undefined>): number | null => {
  const vals = xs.filter((x): x is number => x !== null && x !== undefined && !Number.isNaN(x))
  return vals.length === 0 ? null : pairwiseSum(vals) / vals.length
}

export interface TaskPassHatK {
  readonly task_id: string
  readonly num_simulations: number
  readonly num_successes: number
  /** pass^k for k = 1..max_k. */
  readonly pass_hat_ks: Readonly<Record<number, number>>
}

export interface AgentMetrics {
  readonly avg_reward: number
  readonly pass_hat_ks: Readonly<Record<number, number>>
  readonly avg_agent_cost: number | null
  readonly max_k: number
  readonly total_simulations: number
  readonly total_tasks: number
  readonly infra_error_count: number
  /** Per-task table, tasks in id order. */
  readonly tasks: ReadonlyArray<TaskPassHatK>
}

export interface MetricsOptions {
  /** The run's configured number of trials (`info.num_trials`). */
  readonly numTrials: number
}

const evaluated = (sims: ReadonlyArray<SimulationOutcome>) => sims.filter((s) => s.termination_reason !== INFRASTRUCTURE_ERROR)

/** max_k: the configured trial count, lowered to the fewest simulations of any task present. */
export const maxK = (sims: ReadonlyArray<SimulationOutcome>, options: MetricsOptions): number => {
  const counts = new Map<string, number>()
  for (const s of evaluated(sims)) counts.set(s.task_id, (counts.get(s.task_id) ?? 0) + 1)
  if (counts.size === 0) return 0
  return Math.min(options.numTrials, ...counts.values())
}

/** Per-task pass^k table for k = 1..max_k. */
export const taskPassHatKs = (sims: ReadonlyArray<SimulationOutcome>, options: MetricsOptions): TaskPassHatK[] => {
  const k = maxK(sims, options)
  const byTask = new Map<string, { n: number; c: number }>()
  for (const s of evaluated(sims)) {
    const t = byTask.get(s.task_id) ?? { n: 0, c: 0 }
    t.n++
    if (s.reward !== null && isSuccessful(s.reward)) t.c++
    byTask.set(s.task_id, t)
  }
  return [...byTask.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([task_id, { n, c }]) => {
      const ks: Record<number, number> = {}
      // k ≤ max_k ≤ n here: every task has at least max_k simulations.
      for (let j = 1; j <= k; j++) ks[j] = estimate(n, c, j)
      return { task_id, num_simulations: n, num_successes: c, pass_hat_ks: ks }
    })
}

/** pass^k for k = 1..max_k, averaged over the tasks present. */
export const passHatK = (sims: ReadonlyArray<SimulationOutcome>, options: MetricsOptions): Record<number, number> => {
  const tasks = taskPassHatKs(sims, options)
  const out: Record<number, number> = {}
  const k = maxK(sims, options)
  for (let j = 1; j <= k; j++) out[j] = mean(tasks.map((t) => t.pass_hat_ks[j])) as number
  return out
}

export const computeMetrics = (sims: ReadonlyArray<SimulationOutcome>, options: MetricsOptions): AgentMetrics => {
  const kept = evaluated(sims)
  const infra_error_count = sims.length - kept.length
  if (kept.length === 0)
    return { avg_reward: 0, pass_hat_ks: {}, avg_agent_cost: 0, max_k: 0, total_simulations: 0, total_tasks: 0, infra_error_count, tasks: [] }
  const tasks = taskPassHatKs(kept, options)
  return {
    avg_reward: mean(kept.map((s) => s.reward)) ?? 0,
    pass_hat_ks: passHatK(kept, options),
    avg_agent_cost: mean(kept.map((s) => s.agent_cost ?? null)),
    max_k: maxK(kept, options),
    total_simulations: kept.length,
    total_tasks: tasks.length,
    infra_error_count,
    tasks,
  }
}
