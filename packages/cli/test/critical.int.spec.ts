/**
 * `tau critical` and `noisy-oracle:<p>` through the real CLI on real SQLite files.
 *
 * The noisy oracle's chance of success from any prefix is known: (1 − p)^(world-changing gold
 * actions not yet decided), 0 once one was skipped. On demo and retail episodes with a skip, every
 * turn's 95% interval must hold that probability and the critical turn must be the skip's turn.
 *
 * Flakiness. The intervals are checked at --confidence 1 − 1e-8: they are exact (Clopper–Pearson),
 * so each holds the truth with probability ≥ 1 − 1e-8 whatever the seeds, and by the union bound
 * over at most 30 turns in each of the two analyses the chance of a false failure is below 6e-7.
 * The critical turn is the largest drop of point estimates, checked at the default 95% (and its
 * interval excluding 0): that part is deterministic, not probabilistic, because every seed is
 * fixed (the parents' by --seed and trial, each sample's by its run, turn and index).
 */
import { DomainResolver, mutates, NOISY_ORACLE_SKIP, type StoredEvent } from "@tau-sim/engine"
import { builtinDomains } from "@tau-sim/domains"
import { needsData } from "@tau-sim/domains/testing"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { runWithFault } from "./faults.ts"
import { jsonLines, storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("cli-critical")
afterAll(tmp.dispose)

const P = 0.3

interface TurnRow {
  readonly turn: number
  readonly role: string
  readonly kind: string
  readonly samples: number
  readonly successes: number
  readonly estimate: number | null
  readonly ci_low: number
  readonly ci_high: number
}
interface Analysis {
  readonly episode_id: string
  readonly run_id: string
  readonly turns: ReadonlyArray<TurnRow>
  readonly critical_turn: number | null
  readonly drop: number | null
  readonly drop_ci_low: number | null
  readonly drop_ci_high: number | null
}

const noisyRun = async (db: string, args: ReadonlyArray<string>) => {
  const result = await tau(["run", "--agent", `noisy-oracle:${P}`, "--user", "scripted", "--json", "--db", db, ...args], tmp.root)
  expect(result.stderr).not.toContain("error:")
  expect(result.code).toBe(0)
  return jsonLines(result.stdout) as Array<{ episode_id: string; task_id: string; trial: number; reward: number }>
}

const analyse = async (db: string, episode: string, ...args: string[]) => {
  const result = await tau(["critical", episode, "--json", "--db", db, ...args], tmp.root)
  expect(result.stderr).not.toContain("error:")
  expect(result.code).toBe(0)
  return { ...result, analysis: jsonLines(result.stdout)[0] as unknown as Analysis }
}

/** The skips an episode recorded: the gold index of each `noisy_oracle_skipped_action` call, in order. */
const skipsOf = (events: ReadonlyArray<StoredEvent>): number[] =>
  events.flatMap((e) =>
    e.event._tag === "MessageSent"
      ? e.event.toolCalls.filter((c) => c.name === NOISY_ORACLE_SKIP).map((c) => (JSON.parse(c.argumentsJson) as { gold_index: number }).gold_index)
      : [],
  )

/** The agent's tools that change the world, in the domain as the CLI resolves it. */
const worldChanging = (domain: string, dataDir: string | null) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const d = yield* (yield* DomainResolver).resolve({ domain, dataDir, policyVariant: "default" })
      return new Set(d.agentToolkit.tools.filter(mutates).map((t) => t.name))
    }).pipe(Effect.provide(builtinDomains())),
  )

/**
 * The true chance of success from each analysed turn: walking the parent's turns, every agent call
 * of a world-changing tool or a skip is one decision taken; a skip makes it 0 from the next turn on.
 */
const truth = (turns: ReadonlyArray<TurnRow>, writes: ReadonlySet<string>): Map<number, number> => {
  const decision = (t: TurnRow) => t.role === "assistant" && (t.kind === `call ${NOISY_ORACLE_SKIP}` || writes.has(t.kind.slice("call ".length)))
  let left = turns.filter(decision).length
  let skipped = false
  const out = new Map<number, number>()
  for (const t of turns) {
    out.set(t.turn, skipped ? 0 : (1 - P) ** left)
    if (decision(t)) {
      left--
      if (t.kind === `call ${NOISY_ORACLE_SKIP}`) skipped = true
    }
  }
  return out
}

const CHECK_LEVEL = "0.99999999"

/** The critical turn is the (first) skip's and its drop is real; every turn's interval (at CHECK_LEVEL) holds the true probability. */
const expectAgreesWithTruth = async (db: string, episode: string, writes: ReadonlySet<string>, samples: number, ...args: string[]) => {
  const { analysis } = await analyse(db, episode, "--samples", String(samples), ...args)
  const known = truth(analysis.turns, writes)
  const skipTurn = analysis.turns.find((t) => t.kind === `call ${NOISY_ORACLE_SKIP}`)?.turn
  expect(skipTurn).toBeDefined()
  expect(analysis.critical_turn).toBe(skipTurn)
  const trueDrop = known.get(skipTurn as number) as number
  expect(analysis.drop_ci_low).toBeGreaterThan(0)
  expect(analysis.drop_ci_low).toBeLessThanOrEqual(trueDrop)
  expect(analysis.drop_ci_high).toBeGreaterThanOrEqual(trueDrop)

  // The same samples read at another level: nothing runs again (the level is not part of the analysis).
  const strict = await analyse(db, episode, "--samples", String(samples), "--confidence", CHECK_LEVEL, ...args)
  expect(strict.stderr).toContain(`${analysis.turns.length * samples} samples were finished before`)
  expect(strict.analysis.run_id).toBe(analysis.run_id)
  for (const t of strict.analysis.turns) {
    const p = known.get(t.turn) as number
    expect(t.samples, `samples at turn ${t.turn}`).toBe(samples)
    expect(t.ci_low, `turn ${t.turn}: ${t.successes}/${t.samples}, true ${p.toFixed(3)}`).toBeLessThanOrEqual(p + 1e-12)
    expect(t.ci_high, `turn ${t.turn}: ${t.successes}/${t.samples}, true ${p.toFixed(3)}`).toBeGreaterThanOrEqual(p - 1e-12)
  }
  // Some turns were genuinely uncertain (neither 0 nor 1): the check tested estimates, not certainties.
  expect([...known.values()].filter((p) => p > 0 && p < 1).length).toBeGreaterThan(1)
  expect(analysis.turns.length).toBeLessThanOrEqual(30)
  return analysis
}

/** The first episode (by trial, task) whose first skip comes after a performed write: the estimate moves before it drops. */
const pickSkipped = async (db: string, runId: string, writes: ReadonlySet<string>) => {
  const stored = await storedRun(db, runId)
  const rows = [...stored.rows].sort((a, b) => a.trial - b.trial || a.taskId.localeCompare(b.taskId))
  const found = rows.find((r) => {
    const calls = stored.events[r.episodeId].flatMap((e) =>
      e.event._tag === "MessageSent" && e.event.role === "agent" ? e.event.toolCalls.map((c) => c.name) : [],
    )
    const firstSkip = calls.indexOf(NOISY_ORACLE_SKIP)
    return firstSkip > 0 && calls.slice(0, firstSkip).some((name) => writes.has(name))
  })
  expect(found, "an episode of the fixed seeds skips a write after performing one").toBeDefined()
  return found?.episodeId as string
}

describe("noisy-oracle:<p>", () => {
  it("with p = 0 is the oracle: the same conversations, world changes and rewards", async () => {
    const [a, b] = [tmp.db(), tmp.db()]
    const oracle = await tau(["run", "--domain", "demo", "--agent", "oracle", "--trials", "2", "--run-id", "same", "--json", "--db", a], tmp.root)
    expect(oracle.code).toBe(0)
    const noisy = await tau(["run", "--domain", "demo", "--agent", "noisy-oracle:0", "--trials", "2", "--run-id", "same", "--json", "--db", b], tmp.root)
    expect(noisy.code).toBe(0)
    const [ra, rb] = [await storedRun(a, "same"), await storedRun(b, "same")]
    expect(rb.rows.length).toBe(20)
    const strip = (events: ReadonlyArray<StoredEvent>) => events.map((e) => (e.event._tag === "EpisodeStarted" ? { ...e.event, agent: "-" } : e.event))
    for (const row of ra.rows) expect(strip(rb.events[row.episodeId]), row.episodeId).toEqual(strip(ra.events[row.episodeId]))
    expect(rb.rows.map((r) => r.reward)).toEqual(ra.rows.map((r) => r.reward))
  })

  it("skips by the recorded seed: the same seed gives the same skips, another seed others", async () => {
    const [a, b, c] = [tmp.db(), tmp.db(), tmp.db()]
    const args = ["--domain", "demo", "--trials", "3", "--run-id", "noisy"]
    await noisyRun(a, args)
    await noisyRun(b, args)
    await noisyRun(c, [...args, "--seed", "301"])
    const [ra, rb, rc] = [await storedRun(a, "noisy"), await storedRun(b, "noisy"), await storedRun(c, "noisy")]
    const skips = (r: typeof ra) => Object.fromEntries(r.rows.map((row) => [`${row.taskId}/${row.trial}`, skipsOf(r.events[row.episodeId])]))
    expect(Object.values(skips(ra)).flat().length, "p = 0.3 skipped something").toBeGreaterThan(0)
    expect(skips(rb)).toEqual(skips(ra))
    expect(skips(rc)).not.toEqual(skips(ra))
    // A skip is a failure; an episode without one succeeds (every demo task's gold succeeds).
    for (const row of ra.rows) expect(row.reward, row.episodeId).toBe(skipsOf(ra.events[row.episodeId]).length > 0 ? 0 : 1)
  })
})

describe("tau critical on the demo domain", () => {
  const db = tmp.db()
  const K = 30
  let episode = ""
  let full: Analysis

  it("estimates agree with the known probability at every turn; the critical turn is the skip's", async () => {
    // pay_unblock_and_borrow: find (0), then three writes: pay_fine (1), unblock_card (2), checkout_book (3).
    await noisyRun(db, ["--domain", "demo", "--task-ids", "pay_unblock_and_borrow", "--trials", "8", "--run-id", "parents"])
    const writes = await worldChanging("demo", null)
    episode = await pickSkipped(db, "parents", writes)
    full = await expectAgreesWithTruth(db, episode, writes, K)
  })

  it("stores every sample as a verifiable branch of the episode in the analysis's run", async () => {
    const stored = await storedRun(db, full.run_id)
    expect(stored.rows.length).toBe(full.turns.length * K)
    for (const row of stored.rows) {
      expect(row.parentEpisodeId).toBe(episode)
      expect(row.status).toBe("ended")
      expect(stored.scores[row.episodeId].length).toBeGreaterThan(0)
    }
    // Fresh seeds: no two samples, and no sample and its parent, share one.
    const seeds = stored.rows.map((r) => (stored.events[r.episodeId][0].event as { seed: number }).seed)
    expect(new Set(seeds).size).toBe(seeds.length)
    const verify = await tau(["replay", "--all", "--verify", "--json", "--db", db], tmp.root)
    expect(verify.code, verify.stderr).toBe(0)
    const rows = jsonLines(verify.stdout)
    expect(rows.length).toBe(stored.rows.length + 8)
    expect(rows.filter((r) => r.verified !== true)).toEqual([])
  })

  it("a second invocation runs nothing again; a budget and a turn range take a part of the analysis", async () => {
    const again = await analyse(db, episode, "--samples", String(K))
    expect(again.stderr).not.toContain("error:")
    expect(again.stderr).toContain(`${full.turns.length * K} samples were finished before`)
    expect(again.stderr).not.toMatch(/^\[\d+\/\d+\] turn/m)
    expect(again.analysis).toEqual(full)

    const turns = full.turns.map((t) => t.turn)
    const budget = await analyse(db, episode, "--samples", "3", "--max-samples", String(turns.length + 2))
    // Round-robin: one sample at every turn, then a second at the first two.
    expect(budget.analysis.turns.map((t) => t.samples)).toEqual(turns.map((_, i) => (i < 2 ? 2 : 1)))
    // The budget is recorded with the analysis: a resume keeps it (it does not take every sample).
    const resumedBudget = await tau(["run", "--resume", budget.analysis.run_id, "--json", "--db", db], tmp.root)
    expect(resumedBudget.code, resumedBudget.stderr).toBe(0)
    expect((await storedRun(db, budget.analysis.run_id)).rows.length).toBe(turns.length + 2)
    const range = await analyse(db, episode, "--samples", "2", "--turns", `${turns[2]}..${turns[4]}`)
    expect(range.analysis.turns.map((t) => t.turn)).toEqual(turns.slice(2, 5))
  })

  it("--early-stop stops sampling settled turns, and a resume takes exactly the same samples", async () => {
    const { analysis, stderr } = await analyse(db, episode, "--samples", String(K), "--early-stop")
    expect(stderr).not.toContain("error:")
    const skipTurn = analysis.turns.find((t) => t.kind === `call ${NOISY_ORACLE_SKIP}`)?.turn as number
    expect(analysis.critical_turn).toBe(skipTurn)
    // After the skip every sample fails: those turns settle at the minimum, except the one beside the drop.
    const after = analysis.turns.filter((t) => t.turn > skipTurn + 1)
    expect(after.length).toBeGreaterThan(1)
    for (const t of after) expect(t.samples, `turn ${t.turn}`).toBe(5)
    const skipRow = analysis.turns.find((t) => t.turn === skipTurn)
    expect(skipRow?.samples).toBe(K)
    const stored = await storedRun(db, analysis.run_id)
    const total = analysis.turns.reduce((n, t) => n + t.samples, 0)
    expect(stored.rows.length).toBe(total)
    expect(total).toBeLessThan(analysis.turns.length * K)
    const resumed = await tau(["run", "--resume", analysis.run_id, "--json", "--db", db], tmp.root)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect((await storedRun(db, analysis.run_id)).rows.length).toBe(total)
    expect((await analyse(db, episode, "--samples", String(K), "--early-stop")).analysis).toEqual(analysis)
  })

  it("--adaptive spends a sample budget where the critical turn is decided: more there than a uniform run of the same budget", async () => {
    const writes = await worldChanging("demo", null)
    const turns = full.turns.map((t) => t.turn)
    const budget = turns.length * 8
    const uniform = (await analyse(db, episode, "--samples", String(K), "--max-samples", String(budget))).analysis
    const { analysis: adaptive } = await analyse(db, episode, "--samples", String(K), "--max-samples", String(budget), "--adaptive")
    const skipTurn = full.turns.find((t) => t.kind === `call ${NOISY_ORACLE_SKIP}`)?.turn as number
    const after = turns[turns.indexOf(skipTurn) + 1]
    const samplesAt = (a: Analysis, turn: number) => a.turns.find((t) => t.turn === turn)?.samples ?? 0
    // Uniform: the budget in rounds, 8 at every turn.
    for (const t of turns) expect(samplesAt(uniform, t), `uniform, turn ${t}`).toBe(8)
    // Adaptive: the same budget, at least the first 4 everywhere, and half as many again as uniform on the two sides of the drop.
    const total = adaptive.turns.reduce((n, t) => n + t.samples, 0)
    expect(total).toBeLessThanOrEqual(budget)
    for (const t of turns) expect(samplesAt(adaptive, t), `adaptive, turn ${t}`).toBeGreaterThanOrEqual(4)
    expect(samplesAt(adaptive, skipTurn)).toBeGreaterThan(8)
    expect(samplesAt(adaptive, after)).toBeGreaterThan(8)
    expect(samplesAt(adaptive, skipTurn) + samplesAt(adaptive, after)).toBeGreaterThan(1.5 * 2 * 8)
    // Which the turns far from it paid for.
    expect(adaptive.turns.filter((t) => t.samples < 8).length).toBeGreaterThan(turns.length / 2)
    expect(adaptive.critical_turn).toBe(skipTurn)
    expect(adaptive.drop_ci_low).toBeGreaterThan(0)
    // Narrower at the drop than the uniform run's.
    const width = (a: Analysis) => (a.drop_ci_high as number) - (a.drop_ci_low as number)
    expect(width(adaptive)).toBeLessThan(width(uniform))

    // The same samples at CHECK_LEVEL (nothing runs again): every turn's interval holds the true probability.
    const strict = await analyse(db, episode, "--samples", String(K), "--max-samples", String(budget), "--adaptive", "--confidence", CHECK_LEVEL)
    expect(strict.stderr).toContain(`${total} samples were finished before`)
    const known = truth(strict.analysis.turns, writes)
    for (const t of strict.analysis.turns) {
      const p = known.get(t.turn) as number
      expect(t.ci_low, `turn ${t.turn}: ${t.successes}/${t.samples}, true ${p.toFixed(3)}`).toBeLessThanOrEqual(p + 1e-12)
      expect(t.ci_high, `turn ${t.turn}: ${t.successes}/${t.samples}, true ${p.toFixed(3)}`).toBeGreaterThanOrEqual(p - 1e-12)
    }
    // Adaptivity and the budget are recorded with the analysis: a resume takes no sample more.
    const resumed = await tau(["run", "--resume", adaptive.run_id, "--json", "--db", db], tmp.root)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect((await storedRun(db, adaptive.run_id)).rows.length).toBe(total)
  })

  it("without a budget, --adaptive stops where more samples cannot move the critical turn", async () => {
    const { analysis } = await analyse(db, episode, "--samples", String(K), "--adaptive")
    const skipTurn = full.turns.find((t) => t.kind === `call ${NOISY_ORACLE_SKIP}`)?.turn as number
    expect(analysis.critical_turn).toBe(skipTurn)
    const total = analysis.turns.reduce((n, t) => n + t.samples, 0)
    expect(total).toBeLessThan(full.turns.length * K)
    expect((analysis as unknown as { stopped_by: string }).stopped_by).toBe("settled")
    expect(analysis.turns.find((t) => t.turn === skipTurn)?.samples).toBe(K)
  })

  it("tau report on an analysis: no pass^k columns, every turn with its interval, and the chart with the critical turn marked", async () => {
    const text = await tau(["report", "--run", full.run_id, "--db", db], tmp.root)
    expect(text.code, text.stderr).toBe(0)
    // The samples keep their parent's trial: they are not trials of a task, so no pass^1..pass^K.
    expect(text.stdout).not.toMatch(/pass\^\d/)
    expect(text.stdout).toContain(`Critical turns of ${episode}`)
    expect(text.stdout).toMatch(new RegExp(`^${full.critical_turn} <\\s+assistant\\s+call ${NOISY_ORACLE_SKIP}\\s+${K}\\s`, "m"))
    const json = await tau(["report", "--run", full.run_id, "--format", "json", "--db", db], tmp.root)
    const report = JSON.parse(json.stdout) as { cells: Array<{ max_k: number }>; critical: Array<Analysis> }
    expect(report.cells.map((c) => c.max_k)).toEqual([0])
    expect(report.critical.map((c) => [c.episode_id, c.critical_turn, c.drop, c.turns])).toEqual([[episode, full.critical_turn, full.drop, full.turns]])
    const out = tmp.file("critical-report.html")
    expect((await tau(["report", "--run", full.run_id, "--format", "html", "--out", out, "--db", db], tmp.root)).code).toBe(0)
    const html = readFileSync(out, "utf8")
    expect(html).toContain('class="chart critical-chart"')
    // Its only chart: the samples are no trials to chart pass^1 of.
    expect(html.match(/<svg /g)?.length).toBe(1)
    expect(html).toContain(`>critical turn ${full.critical_turn}<`)
    expect(html).not.toMatch(/<th>pass\^\d/)
  })

  it("--run --failed analyses every failed episode of a run and says where they were lost", async () => {
    const result = await tau(["critical", "--run", "parents", "--failed", "--samples", "20", "--json", "--db", db], tmp.root)
    expect(result.stderr).not.toContain("error:")
    expect(result.code).toBe(0)
    const out = jsonLines(result.stdout)[0] as unknown as {
      run_id: string
      episodes: ReadonlyArray<Analysis & { task_id: string; reward: number }>
      summary: {
        episodes: number
        with_critical_turn: number
        by_position: ReadonlyArray<{ position: string; episodes: number }>
        by_kind: ReadonlyArray<{ kind: string; episodes: number }>
        by_task: ReadonlyArray<{ task_id: string; episodes: number }>
      }
    }
    const parents = await storedRun(db, "parents")
    const failed = parents.rows.filter((r) => r.reward !== 1).map((r) => r.episodeId)
    expect(failed.length).toBeGreaterThan(1)
    expect(out.episodes.map((e) => e.episode_id).sort()).toEqual([...failed].sort())
    // Each was lost at its first skip (every failure of the noisy oracle is a skip).
    for (const e of out.episodes) expect(e.critical_turn, e.episode_id).toBe(e.turns.find((t) => t.kind === `call ${NOISY_ORACLE_SKIP}`)?.turn)
    expect(out.summary.episodes).toBe(failed.length)
    expect(out.summary.with_critical_turn).toBe(failed.length)
    expect(out.summary.by_kind).toEqual([{ kind: `assistant call ${NOISY_ORACLE_SKIP}`, episodes: failed.length }])
    expect(out.summary.by_position.reduce((n, p) => n + p.episodes, 0)).toBe(failed.length)
    expect(out.summary.by_task).toEqual([
      { task_id: "pay_unblock_and_borrow", episodes: failed.length, with_critical_turn: failed.length, mean_drop: expect.any(Number) },
    ])
    // The people's table says the same.
    const text = await tau(["critical", "--run", "parents", "--failed", "--samples", "20", "--db", db], tmp.root)
    expect(text.stdout).toContain(`critical turns of run parents: ${failed.length} episodes, ${failed.length} with a turn`)
    expect(text.stderr).not.toMatch(/^\[\d+\/\d+\] turn/m)
  })

  it("refuses what it cannot analyse, naming it", async () => {
    const missing = await tau(["critical", "ep_nope", "--db", db], tmp.root)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("episode ep_nope not found")
    const badRange = await tau(["critical", episode, "--turns", "5..2", "--db", db], tmp.root)
    expect(badRange.code).toBe(2)
    const outside = await tau(["critical", episode, "--turns", "500..600", "--db", db], tmp.root)
    expect(outside.code).toBe(1)
    expect(outside.stderr).toContain(`episode ${episode} has live turns`)
    const both = await tau(["critical", episode, "--run", "parents", "--db", db], tmp.root)
    expect(both.code).toBe(2)
    expect((await tau(["critical", "--db", db], tmp.root)).code).toBe(2)
    const noRun = await tau(["critical", "--run", "run_nope", "--db", db], tmp.root)
    expect(noRun.code).toBe(1)
    expect(noRun.stderr).toContain("run_nope")
    const user = await tau(["critical", episode, "--user", "noisy-oracle:0.5", "--db", db], tmp.root)
    expect(user.code).toBe(1)
    expect(user.stderr).toContain("noisy-oracle is an agent")
  })

  it("resumes a killed analysis (SIGKILL, then SIGINT and tau run --resume) without repeating finished samples", async () => {
    const killedDb = tmp.db()
    await noisyRun(killedDb, ["--domain", "demo", "--task-ids", "pay_unblock_and_borrow", "--trials", "8", "--run-id", "parents"])
    const args = ["critical", episode, "--samples", String(K), "--max-concurrency", "1", "--json", "--db", killedDb]
    const PROGRESS = /^\[\d+\/\d+\] turn /

    const killed = await runWithFault(args, tmp.root, { afterLines: 40, matching: PROGRESS, signals: ["SIGKILL"] })
    expect(killed.fired).toBe(true)
    expect(killed.signal).toBe("SIGKILL")
    const afterKill = await storedRun(killedDb, full.run_id)
    const finished = afterKill.rows.filter((r) => r.status === "ended" && afterKill.scores[r.episodeId].length > 0)
    expect(finished.length).toBeGreaterThanOrEqual(40)
    expect(finished.length).toBeLessThan(full.turns.length * K)

    // SIGINT: a clean stop that says how to continue; then `tau run --resume` finishes it.
    const stopped = await runWithFault(args, tmp.root, { afterLines: 30, matching: PROGRESS, signals: ["SIGINT"] })
    expect(stopped.fired).toBe(true)
    expect(stopped.code).toBe(130)
    expect(stopped.stderr).toContain(`continue with: tau run --resume ${full.run_id}`)
    // The samples finished before the kill were not run again.
    const ranAfterKill = new Set([...stopped.stderr.matchAll(/\((ep_[0-9a-f]+)\)$/gm)].map((m) => m[1]))
    for (const row of finished) expect(ranAfterKill.has(row.episodeId), `${row.episodeId} ran again`).toBe(false)
    // It went on from there: its first sample is the first one the kill left unfinished (concurrency 1: plan order).
    expect(stopped.stderr).toMatch(new RegExp(`^\\[${finished.length + 1}/${full.turns.length * K}\\] turn `, "m"))

    const resumed = await tau(["run", "--resume", full.run_id, "--json", "--db", killedDb], tmp.root)
    expect(resumed.stderr).not.toContain("error:")
    expect(resumed.code).toBe(0)
    const final = await storedRun(killedDb, full.run_id)
    expect(final.rows.length).toBe(full.turns.length * K)
    // Finished samples kept their events and scores exactly.
    for (const row of finished) {
      expect(final.events[row.episodeId]).toEqual(afterKill.events[row.episodeId])
      expect(final.scores[row.episodeId]).toEqual(afterKill.scores[row.episodeId])
    }
    // And the analysis is the one an uninterrupted run gives.
    const after = await analyse(killedDb, episode, "--samples", String(K))
    expect(after.stderr).not.toMatch(/^\[\d+\/\d+\] turn/m)
    expect(after.analysis).toEqual(full)
  })
})

const data = needsData("tau2")

data.describe("tau critical on the retail domain", () => {
  it("estimates agree with the known probability at every turn; the critical turn is the skip's", async () => {
    const db = tmp.db()
    const dataDir = data.tau2
    // Tasks 3 and 4 have several writes (a modification after an exchange or return).
    await noisyRun(db, ["--domain", "retail", "--data-dir", dataDir, "--task-ids", "3,4", "--trials", "4", "--run-id", "retail"])
    const writes = await worldChanging("retail", dataDir)
    const episode = await pickSkipped(db, "retail", writes)
    const K = 20
    await expectAgreesWithTruth(db, episode, writes, K, "--max-concurrency", "2")
    const verify = await tau(["replay", "--all", "--verify", "--json", "--db", db], tmp.root)
    expect(verify.code, verify.stderr).toBe(0)
    expect(jsonLines(verify.stdout).filter((r) => r.verified !== true)).toEqual([])
  })
})
