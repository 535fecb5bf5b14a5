/**
 * A run is what it was created as. `tau run --run-id X` with another agent, domain, trials, limits
 * or data than run X is an error that lists the differences and stores nothing; the same
 * configuration continues it; `--resume` takes the stored configuration, whatever kind of run it
 * is and however old (configs stored before `kind` existed still decode), and refuses flags that
 * contradict it. Unknown runs, episodes and stores are named. A run whose episodes all errored
 * fails. Reports never pool forks made by different agents under one label, and a τ² export of
 * such a run is refused rather than labelled with one agent.
 */
import { chmodSync, cpSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { needsData } from "@tau-sim/domains/testing"
import { type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import type { RunRecord } from "@tau-sim/engine"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { expectComplete, facts, runWithFault, storedRuns } from "./faults.ts"
import { jsonLines, readStore, storedRun, tau, tempDir } from "./tau.ts"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

const tmp = tempDir("cli-identity")
afterAll(tmp.dispose)

const run = (db: string, ...extra: string[]) => tau(["run", "--domain", "demo", "--trials", "2", "--run-id", "R", "--db", db, ...extra], tmp.root)

/** Everything in the store: run records (config included) and every episode's events and scores. */
const everything = async (db: string) => ({
  runs: await readStore(db, ({ store }) => Effect.runPromise(store.listRuns())),
  episodes: Object.fromEntries(Object.entries(await storedRuns(db)).map(([id, r]) => [id, facts(r)])),
})

const getRun = (db: string, runId: string) => readStore(db, ({ store }) => Effect.runPromise(store.getRun(runId)))
const putRun = (db: string, record: RunRecord) => readStore(db, ({ store }) => Effect.runPromise(store.putRun(record)))

describe("fixed run identity", () => {
  const db = tmp.db()
  beforeAll(async () => {
    const first = await run(db)
    expect(first.code, first.stderr).toBe(0)
  })

  it("--run-id of an existing run with another agent: an error listing the difference, nothing stored", async () => {
    const script = tmp.file("agent.json")
    writeFileSync(script, JSON.stringify([{ text: "###STOP###" }]))
    const before = await everything(db)
    const r = await run(db, "--agent", `scripted:${script}`)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("run R was created with another configuration; nothing was stored.")
    expect(r.stderr).toContain(`agent: run has "oracle", requested "scripted:${script}"`)
    expect(r.stderr).toContain("tau run --resume R")
    expect(await everything(db)).toEqual(before)
  })

  data.it("--run-id with another domain, trials and limits: every difference is listed, nothing stored", async () => {
    const before = await everything(db)
    const [r, other] = await Promise.all([
      tau(["run", "--domain", "mock", "--data-dir", TAU2_DATA_DIR, "--trials", "2", "--run-id", "R", "--db", db], tmp.root),
      tau(["run", "--domain", "demo", "--trials", "3", "--max-steps", "50", "--seed", "7", "--run-id", "R", "--db", db], tmp.root),
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('domain: run has "demo", requested "mock"')
    expect(r.stderr).toContain("hashes.data: run has")
    expect(other.code).toBe(1)
    for (const line of ["trials: run has 2, requested 3", "maxSteps: run has 200, requested 50", "seed: run has 300, requested 7"])
      expect(other.stderr).toContain(line)
    expect(await everything(db)).toEqual(before)
  })

  it("--run-id with the same configuration continues the run (nothing is run twice)", async () => {
    const before = await everything(db)
    const r = await run(db, "--max-concurrency", "1")
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain("20 episodes were already finished and were skipped")
    expect((await everything(db)).episodes).toEqual(before.episodes)
  })

  it("--resume takes the stored configuration; a contradicting flag is refused, an agreeing one accepted", async () => {
    const [refused, both] = await Promise.all([
      tau(["run", "--resume", "R", "--trials", "5", "--db", db], tmp.root),
      tau(["run", "--resume", "R", "--run-id", "R", "--db", db], tmp.root),
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("trials: run has 2, requested 5")
    const agreeing = await tau(["run", "--resume", "R", "--trials", "2", "--agent", "oracle", "--db", db], tmp.root)
    expect(agreeing.code, agreeing.stderr).toBe(0)
    expect(both.code).toBe(2)
    expect(both.stderr).toContain("give --resume RUN or --run-id RUN, not both")
  })

  data.it("--resume --data-dir continues a stopped run on moved data; changed data is a mismatch", async () => {
    const copy = (name: string) => {
      const dir = tmp.file(name)
      cpSync(`${TAU2_DATA_DIR}/domains/mock`, `${dir}/domains/mock`, { recursive: true })
      return dir
    }
    const [original, changed] = [copy("data-a"), copy("data-c")]
    const db = tmp.db()
    const args = ["run", "--domain", "mock", "--data-dir", original, "--trials", "6", "--max-concurrency", "2", "--run-id", "D", "--db", db]
    const stopped = await runWithFault(args, tmp.root, { afterLines: 3, matching: /^\[\d+\/\d+\] /, signals: ["SIGTERM"] })
    expect(stopped.code, stopped.stderr).toBe(143)
    const moved = tmp.file("data-b")
    renameSync(original, moved)
    const dbFile = `${changed}/domains/mock/db.json`
    chmodSync(dbFile, 0o644)
    writeFileSync(dbFile, readFileSync(dbFile, "utf8").replace('"Test User"', '"Another User"'))
    const refused = await tau(["run", "--resume", "D", "--data-dir", changed, "--db", db], tmp.root)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("hashes.data: run has")
    const resumed = await tau(["run", "--resume", "D", "--data-dir", moved, "--db", db], tmp.root)
    expect(resumed.code, resumed.stderr).toBe(0)
    expectComplete(await storedRun(db, "D"), "run on moved data")
  })

  it("a config stored before runs had a kind (and hashes) still decodes and resumes", async () => {
    const legacyDb = tmp.db()
    const first = await tau(["run", "--domain", "demo", "--task-ids", "renew_loan,return_book", "--trials", "2", "--run-id", "L", "--db", legacyDb], tmp.root)
    expect(first.code, first.stderr).toBe(0)
    const stored = (await getRun(legacyDb, "L")) as RunRecord
    const { kind: _kind, hashes: _hashes, ...legacy } = stored.config as Record<string, unknown>
    await putRun(legacyDb, { ...stored, config: legacy })
    const resumed = await tau(["run", "--resume", "L", "--db", legacyDb], tmp.root)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toContain("4 episodes were already finished and were skipped")
  })
})

describe("every kind of run resumes, and unknown things are named", () => {
  it("--resume of a forks run stored the old way ({forksOf}) continues it instead of crashing", async () => {
    const db = tmp.db()
    const parent = await tau(["run", "--domain", "demo", "--task-ids", "renew_loan", "--run-id", "P", "--json", "--db", db], tmp.root)
    const parentId = String(jsonLines(parent.stdout)[0].episode_id)
    const fork = await tau(["fork", parentId, "--at-turn", "2", "--json", "--db", db], tmp.root)
    expect(fork.code, fork.stderr).toBe(0)
    const child = String(jsonLines(fork.stdout)[0].episode_id)
    // A fork of a fork joins the same forks run, and show finds it as the child's child.
    const grand = await tau(["fork", child, "--at-turn", "3", "--json", "--db", db], tmp.root)
    expect(grand.code, grand.stderr).toBe(0)
    const grandId = String(jsonLines(grand.stdout)[0].episode_id)
    expect((await storedRun(db, "P~forks")).rows.map((r) => r.episodeId).sort()).toEqual([child, grandId].sort())
    const shown = await tau(["show", child, "--json", "--db", db], tmp.root)
    expect((jsonLines(shown.stdout)[0] as { children: Array<{ episode_id: string }> }).children.map((c) => c.episode_id)).toEqual([grandId])
    const forks = (await getRun(db, "P~forks")) as RunRecord
    expect(forks.config).toEqual({ kind: "forks", forksOf: "P" })
    await putRun(db, { ...forks, config: { forksOf: "P" } })
    const resumed = await tau(["run", "--resume", "P~forks", "--db", db], tmp.root)
    expect(resumed.stderr).not.toContain("TypeError")
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toContain("2 episodes were already finished and were skipped")
    expectComplete(await storedRun(db, "P~forks"), "forks")
  })

  it("--resume of an imported run points at tau import with the file", async () => {
    const db = tmp.db()
    const created = await run(db)
    expect(created.code).toBe(0)
    const config = { kind: "import", source: "tau2-results", file: "/data/results.json", domain: "airline", dataDir: "/data/tau2", policyVariant: "default" }
    await putRun(db, { runId: "tau2_abc", createdAt: "2026-01-01T00:00:00.000Z", config, experiment: null })
    const [r, withFlags] = await Promise.all([
      tau(["run", "--resume", "tau2_abc", "--db", db], tmp.root),
      tau(["run", "--resume", "tau2_abc", "--agent", "oracle", "--db", db], tmp.root),
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("run tau2_abc is an import of /data/results.json")
    expect(r.stderr).toContain("tau import tau2 /data/results.json --data-dir /data/tau2")
    expect(withFlags.code).toBe(2)
    expect(withFlags.stderr).toContain("--agent cannot be given with --resume of an import of /data/results.json")
  })

  it("unknown run, episode and store are errors naming the id and the db; no store is created", async () => {
    const db = tmp.db()
    expect((await run(db)).code).toBe(0)
    const missing = tmp.file("typo.db")
    const commands = [
      ["run", "--resume", "nope"],
      ["fork", "ep_nope", "--at-turn", "2"],
      ["counterfactual", "--run", "nope", "--at-turn", "2"],
    ]
    const [noRun, noEpisode, noCf, ...noStore] = await Promise.all([
      ...commands.map((args) => tau([...args, "--db", db], tmp.root)),
      ...commands.map((args) => tau([...args, "--db", missing], tmp.root)),
    ])
    expect([noRun.code, noEpisode.code, noCf.code]).toEqual([1, 1, 1])
    expect(noRun.stderr).toContain(`run nope not found in ${db}`)
    expect(noEpisode.stderr).toContain(`episode ep_nope not found in ${db}`)
    expect(noCf.stderr).toContain(`run nope not found in ${db}`)
    for (const r of noStore) {
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toContain(`no event store at ${missing}`)
    }
    expect(existsSync(missing)).toBe(false)
  })
})

describe("a run whose episodes all errored", () => {
  let server: FakeLlmServer
  beforeAll(async () => {
    server = await startFakeLlmServer({ brain: () => ({ type: "error", status: 500, message: "provider down" }) })
  })
  afterAll(() => server.close())

  it("exits non-zero with a summary saying so", async () => {
    const db = tmp.db()
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/API_KEY|BASE_URL/.test(k)))
    const r = await tau(
      [
        "run",
        "--domain",
        "demo",
        "--task-ids",
        "renew_loan,return_book",
        "--agent",
        "openai:demo",
        "--user",
        "openai:demo",
        "--model-retries",
        "0",
        "--run-id",
        "E",
        "--db",
        db,
      ],
      tmp.root,
      { ...env, OPENAI_API_KEY: "sk-local-test", OPENAI_BASE_URL: server.baseURL },
    )
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("run E: all 2 episodes errored (infrastructure_error: 2); nothing was evaluated")
  })
})

describe("reports group episodes by the configuration they ran with", () => {
  it("forks of one run made by two different agents are two cells, each with its own agent", async () => {
    const db = tmp.db()
    const parent = await tau(["run", "--domain", "demo", "--task-ids", "renew_loan,return_book", "--run-id", "G", "--json", "--db", db], tmp.root)
    const ids = jsonLines(parent.stdout).map((l) => String(l.episode_id))
    const script = tmp.file("stopper.json")
    writeFileSync(script, JSON.stringify([{ text: "I will stop now. ###STOP###" }]))
    const forks = [
      [ids[0], "oracle"],
      [ids[1], "oracle"],
      [ids[0], `scripted:${script}`],
      [ids[1], `scripted:${script}`],
    ]
    for (const f of await Promise.all(forks.map(([id, agent]) => tau(["fork", id, "--at-turn", "2", "--agent", agent, "--db", db], tmp.root)))) {
      expect(f.code, f.stderr).toBe(0)
    }
    const report = await tau(["report", "--run", "G~forks", "--format", "json", "--db", db], tmp.root)
    expect(report.code, report.stderr).toBe(0)
    const cells = (JSON.parse(report.stdout) as { cells: Array<{ agent: string; label: string; episodes: { total: number }; avg_reward: number }> }).cells
    expect(cells.map((c) => [c.agent, c.episodes.total, c.avg_reward])).toEqual([
      ["oracle", 2, 1],
      [`scripted:${script}`, 2, 0],
    ])
    expect(new Set(cells.map((c) => c.label)).size).toBe(2)

    // A τ² results file has one agent: the mixed forks run is refused, naming both; the parent run says who ran it.
    const mixed = await tau(["export", "tau2", "--run", "G~forks", "--out", tmp.file("forks.json"), "--db", db], tmp.root)
    expect(mixed.code).toBe(1)
    expect(mixed.stderr).toContain("run G~forks has episodes of 2 configurations")
    expect(mixed.stderr).toContain(`agent scripted:${script} / user scripted`)
    expect(mixed.stderr).toContain("agent oracle / user scripted")
    const single = await tau(["export", "tau2", "--run", "G", "--out", tmp.file("parent.json"), "--db", db], tmp.root)
    expect(single.code, single.stderr).toBe(0)
    expect(JSON.parse(readFileSync(tmp.file("parent.json"), "utf8")).info.agent_info.implementation).toBe("oracle")
  })
})
