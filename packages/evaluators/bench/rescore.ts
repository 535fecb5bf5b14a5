/**
 * Re-scoring throughput: episodes evaluated per second over the perturbed conformance fixtures of a
 * domain (strict replay, scripted NL judge), measured after a warm-up (at least one pass) that fills
 * the gold cache and lets the JIT settle. Run alone: node packages/evaluators/bench/rescore.ts [domain...]
 */
import { loadTau2Domain, listTau2Domains } from "@tau-sim/domains"
import { requireDataDir } from "@tau-sim/domains/testing/locate"
import { Effect } from "effect"
import { evaluateSimulation, scriptedAllMetJudge } from "../src/index.ts"
import { fixtureCases, taskResolver } from "../test/conformance.ts"

/** Minimum measured time per domain; passes repeat until it is reached. */
const MIN_SECONDS = 1
const WARM_UP_SECONDS = 0.5

export interface RescoreStats {
  /** Episodes per wall-clock second. */
  readonly episodes_per_s: number
  /** Episodes per second of this process' CPU time: steadier when other processes compete for the CPU. */
  readonly episodes_per_cpu_s: number
  readonly episodes: number
}

export const rescoreStats = async (domainName: string): Promise<RescoreStats> => {
  requireDataDir("conformance")
  const domain = loadTau2Domain(domainName, requireDataDir("tau2"))
  const taskOf = await taskResolver(domainName, domain)
  const cases = fixtureCases(domainName, "perturbed").map((c) => ({ ...c, task: taskOf(c.taskId) }))
  // One pass is one Effect program over the cases, as `rescore` evaluates a run's episodes. A failed
  // evaluation (the reference raises) counts like a scored one; anything else stops the bench.
  const pass = () =>
    Effect.runPromise(
      Effect.forEach(
        cases,
        (c) =>
          // Data-first: the piped form costs a few hundred ns per episode (argument spreading), a few % on mock.
          Effect.catchTag(
            evaluateSimulation({
              domain,
              task: c.task,
              messages: c.messages,
              terminationReason: c.terminationReason,
              strict: true,
              nlJudge: scriptedAllMetJudge,
            }),
            "EvaluationError",
            () => Effect.void,
          ),
        { discard: true },
      ),
    )
  // Warm-up: fills the gold cache and lets the JIT optimise the hot paths.
  const warmUntil = performance.now() + WARM_UP_SECONDS * 1000
  do await pass()
  while (performance.now() < warmUntil)
  let episodes = 0
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  let elapsed = 0
  while (elapsed < MIN_SECONDS * 1000) {
    await pass()
    episodes += cases.length
    elapsed = performance.now() - start
  }
  const cpu = process.cpuUsage(cpuStart)
  return {
    episodes_per_s: Math.round(episodes / (elapsed / 1000)),
    episodes_per_cpu_s: Math.round(episodes / ((cpu.user + cpu.system) / 1e6)),
    episodes,
  }
}

/** Episodes per wall-clock second over the perturbed fixtures of `domainName`. */
export const rescoreRate = async (domainName: string): Promise<number> => (await rescoreStats(domainName)).episodes_per_s

/** Episodes per second for every τ² domain that is available (the target is ≥ 2,000 on retail). */
export const benchRescore = async (): Promise<Record<string, RescoreStats | { error: string }>> => {
  const out: Record<string, RescoreStats | { error: string }> = {}
  for (const name of ["mock", "airline", "retail", "telecom"]) {
    if (!listTau2Domains().includes(name)) continue
    try {
      out[name] = await rescoreStats(name)
    } catch (e) {
      out[name] = { error: e instanceof Error ? e.message : String(e) }
    }
  }
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const names = process.argv.slice(2)
  let result: Record<string, unknown>
  if (names.length === 0) result = await benchRescore()
  else {
    result = {}
    for (const n of names) result[n] = await rescoreStats(n)
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
