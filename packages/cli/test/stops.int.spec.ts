/**
 * Clean stops and one worker per run, with real processes and real signals: SIGTERM and SIGINT
 * mid-run (offline, where every hop is synchronous, and during a model call that never answers)
 * end `run`, `experiment`, `fork` and `counterfactual` with 143/130, keep what was done and print
 * the command that continues; that command completes the run to exactly what an uninterrupted run
 * stores. A second signal exits at once, still safely. Two concurrent `--resume` of one run: one
 * works, the other names the holder and exits non-zero; no episode is scored twice.
 *
 * Signals are sent on what the process printed or on the model request it is waiting for, never
 * after a delay. TAU_FAULT_SEED replays the choice of trigger lines.
 */
import { writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { between, gatedModelServer, conversationOf, expectComplete, expectGapless, facts, faultSeed, modelCallsOf, runWithFault, storedRuns } from "./faults.ts"
import { finished, seededRandom, spawnTau, storedRun, tau, type TauResult, tempDir } from "./tau.ts"

const tmp = tempDir("cli-stops")
const seed = faultSeed()
const random = seededRandom(seed)
const PROGRESS = /^\s*\[\d+(\/\d+)?\] /

let models: Awaited<ReturnType<typeof gatedModelServer>>
beforeAll(async () => {
  models = await gatedModelServer()
})
afterAll(async () => {
  await models.close()
  tmp.dispose()
  console.log(`stops: TAU_FAULT_SEED=${seed}`)
})

const modelEnv = () => models.env()
const hangAt = (n: number) => models.hangAt(n)

const offline = (runId: string, db: string, trials = 8) => [
  "run",
  "--domain",
  "demo",
  "--trials",
  String(trials),
  "--max-concurrency",
  "2",
  "--run-id",
  runId,
  "--db",
  db,
]
const MODEL_TASKS = "renew_loan,link_card_in_app"
const modelRun = (runId: string, db: string) => [
  "run",
  "--domain",
  "demo",
  "--agent",
  "openai:demo",
  "--user",
  "openai:demo",
  "--task-ids",
  MODEL_TASKS,
  "--trials",
  "2",
  "--run-id",
  runId,
  "--db",
  db,
]

/** The continue command printed on a stop, as arguments (the db path has no spaces here). */
const resumeHint = (stderr: string): string[] => {
  const m = /continue with: tau (.+)$/m.exec(stderr)
  expect(m, `no resume hint in:\n${stderr}`).not.toBeNull()
  return (m as RegExpExecArray)[1].trim().split(/\s+/)
}

describe("SIGTERM / SIGINT mid-run (offline)", () => {
  const reference = tmp.db()
  beforeAll(async () => {
    const r = await tau(offline("R", reference), tmp.root)
    expect(r.code, r.stderr).toBe(0)
  })

  for (const [signals, code] of [
    [["SIGTERM"], 143],
    [["SIGINT"], 130],
    // A second signal exits at once (before the clean stop finishes), with the first one's code.
    // Two signals sent back to back may reach Node's handlers in either order, so the code says
    // which one was first (checked below).
    [["SIGINT", "SIGTERM"], 130],
  ] as const) {
    it(`${signals.join(" then ")}: exit ${code}, work kept, the printed command completes the run`, async () => {
      const db = tmp.db()
      const afterLines = between(random, 1, 40)
      const stopped = await runWithFault(offline("R", db), tmp.root, { afterLines, matching: PROGRESS, signals })
      expect(stopped.fired).toBe(true)
      if (signals.length === 1) expect(stopped.code, stopped.stderr).toBe(code)
      else expect([130, 143], stopped.stderr).toContain(stopped.code)
      const partial = await storedRun(db, "R")
      expectGapless(partial, "stopped run")
      const ended = partial.rows.filter((r) => r.status === "ended").length
      expect(ended).toBeGreaterThanOrEqual(afterLines)
      expect(ended).toBeLessThan(80)
      const resumeArgs = ["run", "--resume", "R", "--db", db]
      if (signals.length === 1) {
        expect(stopped.stderr).toContain(`stopped by ${signals[0]}: finished work is stored; continue with: tau run --resume R --db ${db}`)
        expect(resumeHint(stopped.stderr)).toEqual(resumeArgs)
      } else {
        // Either the second signal cut the clean stop short, or the clean stop was already done.
        const [first, second] = stopped.code === 130 ? ["SIGINT", "SIGTERM"] : ["SIGTERM", "SIGINT"]
        expect(stopped.stderr).toMatch(new RegExp(`second stop signal \\(${second}\\): exiting now|stopped by ${first}: finished work is stored`))
      }
      const resumed = await tau(resumeArgs, tmp.root)
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stderr).toContain(`${ended} episodes were already finished and were skipped`)
      // The progress counts the episodes left to play, and reaches that total.
      const counts = [...resumed.stderr.matchAll(/^\[(\d+)\/(\d+)\] /gm)].map((m) => [Number(m[1]), Number(m[2])])
      expect(counts.at(-1)).toEqual([80 - ended, 80 - ended])
      const after = await storedRun(db, "R")
      expectComplete(after, "resumed run")
      expect(facts(after)).toEqual(facts(await storedRun(reference, "R")))
    })
  }
})

describe("the printed command continues as the stopped one did", () => {
  // It carries what was given that the stored run does not hold: without it the command would
  // continue otherwise (no retries) or not at all (data no longer where the run recorded it).
  it("a stopped run's keeps --retry-errors; a stopped resume's keeps --max-attempts and --data-dir too, and completes the run", async () => {
    const db = tmp.db()
    const run = ["run", "--domain", "demo", "--trials", "40", "--max-concurrency", "1", "--retry-errors", "--run-id", "H", "--db", db]
    const first = await runWithFault(run, tmp.root, { afterLines: 2, matching: PROGRESS, signals: ["SIGINT"] })
    expect(first.code, first.stderr).toBe(130)
    expect(resumeHint(first.stderr)).toEqual(["run", "--resume", "H", "--db", db, "--retry-errors"])
    const resume = ["run", "--resume", "H", "--db", db, "--retry-errors", "--max-attempts", "4", "--data-dir", tmp.root]
    const second = await runWithFault(resume, tmp.root, { afterLines: 2, matching: PROGRESS, signals: ["SIGINT"] })
    expect(second.code, second.stderr).toBe(130)
    expect(resumeHint(second.stderr)).toEqual(resume)
    const rest = await tau(resumeHint(second.stderr), tmp.root)
    expect(rest.code, rest.stderr).toBe(0)
    expectComplete(await storedRun(db, "H"), "resumed run")
    expect((await storedRun(db, "H")).rows).toHaveLength(400)
  })
})

describe("stops of experiment, counterfactual and fork", () => {
  it("tau experiment: SIGTERM after a progress line exits 143 and names the file to run again", async () => {
    const file = tmp.file("stop.yaml")
    writeFileSync(file, "name: stop\ndomains: [demo]\nagents: [oracle]\ntrials: 6\nmax_concurrency: 2\n")
    const db = tmp.db()
    const stopped = await runWithFault(["experiment", file, "--db", db], tmp.root, {
      afterLines: between(random, 1, 30),
      matching: PROGRESS,
      signals: ["SIGTERM"],
    })
    expect(stopped.code, stopped.stderr).toBe(143)
    expect(resumeHint(stopped.stderr)).toEqual(["experiment", file, "--db", db])
    const again = await tau(["experiment", file, "--db", db], tmp.root)
    expect(again.code, again.stderr).toBe(0)
    for (const [id, run] of Object.entries(await storedRuns(db, "stop"))) expectComplete(run, id)
  })

  it("tau counterfactual: SIGINT after a branch exits 130; tau run --resume of the batch finishes it", async () => {
    const db = tmp.db()
    const parent = await tau(offline("P", db, 4), tmp.root)
    expect(parent.code, parent.stderr).toBe(0)
    const script = tmp.file("give-up.json")
    writeFileSync(script, JSON.stringify([{ text: "I cannot do that. ###STOP###" }]))
    const args = ["counterfactual", "--run", "P", "--at-turn", "2", "--agent", `scripted:${script}`, "--db", db, "--max-concurrency", "2"]
    const stopped = await runWithFault(args, tmp.root, { afterLines: between(random, 1, 20), matching: /^ {2}ep_\w+ -> ep_\w+: /, signals: ["SIGINT"] })
    expect(stopped.code, stopped.stderr).toBe(130)
    const hint = resumeHint(stopped.stderr)
    expect(hint.slice(0, 2)).toEqual(["run", "--resume"])
    const resumed = await tau(hint, tmp.root)
    expect(resumed.code, resumed.stderr).toBe(0)
    const branches = await storedRun(db, hint[2])
    expect(branches.rows).toHaveLength(40)
    expectComplete(branches, "counterfactual branches")
  })

  it("tau fork: SIGTERM during a model call that never answers exits 143; --resume of the forks run continues the branch", async () => {
    const [referenceDb, db] = [tmp.db(), tmp.db()]
    const parentArgs = (d: string) => ["run", "--domain", "demo", "--task-ids", "renew_loan", "--run-id", "F", "--json", "--db", d]
    const [p1, p2] = await Promise.all([tau(parentArgs(referenceDb), tmp.root), tau(parentArgs(db), tmp.root)])
    expect([p1.code, p2.code], p1.stderr + p2.stderr).toEqual([0, 0])
    const parent = String(JSON.parse(p1.stdout.trim()).episode_id)
    const forkArgs = (d: string) => ["fork", parent, "--at-turn", "2", "--agent", "openai:demo", "--user", "openai:demo", "--json", "--db", d]
    const reference = await tau(forkArgs(referenceDb), tmp.root, modelEnv())
    expect(reference.code, reference.stderr).toBe(0)

    const hang = hangAt(between(random, 1, 4))
    const child = spawnTau(forkArgs(db), tmp.root, modelEnv())
    const done = finished(child)
    await hang.reached
    child.kill("SIGTERM")
    const stopped = await done
    hang.release()
    expect(stopped.code, stopped.stderr).toBe(143)
    const hint = resumeHint(stopped.stderr)
    expect(hint.slice(0, 4)).toEqual(["run", "--resume", "F~forks", "--db"])
    const forks = await storedRun(db, "F~forks")
    expect(forks.rows.map((r) => r.status)).toEqual(["running"])
    const resumed = await tau(hint.slice(0, 5), tmp.root, modelEnv())
    expect(resumed.code, resumed.stderr).toBe(0)
    const [expected, actual] = [await storedRun(referenceDb, "F~forks"), await storedRun(db, "F~forks")]
    expectComplete(actual, "forks run")
    const [e, a] = [expected.rows[0].episodeId, actual.rows[0].episodeId]
    expect(conversationOf(actual.events[a])).toEqual(conversationOf(expected.events[e]))
    expect(modelCallsOf(actual.events[a])).toBe(modelCallsOf(expected.events[e]))
    expect(actual.scores[a].map((sc) => sc.reward)).toEqual(expected.scores[e].map((sc) => sc.reward))
  })
})

describe("model-backed runs", () => {
  it("SIGTERM while a model call is in flight: exit 143, the call is not recorded, resume matches an uninterrupted run", async () => {
    const reference = tmp.db()
    const ref = await tau(modelRun("M", reference), tmp.root, modelEnv())
    expect(ref.code, ref.stderr).toBe(0)

    const db = tmp.db()
    // The first requests are answered; one of them, chosen at random, hangs.
    const hang = hangAt(between(random, 2, 12))
    const child = spawnTau(modelRun("M", db), tmp.root, modelEnv())
    const done = finished(child)
    await hang.reached
    child.kill("SIGTERM")
    const stopped = await done
    hang.release()
    expect(stopped.code, stopped.stderr).toBe(143)
    expectGapless(await storedRun(db, "M"), "stopped model run")
    const resumed = await tau(resumeHint(stopped.stderr), tmp.root, modelEnv())
    expect(resumed.code, resumed.stderr).toBe(0)
    const [expected, actual] = [await storedRun(reference, "M"), await storedRun(db, "M")]
    expectComplete(actual, "resumed model run")
    expect(actual.rows.map((r) => r.episodeId).sort()).toEqual(expected.rows.map((r) => r.episodeId).sort())
    for (const row of expected.rows) {
      expect(conversationOf(actual.events[row.episodeId]), row.episodeId).toEqual(conversationOf(expected.events[row.episodeId]))
      expect(modelCallsOf(actual.events[row.episodeId]), `paid calls of ${row.episodeId}`).toBe(modelCallsOf(expected.events[row.episodeId]))
      expect(actual.scores[row.episodeId].map((s) => s.reward)).toEqual(expected.scores[row.episodeId].map((s) => s.reward))
    }
  })

  it("two concurrent --resume of one run: one works, the other names pid and host and exits 1; one score per episode", async () => {
    const db = tmp.db()
    // Start the run and kill it at a model request, so there is something to resume.
    const cut = hangAt(between(random, 1, 6))
    const start = spawnTau(modelRun("C", db), tmp.root, modelEnv())
    const started = finished(start)
    await cut.reached
    start.kill("SIGKILL")
    await started
    cut.release()

    // Resume A waits in a model call (the server holds it) while resume B tries.
    const held = hangAt(1)
    const a = spawnTau(["run", "--resume", "C", "--db", db], tmp.root, modelEnv())
    const aDone = finished(a)
    await held.reached
    const b: TauResult = await tau(["run", "--resume", "C", "--db", db], tmp.root, modelEnv())
    expect(b.code).toBe(1)
    expect(b.stderr).toContain(`run C is being run or resumed by pid ${a.pid} on host ${hostname()}`)
    held.release()
    const aResult = await aDone
    expect(aResult.code, aResult.stderr).toBe(0)
    const run = await storedRun(db, "C")
    expect(run.rows).toHaveLength(4)
    expectComplete(run, "run resumed once")
    expect(Object.values(run.scores).map((s) => s.length)).toEqual([1, 1, 1, 1])
    // After A released the lease, a further resume is free to run (and has nothing to do).
    const c = await tau(["run", "--resume", "C", "--db", db], tmp.root, modelEnv())
    expect(c.code, c.stderr).toBe(0)
    expect(c.stderr).toContain("4 episodes were already finished and were skipped")
  })
})
