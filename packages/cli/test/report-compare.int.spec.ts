/**
 * `tau report --run A --run B …` (issue 14 item 1): the comparison's numbers worked out here from
 * the stored rows (per-task means, C(c,k)/C(n,k), a paired bootstrap over tasks written anew with
 * the reports' seeded generator), the same bytes for the same seed, errored episodes left out
 * (not reward 0), and the comparison in the text and HTML reports.
 */
import { seededRandom } from "@tau-sim/reports"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type StoredRun, storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("report-compare")
afterAll(tmp.dispose)
const db = tmp.db()

const choose = (n: number, k: number): number => (k < 0 || k > n ? 0 : Array.from({ length: k }, (_, i) => (n - i) / (k - i)).reduce((a, b) => a * b, 1))

/** Per task of a run: n, successes, mean reward (errored episodes left out). */
const tasksOf = (run: StoredRun) => {
  const out = new Map<string, { n: number; c: number; sum: number }>()
  for (const r of run.rows.filter((x) => x.status === "ended" && x.terminationReason !== "infrastructure_error")) {
    const t = out.get(r.taskId) ?? { n: 0, c: 0, sum: 0 }
    t.n++
    t.sum += r.reward ?? 0
    if (r.reward === 1) t.c++
    out.set(r.taskId, t)
  }
  return out
}

/** The percentile bootstrap of the mean of `values` (numpy's linear quantile), tasks resampled. */
const bootstrap = (values: number[], resamples: number, seed: number) => {
  const random = seededRandom(seed)
  const means: number[] = []
  for (let r = 0; r < resamples; r++) {
    let sum = 0
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)]
    means.push(sum / values.length)
  }
  means.sort((a, b) => a - b)
  const q = (p: number) => {
    const h = (means.length - 1) * p
    const lo = Math.floor(h)
    return means[lo] + (h - lo) * (means[Math.min(lo + 1, means.length - 1)] - means[lo])
  }
  return { estimate: values.reduce((a, b) => a + b, 0) / values.length, low: q(0.025), high: q(0.975) }
}

describe("tau report --run A --run B", () => {
  beforeAll(async () => {
    for (const args of [
      ["--trials", "3", "--run-id", "base"],
      ["--agent", "noisy-oracle:0.4", "--trials", "3", "--run-id", "noisy"],
      ["--task-ids", "renew_loan", "--agent", "compat:down@http://127.0.0.1:1/v1", "--model-retries", "0", "--run-id", "down"],
    ])
      await tau(["run", "--domain", "demo", ...args, "--db", db], tmp.root)
  }, 120_000)

  it("gives the per-task paired differences and their bootstrap intervals, and the same numbers again", async () => {
    const args = ["report", "--run", "base", "--run", "noisy", "--run", "down", "--bootstrap-resamples", "500", "--bootstrap-seed", "7", "--db", db, "--json"]
    const r = await tau(args, tmp.root)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(1)
    const { comparison } = JSON.parse(r.stdout)
    const [base, noisy] = [tasksOf(await storedRun(db, "base")), tasksOf(await storedRun(db, "noisy"))]
    const shared = [...base.keys()].filter((t) => noisy.has(t)).sort()
    const pairs = shared.map((t) => [base.get(t), noisy.get(t)] as const) as Array<
      readonly [{ n: number; c: number; sum: number }, { n: number; c: number; sum: number }]
    >
    const [delta, down] = comparison.deltas
    expect(delta).toMatchObject({ baseline_run_id: "base", run_id: "noisy", shared_tasks: shared.length })
    const rewardDiffs = pairs.map(([a, b]) => b.sum / b.n - a.sum / a.n)
    const want = bootstrap(rewardDiffs, 500, 7)
    expect(delta.avg_reward.delta.estimate).toBeCloseTo(want.estimate, 12)
    expect(delta.avg_reward.delta.low).toBeCloseTo(want.low, 12)
    expect(delta.avg_reward.delta.high).toBeCloseTo(want.high, 12)
    expect(want.low).toBeLessThan(want.high)
    for (const k of [1, 2, 3]) {
      const diffs = pairs.map(([a, b]) => choose(b.c, k) / choose(b.n, k) - choose(a.c, k) / choose(a.n, k))
      const w = bootstrap(diffs, 500, 7)
      expect(delta.pass_hat_k[k].delta.estimate, `pass^${k}`).toBeCloseTo(w.estimate, 12)
      expect([delta.pass_hat_k[k].delta.low, delta.pass_hat_k[k].delta.high], `pass^${k}`).toEqual([expect.closeTo(w.low, 12), expect.closeTo(w.high, 12)])
    }
    // Offline participants cost nothing: a known $0, and a difference of 0.
    expect(delta.cost_per_episode.delta).toEqual({ estimate: 0, low: 0, high: 0 })
    // The errored run: its episodes are not rewards of 0, they are left out (and counted apart).
    expect(comparison.runs[2]).toMatchObject({ run_id: "down", episodes: 0, errored: 1, avg_reward: null, pass_hat_k: {} })
    expect(down).toMatchObject({ run_id: "down", shared_tasks: 0, pass_hat_k: {} })
    // Deterministic: the same seed gives the same bytes; another seed other intervals.
    expect((await tau(args, tmp.root)).stdout).toBe(r.stdout)
    const other = JSON.parse(
      (
        await tau(
          args.map((a) => (a === "7" ? "8" : a)),
          tmp.root,
        )
      ).stdout,
    ).comparison.deltas[0]
    expect(other.avg_reward.delta.estimate).toBe(delta.avg_reward.delta.estimate)
    expect([other.avg_reward.delta.low, other.avg_reward.delta.high]).not.toEqual([delta.avg_reward.delta.low, delta.avg_reward.delta.high])
  }, 60_000)

  it("the text and HTML reports show the runs and the differences", async () => {
    const text = await tau(["report", "--run", "base", "--run", "noisy", "--db", db], tmp.root)
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain("\nRuns compared\n")
    expect(text.stdout).toMatch(
      /\nDifferences from base\n[^\n]*95% paired bootstrap CI[^\n]*\nrun +shared tasks +Δ avg reward +Δ pass\^1 +Δ pass\^2 +Δ pass\^3/,
    )
    expect(text.stdout).toMatch(/\nnoisy +\d+ +-0\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\]/)
    const out = tmp.file("compare.html")
    const html = await tau(["report", "--run", "base", "--run", "noisy", "--format", "html", "--out", out, "--db", db], tmp.root)
    expect(html.code, html.stderr).toBe(0)
    const page = await import("node:fs").then((fs) => fs.readFileSync(out, "utf8"))
    expect(page).toContain('<section id="comparison"')
    expect(page).toContain('<section id="comparison-deltas"')
    const usage = await tau(["report", "--run", "base", "--run", "noisy", "--json", "--format", "html", "--db", db], tmp.root)
    expect(usage.code).toBe(2)
  }, 60_000)
})
