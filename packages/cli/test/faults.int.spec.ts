/**
 * kill -9 at random points of `tau experiment`, `tau counterfactual` and `tau fork` (`tau run`
 * has its own test: kill-resume.int.spec.ts), then resume, and compare with the same work done
 * without interruption: the same episode ids, the same events (all but wall-clock stamps), exactly
 * one score per episode per evaluator. Nothing lost, duplicated or misattributed.
 *
 * Kill points are what the process printed (the N-th progress line) or the model request it is
 * waiting for (the N-th request the local fake server receives), N from a seeded generator;
 * TAU_FAULT_SEED replays a sequence.
 */
import { writeFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  between,
  gatedModelServer,
  conversationOf,
  expectComplete,
  expectGapless,
  facts,
  faultSeed,
  modelCallsOf,
  runExists,
  runIds,
  runWithFault,
  storedRuns,
} from "./faults.ts"
import { finished, seededRandom, spawnTau, storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("cli-faults")
const seed = faultSeed()
const random = seededRandom(seed)
const log: string[] = []
let cases = 0

let models: Awaited<ReturnType<typeof gatedModelServer>>
beforeAll(async () => {
  models = await gatedModelServer()
})
afterAll(async () => {
  await models.close()
  tmp.dispose()
  console.log(`faults (TAU_FAULT_SEED=${seed}): ${cases} kills\n  ${log.join("\n  ")}`)
})

const modelEnv = () => models.env()
const hangAt = (n: number) => models.hangAt(n)

describe("kill -9, resume, compare with an uninterrupted run", () => {
  it("tau experiment (two cells) killed after random progress lines, resumed by running the file again", async () => {
    const script = tmp.file("give-up.json")
    writeFileSync(script, JSON.stringify([{ text: "Sorry, I cannot help with that. ###STOP###" }]))
    const file = tmp.file("faults.yaml")
    writeFileSync(file, `name: faults\ndomains: [demo]\nagents: [oracle, "scripted:${script}"]\ntrials: 4\nmax_concurrency: 2\n`)
    const [referenceDb, db] = [tmp.db(), tmp.db()]
    const reference = tau(["experiment", file, "--db", referenceDb], tmp.root)
    for (let i = 0; i < 4; i++) {
      // Kills hit the experiment, or (once cells exist) `tau run --resume` of one of its cells.
      const cells = await runIds(db, "faults")
      const cell = cells.length > 0 && random() < 0.4 ? cells[between(random, 0, cells.length - 1)] : null
      const endedIn = async (id: string) => (await storedRun(db, id)).rows.filter((r) => r.status === "ended").length
      const ended = cell ? await endedIn(cell) : 0
      const args = cell && ended < 40 - 12 ? ["run", "--resume", cell, "--db", db] : ["experiment", file, "--db", db]
      // The kill must land before the command finishes: never after more lines than it has left to print.
      let left = 40 - ended
      if (args[0] === "experiment") {
        left = 80
        for (const id of cells) left -= await endedIn(id)
      }
      const afterLines = between(random, 1, Math.max(1, Math.min(12, left - 1)))
      const matching = args[0] === "run" ? /^\[\d+\/\d+\] / : /^ {2}\[\d+\] /
      const killed = await runWithFault(args, tmp.root, { afterLines, matching, signals: ["SIGKILL"] })
      expect(killed.fired, killed.stderr).toBe(true)
      expect(killed.signal).toBe("SIGKILL")
      for (const [id, run] of Object.entries(await storedRuns(db, "faults"))) expectGapless(run, `${id} after kill ${i}`)
      log.push(`experiment: ${args[0] === "run" ? `tau run --resume ${cell}` : "tau experiment"} killed after ${afterLines} episodes`)
      cases++
    }
    const finish = await tau(["experiment", file, "--db", db], tmp.root)
    expect(finish.code, finish.stderr).toBe(0)
    expect((await reference).code).toBe(0)
    const [expected, actual] = [await storedRuns(referenceDb, "faults"), await storedRuns(db, "faults")]
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort())
    expect(Object.keys(actual)).toHaveLength(2)
    for (const id of Object.keys(expected)) {
      expectComplete(actual[id], id)
      expect(actual[id].rows).toHaveLength(40)
      expect(facts(actual[id]), id).toEqual(facts(expected[id]))
    }
  })

  it("tau counterfactual killed after random branches, resumed by the command or by tau run --resume of the batch", async () => {
    const [referenceDb, db] = [tmp.db(), tmp.db()]
    const parentArgs = (d: string) => ["run", "--domain", "demo", "--trials", "4", "--run-id", "P", "--db", d]
    const parents = await Promise.all([tau(parentArgs(referenceDb), tmp.root), tau(parentArgs(db), tmp.root)])
    expect(parents.map((p) => p.code)).toEqual([0, 0])
    const script = tmp.file("branch-agent.json")
    writeFileSync(script, JSON.stringify([{ text: "Let me stop here. ###STOP###" }]))
    const cf = (d: string) => ["counterfactual", "--run", "P", "--at-turn", "2", "--agent", `scripted:${script}`, "--max-concurrency", "2", "--json", "--db", d]
    const reference = await tau(cf(referenceDb), tmp.root)
    expect(reference.code, reference.stderr).toBe(0)
    const batch = String(JSON.parse(reference.stdout).run_id)
    for (let i = 0; i < 3; i++) {
      const afterLines = between(random, 1, 10)
      // The first kill hits the command; later ones hit either way of resuming it.
      const args = i > 0 && random() < 0.5 ? ["run", "--resume", batch, "--db", db] : cf(db)
      const matching = args[0] === "run" ? /^\[\d+\] / : /^ {2}ep_\w+ -> ep_\w+: /
      const killed = await runWithFault(args, tmp.root, { afterLines, matching, signals: ["SIGKILL"] })
      expect(killed.fired, killed.stderr).toBe(true)
      expect(killed.signal).toBe("SIGKILL")
      expectGapless(await storedRun(db, batch), `branches after kill ${i}`)
      log.push(`counterfactual: ${args[0]} killed after ${afterLines} branches`)
      cases++
    }
    const finish = await tau(["run", "--resume", batch, "--db", db], tmp.root)
    expect(finish.code, finish.stderr).toBe(0)
    const [expected, actual] = [await storedRun(referenceDb, batch), await storedRun(db, batch)]
    expect(actual.rows).toHaveLength(40)
    expectComplete(actual, "branches")
    expect(facts(actual)).toEqual(facts(expected))
    // The parents were not touched.
    expect(facts(await storedRun(db, "P"))).toEqual(facts(await storedRun(referenceDb, "P")))
  })

  it("tau fork with a model agent killed at random model requests, continued by tau run --resume of the forks run", async () => {
    const [referenceDb, db] = [tmp.db(), tmp.db()]
    const parentArgs = (d: string) => ["run", "--domain", "demo", "--task-ids", "renew_loan", "--run-id", "F", "--json", "--db", d]
    const parents = await Promise.all([tau(parentArgs(referenceDb), tmp.root), tau(parentArgs(db), tmp.root)])
    expect(parents.map((p) => p.code)).toEqual([0, 0])
    const parent = String(JSON.parse(parents[0].stdout.trim()).episode_id)
    const fork = (d: string) => ["fork", parent, "--at-turn", "2", "--agent", "openai:demo", "--user", "openai:demo", "--json", "--db", d]
    const reference = await tau(fork(referenceDb), tmp.root, modelEnv())
    expect(reference.code, reference.stderr).toBe(0)
    for (let i = 0; i < 2; i++) {
      const at = between(random, 1, 3)
      const hang = hangAt(at)
      const started = (await runExists(db, "F~forks")) && (await storedRun(db, "F~forks")).rows.length > 0
      const child = spawnTau(started ? ["run", "--resume", "F~forks", "--db", db] : fork(db), tmp.root, modelEnv())
      const done = finished(child)
      await hang.reached
      child.kill("SIGKILL")
      const killed = await done
      hang.release()
      expect(killed.signal).toBe("SIGKILL")
      const forks = await storedRun(db, "F~forks")
      expectGapless(forks, `forks after kill ${i}`)
      expect(forks.rows.map((r) => r.status)).toEqual(["running"])
      log.push(`fork: ${started ? "resume" : "fork"} killed waiting for model request ${at}`)
      cases++
    }
    const finish = await tau(["run", "--resume", "F~forks", "--db", db], tmp.root, modelEnv())
    expect(finish.code, finish.stderr).toBe(0)
    const [expected, actual] = [await storedRun(referenceDb, "F~forks"), await storedRun(db, "F~forks")]
    expectComplete(actual, "forks")
    expect(actual.rows).toHaveLength(1)
    const [e, a] = [expected.rows[0].episodeId, actual.rows[0].episodeId]
    expect(conversationOf(actual.events[a])).toEqual(conversationOf(expected.events[e]))
    // No recorded turn was paid for twice: as many successful model calls as without the kills.
    expect(modelCallsOf(actual.events[a])).toBe(modelCallsOf(expected.events[e]))
    expect(actual.scores[a].map((s) => s.reward)).toEqual(expected.scores[e].map((s) => s.reward))
  })
})
