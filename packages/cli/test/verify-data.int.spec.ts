/**
 * Portable data references: a run records its data folder absolute and its data by content hash.
 * Moved data with the same content works with `--data-dir` (replay, show, rescore, fork); data
 * whose content changed is `DataChanged`: a finding for `replay --verify` (naming which hash,
 * recorded and now), an error for fork and rescore, a warning for show. Each case works on a
 * temporary copy of the τ² mock domain (never on the shared data).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { jsonLines, storedRun, tau, tempDir } from "./tau.ts"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

const tmp = tempDir("verify-data")
afterAll(tmp.dispose)

const RUN = "run_data"
const db = tmp.db()
const dataAt = (name: string) => path.join(tmp.root, name)
let episodes: ReadonlyArray<{ episodeId: string; taskId: string }> = []

/** A writable copy of the mock domain under `<name>/domains/mock`, optionally edited. */
const copyData = (name: string, edit?: { file: string; from: string; to: string }) => {
  const target = path.join(dataAt(name), "domains", "mock")
  fs.cpSync(path.join(TAU2_DATA_DIR, "domains", "mock"), target, { recursive: true })
  for (const f of fs.readdirSync(target)) fs.chmodSync(path.join(target, f), 0o644)
  if (edit) {
    const file = path.join(target, edit.file)
    const text = fs.readFileSync(file, "utf8")
    expect(text.split(edit.from)).toHaveLength(2)
    fs.writeFileSync(file, text.replace(edit.from, edit.to))
  }
  return dataAt(name)
}

const verify = async (...extra: string[]) => {
  const r = await tau(["replay", "--run", RUN, "--verify", "--json", "--db", db, ...extra], tmp.root)
  return { ...r, rows: jsonLines(r.stdout) }
}
type FindingRow = { kind: string; seq: number | null; detail: string } & Record<string, unknown>
const findingsOf = (row: Record<string, unknown>) => row.findings as FindingRow[]

beforeAll(async () => {
  copyData("data-a")
  // A relative --data-dir, resolved against the working directory of the run.
  const run = await tau(["run", "--domain", "mock", "--data-dir", "data-a", "--run-id", RUN, "--db", db], tmp.root)
  expect(run.code, run.stderr).toBe(0)
  const stored = await storedRun(db, RUN)
  episodes = stored.rows
  expect(episodes.length).toBe(10)
  for (const row of stored.rows) {
    const start = stored.events[row.episodeId][0].event
    expect(start._tag === "EpisodeStarted" && start.dataDir).toBe(dataAt("data-a"))
  }
  expect((await verify()).code).toBe(0)
  // The data moves; its content does not change.
  fs.renameSync(dataAt("data-a"), dataAt("data-b"))
})

data.describe("moved data", () => {
  it("without --data-dir, verify names the data it cannot load", async () => {
    const { code, rows } = await verify()
    expect(code).toBe(2)
    expect(rows).toHaveLength(episodes.length)
    for (const row of rows) {
      expect(findingsOf(row)).toEqual([expect.objectContaining({ kind: "data-unavailable", seq: 0, data_dir: dataAt("data-a") })])
      expect(findingsOf(row)[0].detail).toContain("--data-dir")
    }
  })

  it("replay --verify, show, rescore and fork work from the new place", async () => {
    const moved = ["--data-dir", dataAt("data-b")]
    const verified = await verify(...moved)
    expect(verified.code, verified.stderr).toBe(0)
    expect(verified.rows.every((r) => r.verified === true)).toBe(true)

    const target = episodes[3].episodeId
    const show = await tau(["show", target, "--json", "--db", db, ...moved], tmp.root)
    expect(show.code, show.stderr).toBe(0)
    expect(show.stderr).not.toContain("warning")
    expect(JSON.parse(show.stdout).episode_id).toBe(target)

    const rescore = await tau(["rescore", "--run", RUN, "--json", "--db", db, ...moved], tmp.root)
    expect(rescore.code, rescore.stderr).toBe(0)
    expect(jsonLines(rescore.stdout)).toHaveLength(episodes.length)

    const fork = await tau(["fork", target, "--at-turn", "2", "--json", "--db", db, "--data-dir", "data-b"], tmp.root)
    expect(fork.code, fork.stderr).toBe(0)
    const childId = String(jsonLines(fork.stdout)[0].episode_id)
    // The branch records where its data is now (absolute), so it replays without the flag.
    const forks = await storedRun(db, `${RUN}~forks`)
    const start = forks.events[childId][0].event
    expect(start._tag === "EpisodeStarted" && start.dataDir).toBe(dataAt("data-b"))
    const child = await tau(["replay", childId, "--verify", "--json", "--db", db], tmp.root)
    expect(child.code, child.stdout).toBe(0)
    expect(jsonLines(child.stdout)[0]).toMatchObject({ episode_id: childId, verified: true, findings: [] })
  })
})

data.describe("changed data", () => {
  it("a changed database: every episode has a data-changed finding (and no determinism findings)", async () => {
    const changed = copyData("data-db", { file: "db.json", from: '"Test task"', to: '"Test task, edited"' })
    const { code, rows } = await verify("--data-dir", changed)
    expect(code).toBe(2)
    expect(rows).toHaveLength(episodes.length)
    for (const row of rows) {
      expect(findingsOf(row)).toEqual([
        expect.objectContaining({ kind: "data-changed", seq: 0, which: "data", recorded: expect.any(String), now: expect.any(String), data_dir: changed }),
      ])
      const f = findingsOf(row)[0]
      expect(f.recorded).not.toBe(f.now)
      expect(f.detail).toContain("data changed since recorded: data hash")
    }
  })

  it("a changed task: only that task's episodes have a finding", async () => {
    const changed = copyData("data-task", { file: "tasks.json", from: "Basic task status update test", to: "Edited task description" })
    const { code, rows } = await verify("--data-dir", changed)
    expect(code).toBe(2)
    const victims = episodes.filter((e) => e.taskId === "update_task_1").map((e) => e.episodeId)
    expect(victims).toHaveLength(1)
    expect(rows.filter((r) => r.verified !== true).map((r) => r.episode_id)).toEqual(victims)
    expect(findingsOf(rows.find((r) => r.episode_id === victims[0]) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ kind: "data-changed", which: "task" }),
    ])
  })

  it("a changed policy: every episode has a policy finding", async () => {
    const changed = copyData("data-policy", { file: "policy.md", from: "Each task must have a title", to: "Each task must have a long title" })
    const { code, rows } = await verify("--data-dir", changed)
    expect(code).toBe(2)
    for (const row of rows) expect(findingsOf(row)).toEqual([expect.objectContaining({ kind: "data-changed", which: "policy" })])
  })

  it("fork and rescore refuse changed data with a typed error; show warns", async () => {
    const changed = copyData("data-db2", { file: "db.json", from: '"Test task"', to: '"Test task, edited"' })
    const target = episodes[3].episodeId
    const fork = await tau(["fork", target, "--at-turn", "2", "--db", db, "--data-dir", changed], tmp.root)
    expect(fork.code).toBe(1)
    expect(fork.stderr).toContain(`episode ${target}: data changed since recorded: data hash recorded`)
    expect(fork.stderr).toContain(changed)

    const before = (await storedRun(db, RUN)).scores
    const rescore = await tau(["rescore", "--run", RUN, "--db", db, "--data-dir", changed], tmp.root)
    expect(rescore.code).not.toBe(0)
    expect(rescore.stderr).toContain(`${target}: episode ${target}: data changed since recorded: data hash`)
    // Nothing was scored on the other data.
    expect((await storedRun(db, RUN)).scores).toEqual(before)

    const show = await tau(["show", target, "--db", db, "--data-dir", changed], tmp.root)
    expect(show.code).toBe(0)
    expect(show.stderr).toContain(`warning: episode ${target}: data changed since recorded: data hash`)
  })
})
