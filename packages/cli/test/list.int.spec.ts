/**
 * `tau list runs` and `tau list episodes` (issue 14 item 1) over a real store with passing, failing,
 * errored, forked and re-scored episodes: every filter gives exactly the episodes the stored rows
 * and start events say (worked out here from the store itself, not from the command's code), the
 * runs' numbers are the report's, tables fit `COLUMNS`, and a Postgres store lists the same.
 */
import { openPostgresStore } from "@tau-sim/store-pg"
import { needsPostgres } from "@tau-sim/store-pg/testing"
import { isSuccessful } from "@tau-sim/evaluators"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, readRun, type StoredRun, storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("list")
afterAll(tmp.dispose)
const db = tmp.db()
const LONG_RUN = `r_${"long".repeat(30)}`
const down = ["--task-ids", "renew_loan,return_book", "--agent", "compat:down@http://127.0.0.1:1/v1", "--model-retries", "0"]

/** The runs every store of this file gets (the same ids, so the same episode ids). */
const runs: ReadonlyArray<ReadonlyArray<string>> = [
  ["run", "--domain", "demo", "--trials", "2", "--run-id", "ok"],
  ["run", "--domain", "demo", "--agent", "noisy-oracle:0.5", "--trials", "2", "--run-id", "noisy"],
  ["run", "--domain", "demo", ...down, "--run-id", "down"],
  ["run", "--domain", "demo", "--num-tasks", "1", "--run-id", LONG_RUN],
]

const fill = async (store: string) => {
  for (const args of runs) {
    const r = await tau([...args, "--db", store, "--json"], tmp.root)
    // The run of a refused model server fails (every episode errored), having stored them.
    expect(r.stderr).not.toMatch(/usage|Error:/)
  }
}

interface Expected {
  readonly id: string
  readonly run: string
  readonly task: string
  readonly termination: string | null
  readonly reward: number | null
  readonly status: string
  readonly agent: string
  readonly mode: string
  readonly evaluators: ReadonlyArray<string>
}

/** Every episode of the store, as its rows, start events and scores have it. */
const everything = (stored: Record<string, StoredRun>): Expected[] =>
  Object.values(stored).flatMap((run) =>
    run.rows.map((row) => {
      const start = run.events[row.episodeId][0]?.event
      if (start?._tag !== "EpisodeStarted") throw new Error(`${row.episodeId} has no start`)
      return {
        id: row.episodeId,
        run: row.runId,
        task: row.taskId,
        termination: row.terminationReason,
        reward: row.reward,
        status: row.status,
        agent: start.agent,
        mode: start.mode,
        evaluators: run.scores[row.episodeId].map((s) => `${s.evaluator}@${s.evaluatorVersion}`),
      }
    }),
  )

/** By id: episodes run concurrently are stored in the order they end. */
const byId = (rows: Array<Record<string, unknown>>) => [...rows].sort((a, b) => String(a.episode_id).localeCompare(String(b.episode_id)))
const ids = (stdout: string) => jsonLines(stdout).map((l) => String(l.episode_id))
const sorted = (xs: ReadonlyArray<string>) => [...xs].sort()

describe("tau list over SQLite", () => {
  let all: Expected[] = []
  let forkId = ""

  beforeAll(async () => {
    await fill(db)
    const ok = jsonLines((await tau(["list", "episodes", "--run", "ok", "--json", "--db", db], tmp.root)).stdout)
    // A fork under another agent: its start says noisy-oracle:1, its run (ok~forks) says nothing of agents.
    const forked = await tau(["fork", String(ok[0].episode_id), "--at-turn", "1", "--agent", "noisy-oracle:1", "--json", "--db", db], tmp.root)
    expect(forked.code, forked.stderr).toBe(0)
    forkId = String(JSON.parse(forked.stdout).episode_id)
    const rescored = await tau(["rescore", "--run", "noisy", "--evaluator-version", "v9", "--db", db, "--json"], tmp.root)
    expect(rescored.code, rescored.stderr).toBe(0)
    const stored: Record<string, StoredRun> = {}
    for (const run of ["ok", "noisy", "down", LONG_RUN, "ok~forks"]) stored[run] = await storedRun(db, run)
    all = everything(stored)
  }, 120_000)

  const list = async (...args: string[]) => {
    const r = await tau(["list", "episodes", ...args, "--json", "--db", db], tmp.root)
    expect(r.code, r.stderr).toBe(0)
    return sorted(ids(r.stdout))
  }
  const expected = (keep: (e: Expected) => boolean) => sorted(all.filter(keep).map((e) => e.id))

  it("the store has what the filters tell apart", () => {
    // Two tasks on a refused server: each errored, and so did its retry.
    expect(all.filter((e) => e.termination === "infrastructure_error")).toHaveLength(4)
    expect(all.filter((e) => e.reward === 0).length).toBeGreaterThan(0)
    expect(all.filter((e) => e.agent === "noisy-oracle:1").map((e) => e.id)).toEqual([forkId])
  })

  it("every filter gives exactly the episodes the store says", async () => {
    expect(await list()).toEqual(expected(() => true))
    expect(await list("--run", "noisy")).toEqual(expected((e) => e.run === "noisy"))
    expect(await list("--task", "renew")).toEqual(expected((e) => e.task.includes("renew")))
    expect(await list("--termination", "infrastructure_error")).toEqual(expected((e) => e.termination === "infrastructure_error"))
    expect(await list("--errored")).toEqual(expected((e) => e.termination === "infrastructure_error"))
    expect(await list("--failed")).toEqual(
      expected((e) => e.status === "ended" && e.termination !== "infrastructure_error" && (e.reward === null || !isSuccessful(e.reward))),
    )
    expect(await list("--reward-max", "0.5")).toEqual(expected((e) => e.reward !== null && e.reward <= 0.5))
    expect(await list("--reward-min", "0.5", "--run", "noisy")).toEqual(expected((e) => e.run === "noisy" && e.reward !== null && e.reward >= 0.5))
    expect(await list("--agent", "noisy-oracle:1")).toEqual([forkId])
    expect(await list("--agent", "oracle", "--mode", "default")).toEqual(expected((e) => e.agent === "oracle" && e.mode === "default"))
    expect(await list("--mode", "no-user")).toEqual([])
    expect(await list("--evaluator-version", "tau2@v9")).toEqual(expected((e) => e.evaluators.includes("tau2@v9")))
    expect(await list("--evaluator-version", "tau2@v9").then((x) => x.length)).toBe(all.filter((e) => e.run === "noisy").length)
    expect(await list("--domain", "demo", "--limit", "3").then((x) => x.length)).toBe(3)
    expect(await list("--domain", "airline")).toEqual([])
  })

  it("--errored with --failed is a usage error; an unknown run is named", async () => {
    const both = await tau(["list", "episodes", "--errored", "--failed", "--db", db], tmp.root)
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/--errored and --failed/)
    const unknown = await tau(["list", "episodes", "--run", "nope", "--db", db], tmp.root)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/nope/)
  })

  it("list runs: one JSON line per run with the numbers tau report gives", async () => {
    const r = await tau(["list", "runs", "--json", "--db", db], tmp.root)
    expect(r.code, r.stderr).toBe(0)
    const rows = jsonLines(r.stdout)
    expect(rows.map((x) => x.run_id)).toEqual(["ok", "noisy", "down", LONG_RUN, "ok~forks"])
    for (const row of rows.filter((x) => x.run_id !== "ok~forks")) {
      const report = JSON.parse((await tau(["report", "--run", String(row.run_id), "--format", "json", "--db", db], tmp.root)).stdout)
      const cell = report.cells[0]
      expect(row.avg_reward, String(row.run_id)).toEqual(cell.avg_reward)
      expect(row.pass_hat_k, String(row.run_id)).toEqual(cell.pass_hat_k)
      expect(row.errored, String(row.run_id)).toBe(cell.infra_errors)
    }
    expect(rows.find((x) => x.run_id === "ok~forks")).toMatchObject({ kind: "forks", agent: "noisy-oracle:1", episodes: 1 })
    expect(rows.find((x) => x.run_id === "down")).toMatchObject({
      agent: "compat:down@http://127.0.0.1:1/v1",
      episodes: 2,
      retried: 2,
      errored: 2,
      avg_reward: null,
    })
    const errored = jsonLines((await tau(["list", "runs", "--errored", "--json", "--db", db], tmp.root)).stdout)
    expect(errored.map((x) => x.run_id)).toEqual(["down"])
    const noisy = jsonLines((await tau(["list", "runs", "--agent", "noisy-oracle:0.5", "--json", "--db", db], tmp.root)).stdout)
    expect(noisy.map((x) => x.run_id)).toEqual(["noisy"])
  })

  it("tables fit COLUMNS, long ids cut with an ellipsis; a pipe without COLUMNS gets them whole", async () => {
    for (const command of ["runs", "episodes"]) {
      const narrow = await tau(["list", command, "--db", db], tmp.root, { ...process.env, COLUMNS: "100" })
      expect(narrow.code, narrow.stderr).toBe(0)
      const lines = narrow.stdout.split("\n")
      expect(Math.max(...lines.map((l) => l.length)), `${command}:\n${narrow.stdout}`).toBeLessThanOrEqual(100)
      if (command === "runs") {
        expect(narrow.stdout).toContain("r_long")
        expect(narrow.stdout).toContain("…")
        expect(narrow.stdout).not.toContain(LONG_RUN)
      }
      const { COLUMNS: _, ...env } = process.env
      const wide = await tau(["list", command, "--db", db], tmp.root, env)
      expect(wide.stdout).toContain(LONG_RUN)
      expect(wide.stdout).not.toContain("…")
    }
  })
})

const pg = needsPostgres()

pg.describe("tau list over PostgreSQL", () => {
  it("lists what SQLite lists for the same runs, filters included", async () => {
    const url = pg.server().createDatabase("tau_list")
    const sqlite = tmp.db()
    await fill(url)
    await fill(sqlite)
    for (const args of [[], ["--errored"], ["--failed"], ["--run", "noisy", "--reward-max", "0"], ["--agent", "oracle"], ["--evaluator-version", "tau2"]]) {
      const fromPg = await tau(["list", "episodes", ...args, "--json", "--db", url], tmp.root)
      const fromSqlite = await tau(["list", "episodes", ...args, "--json", "--db", sqlite], tmp.root)
      expect(fromPg.code, fromPg.stderr).toBe(0)
      expect(byId(jsonLines(fromPg.stdout)), args.join(" ")).toEqual(byId(jsonLines(fromSqlite.stdout)))
      expect(jsonLines(fromPg.stdout).length, args.join(" ")).toBeGreaterThan(0)
    }
    const runsPg = jsonLines((await tau(["list", "runs", "--json", "--db", url], tmp.root)).stdout)
    const runsSqlite = jsonLines((await tau(["list", "runs", "--json", "--db", sqlite], tmp.root)).stdout)
    const withoutTimes = (rows: Array<Record<string, unknown>>) => rows.map(({ created_at: _, ...rest }) => rest)
    expect(withoutTimes(runsPg)).toEqual(withoutTimes(runsSqlite))
    // The command read the Postgres store itself: its rows are there.
    const { store, close } = await openPostgresStore(url, { mustExist: true })
    try {
      const noisy = await Effect.runPromise(readRun(store, "noisy"))
      expect(noisy.rows.length).toBe(jsonLines((await tau(["list", "episodes", "--run", "noisy", "--json", "--db", url], tmp.root)).stdout).length)
    } finally {
      await close()
    }
  }, 180_000)
})
