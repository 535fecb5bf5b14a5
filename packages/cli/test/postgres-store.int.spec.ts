/**
 * `--db postgres://…` through the real CLI on a throwaway PostgreSQL (started for this file, with
 * a password in its URLs): a demo run, then `replay --all --verify`, `show`, `report` and a
 * `rescore` over it; the password in no output, error line or stored row; a row edited in
 * Postgres behind the store's back (as a hand edit would) is what `verify` names; a database
 * without a store is refused by name for the commands that only read.
 */
import * as fs from "node:fs"
import { join } from "node:path"
import { openPostgresStore } from "@tau-sim/store-pg"
import { needsPostgres } from "@tau-sim/store-pg/testing"
import { Effect } from "effect"
import { afterAll, expect, it } from "vitest"
import { facts, runWithFault } from "./faults.ts"
import { demoRunArgs, jsonLines, readRun, REPO, type StoredRun, storedRun, tau, tempDir } from "./tau.ts"

const pg = needsPostgres()
const tmp = tempDir("postgres-store")
afterAll(tmp.dispose)
const RUN = "run_pg"

/** Every text the database holds, table by table (what a leaked secret would be found in). */
const dumpAll = (database: string): string =>
  pg
    .server()
    .psql(
      database,
      "SELECT string_agg(t::text, E'\\n') FROM (SELECT e::text AS t FROM events e UNION ALL SELECT r::text FROM runs r UNION ALL SELECT s::text FROM scores s UNION ALL SELECT b::text FROM blobs b UNION ALL SELECT p::text FROM episodes p UNION ALL SELECT l::text FROM leases l) x",
    )

/** A run as `storedRun` reads it from SQLite, read from a Postgres store. */
const storedPgRun = async (url: string, runId: string): Promise<StoredRun> => {
  const { store, close } = await openPostgresStore(url, { mustExist: true })
  try {
    return await Effect.runPromise(readRun(store, runId))
  } finally {
    await close()
  }
}

pg.describe("tau --db postgres://", () => {
  let url = ""
  let episodes: Array<string> = []
  const outputs: Array<string> = []
  const run = async (args: ReadonlyArray<string>, db = url, env?: NodeJS.ProcessEnv) => {
    const result = await tau([...args, "--db", db], tmp.root, env)
    outputs.push(result.stdout, result.stderr)
    return result
  }

  it("runs the demo into Postgres, and replay --verify, show, report and rescore read it back", async () => {
    url = pg.server().createDatabase("tau_cli")
    const ran = await run(["run", "--domain", "demo", "--agent", "oracle", "--user", "scripted", "--trials", "2", "--run-id", RUN, "--json"])
    expect(ran.code, ran.stderr).toBe(0)
    const lines = jsonLines(ran.stdout)
    episodes = lines.map((l) => String(l.episode_id))
    expect(episodes.length).toBeGreaterThanOrEqual(4)
    expect(lines.every((l) => l.run_id === RUN && l.reward === 1)).toBe(true)
    // The rows are in Postgres, hash-chained as SQLite's are.
    expect(Number(pg.server().psql("tau_cli", "SELECT count(DISTINCT episode_id) FROM events").trim())).toBe(episodes.length)
    expect(Number(pg.server().psql("tau_cli", "SELECT count(*) FROM events WHERE hash IS NULL").trim())).toBe(0)

    const verified = await run(["replay", "--all", "--verify", "--json"])
    expect(verified.code, verified.stderr).toBe(0)
    const rows = jsonLines(verified.stdout)
    expect(rows.map((r) => r.episode_id).sort()).toEqual([...episodes].sort())
    expect(rows.every((r) => r.verified === true)).toBe(true)

    const shown = await run(["show", episodes[0], "--json"])
    expect(shown.code, shown.stderr).toBe(0)
    expect(JSON.parse(shown.stdout)).toMatchObject({ episode_id: episodes[0] })

    const report = await run(["report", "--run", RUN, "--format", "md"])
    expect(report.code, report.stderr).toBe(0)
    expect(report.stdout).toContain("pass^1")

    const rescored = await run(["rescore", "--run", RUN, "--json"])
    expect(rescored.code, rescored.stderr).toBe(0)
    expect(Number(pg.server().psql("tau_cli", `SELECT count(*) FROM scores`).trim())).toBe(2 * episodes.length)
  })

  it("takes the password from PGPASSWORD for a URL without one", async () => {
    const server = pg.server()
    const bare = url.replace(`:${server.password}@`, "@")
    expect(bare).not.toContain(server.password)
    const without = await run(["show", episodes[0], "--json"], bare, { ...process.env, PGPASSWORD: "" })
    expect(without.code).not.toBe(0)
    const withEnv = await run(["show", episodes[0], "--json"], bare, { ...process.env, PGPASSWORD: server.password })
    expect(withEnv.code, withEnv.stderr).toBe(0)
  })

  it("refuses a database without a store for commands that only read, naming it without credentials", async () => {
    const server = pg.server()
    const empty = server.createDatabase("tau_empty")
    const shown = await run(["show", "ep_x"], empty)
    expect(shown.code).not.toBe(0)
    expect(shown.stderr).toContain(`no event store at postgres://127.0.0.1:${server.port}/tau_empty`)
    expect(server.psql("tau_empty", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").trim()).toBe("0")
    // A wrong password: an error line naming the store, the password (right or wrong) in none of it.
    const wrong = `wrong-${server.password.slice(-12)}`
    const denied = await run(["show", "ep_x"], url.replace(server.password, wrong))
    expect(denied.code).not.toBe(0)
    expect(denied.stderr).toMatch(/error: .*(postgres:\/\/127\.0\.0\.1|password)/)
    expect(denied.stderr).not.toContain(wrong)
    // The viewer reads Postgres too (view-postgres.int.spec.ts), and refuses a database without a store, by name.
    const viewed = await run(["view", "--port", "0"], empty)
    expect(viewed.code).not.toBe(0)
    expect(viewed.stderr).toContain(`no event store at postgres://127.0.0.1:${server.port}/tau_empty`)
  })

  it("verify names an event row edited in Postgres, and only that episode", async () => {
    const victim = episodes[1]
    const message = `episode_id = '${victim}' AND tag = 'MessageSent' AND body LIKE '%"text":"%'`
    const seq = Number(pg.server().psql("tau_cli", `SELECT min(seq) FROM events WHERE ${message}`).trim())
    const edited = pg
      .server()
      .psql("tau_cli", `UPDATE events SET body = replace(body, '"text":"', '"text":"(edited) ') WHERE ${message} AND seq = ${seq} RETURNING seq`)
    expect(edited.trim()).toBe(String(seq))
    const verified = await run(["replay", "--all", "--verify", "--json"])
    expect(verified.code, verified.stderr).toBe(2)
    const rows = jsonLines(verified.stdout)
    expect(rows.filter((r) => r.verified !== true).map((r) => r.episode_id)).toEqual([victim])
    const findings = rows.find((r) => r.episode_id === victim)?.findings as Array<Record<string, unknown>>
    expect(findings).toContainEqual(expect.objectContaining({ kind: "chain", seq, looks_like: "edited" }))
    // A deleted score is named too (the score chain).
    pg.server().psql("tau_cli", `DELETE FROM scores WHERE id = (SELECT min(id) FROM scores WHERE episode_id = '${episodes[2]}')`)
    const again = await run(["replay", "--all", "--verify", "--json"])
    expect(again.code).toBe(2)
    expect(
      jsonLines(again.stdout)
        .filter((r) => r.verified !== true)
        .map((r) => r.episode_id)
        .sort(),
    ).toEqual([victim, episodes[2]].sort())
  })

  it("a run SIGKILLed twice and resumed stores exactly what an uninterrupted SQLite run does", async () => {
    const killed = pg.server().createDatabase("tau_kill")
    const args = (db: string) => demoRunArgs(db, "run_k", 3)
    const sqlite = tmp.db()
    const reference = await tau(args(sqlite), tmp.root)
    expect(reference.code, reference.stderr).toBe(0)
    for (const [i, afterLines] of [4, 9].entries()) {
      const fault = { afterLines, matching: /^\[\d+\/\d+\] /, signals: ["SIGKILL" as const] }
      const result = await runWithFault(i === 0 ? args(killed) : ["run", "--resume", "run_k", "--json", "--db", killed], tmp.root, fault)
      outputs.push(result.stdout, result.stderr)
      expect(result.fired && result.signal, result.stderr).toBe("SIGKILL")
    }
    const resumed = await run(["run", "--resume", "run_k", "--json"], killed)
    expect(resumed.code, resumed.stderr).toBe(0)
    const [pgRun, sqliteRun] = [await storedPgRun(killed, "run_k"), await storedRun(sqlite, "run_k")]
    expect(pgRun.rows.length).toBe(30)
    expect(facts(pgRun)).toEqual(facts(sqliteRun))
    const verified = await run(["replay", "--all", "--verify"], killed)
    expect(verified.code, verified.stdout).toBe(0)
  })

  it("never shows or stores the password", () => {
    const password = pg.server().password
    expect(outputs.length).toBeGreaterThan(0)
    for (const text of outputs) expect(text).not.toContain(password)
    for (const database of ["tau_cli", "tau_kill"]) expect(dumpAll(database)).not.toContain(password)
  })
})

it("keeps the Postgres store out of the bundle's start-up: its code is a chunk loaded only for a postgres:// --db", () => {
  const bundle = join(REPO, "packages/cli/dist/tau.mjs")
  if (!fs.existsSync(bundle)) return
  expect(fs.readFileSync(bundle, "utf8")).not.toContain("pg_advisory_xact_lock")
  const chunks = join(REPO, "packages/cli/dist/chunks")
  const inChunks = fs.existsSync(chunks) && fs.readdirSync(chunks).some((f) => fs.readFileSync(join(chunks, f), "utf8").includes("pg_advisory_xact_lock"))
  expect(inChunks).toBe(true)
})
