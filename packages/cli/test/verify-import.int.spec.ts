/**
 * Imported runs are records like any other: a τ² results file built from the conformance fixtures
 * (perturbed mock, with task histories and initial states; gold retail) imports, and
 * `tau replay --run <imported> --verify` verifies every episode from its task's initial state.
 * Damage to an imported event is named; a fork of an imported episode verifies too; an imported
 * episode whose task is gone from the data is named with its task id.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { chainHash, PyJson, type PyObject, type PyValue } from "@tau-sim/engine"
import Database from "better-sqlite3"
import { afterAll, beforeAll, expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { resultsFromFixtures, writeResults } from "../../interop/test/results-file.ts"
import { jsonLines, storedRun, tau, tempDir } from "./tau.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2

const tmp = tempDir("verify-import")
afterAll(tmp.dispose)

const db = tmp.db()
const runs: Record<string, { runId: string; simulations: number }> = {}

const importFile = async (store: string, name: string, doc: PyObject, dataDir = TAU2_DATA_DIR) => {
  const file = writeResults(tmp.root, `${name}.json`, doc)
  const r = await tau(["import", "tau2", file, "--data-dir", dataDir, "--db", store, "--json"], tmp.root)
  expect(r.code, r.stderr).toBe(0)
  return { runId: String(jsonLines(r.stdout)[0].run_id), simulations: (doc.simulations as PyValue[]).length }
}

const verifyRun = async (store: string, runId: string, ...extra: string[]) => {
  const r = await tau(["replay", "--run", runId, "--verify", "--json", "--db", store, ...extra], tmp.root)
  return { ...r, rows: jsonLines(r.stdout) }
}

beforeAll(async () => {
  runs.mock = await importFile(db, "perturbed_mock", resultsFromFixtures("perturbed", "mock"))
  runs.retail = await importFile(db, "gold_retail", resultsFromFixtures("gold", "retail"))
})

data.describe("imported τ² runs verify", () => {
  it.each(["mock", "retail"])("%s: every imported episode verifies (exit 0)", async (name) => {
    const { code, rows, stderr } = await verifyRun(db, runs[name].runId)
    expect(code, stderr).toBe(0)
    expect(rows).toHaveLength(runs[name].simulations)
    expect(rows.filter((r) => r.verified !== true)).toEqual([])
  })

  it("a damaged imported event is named; re-execution checks the imported world changes", async () => {
    const copy = tmp.file("damaged.db")
    const source = new Database(db, { readonly: true })
    await source.backup(copy)
    source.close()
    const stored = await storedRun(copy, runs.retail.runId)
    // An agent call that changed the world (a write), and a message of another episode.
    const writer = stored.rows.find((r) =>
      stored.events[r.episodeId].some((e) => e.event._tag === "ToolExecuted" && e.event.actor === "agent" && e.event.patchJson !== "[]"),
    )
    if (!writer) throw new Error("no imported write call")
    const write = stored.events[writer.episodeId].find((e) => e.event._tag === "ToolExecuted" && e.event.actor === "agent" && e.event.patchJson !== "[]")
    const talker = stored.rows.find((r) => r.episodeId !== writer.episodeId) as (typeof stored.rows)[number]
    const message = stored.events[talker.episodeId].find((e) => e.seq > 1 && e.event._tag === "MessageSent" && e.event.text)
    if (!write || !message || write.event._tag !== "ToolExecuted") throw new Error("fixture lacks the events to damage")

    const raw = new Database(copy)
    raw.prepare("UPDATE events SET body = json_set(body, '$.text', 'edited') WHERE episode_id = ? AND seq = ?").run(talker.episodeId, message.seq)
    // The world change of the write emptied, with the chain rehashed so only re-execution can tell.
    const rows = raw.prepare("SELECT seq, tag, v, body, hash FROM events WHERE episode_id = ? ORDER BY seq").all(writer.episodeId) as Array<{
      seq: number
      tag: string
      v: number
      body: string
      hash: string
    }>
    raw.prepare("UPDATE events SET body = json_set(body, '$.patchJson', '[]') WHERE episode_id = ? AND seq = ?").run(writer.episodeId, write.seq)
    let prev = rows[write.seq - 1].hash
    for (const row of raw
      .prepare("SELECT seq, tag, v, body FROM events WHERE episode_id = ? AND seq >= ? ORDER BY seq")
      .all(writer.episodeId, write.seq) as typeof rows) {
      prev = chainHash(writer.episodeId, prev, row.seq, row.tag, row.v, row.body)
      raw.prepare("UPDATE events SET hash = ? WHERE episode_id = ? AND seq = ?").run(prev, writer.episodeId, row.seq)
    }
    raw.close()

    const { code, rows: verdicts } = await verifyRun(copy, runs.retail.runId)
    expect(code).toBe(2)
    expect(
      verdicts
        .filter((r) => r.verified !== true)
        .map((r) => r.episode_id)
        .sort(),
    ).toEqual([writer.episodeId, talker.episodeId].sort())
    const findingsOf = (id: string) => verdicts.find((r) => r.episode_id === id)?.findings
    expect(findingsOf(talker.episodeId)).toEqual([expect.objectContaining({ kind: "chain", seq: message.seq, looks_like: "edited" })])
    expect(findingsOf(writer.episodeId)).toEqual([
      expect.objectContaining({ kind: "determinism", episode_id: writer.episodeId, seq: write.seq, tool: write.event.name }),
    ])
  })

  it("a task's message history is setup: its calls run once, so the world is the one a native run reaches", async () => {
    const gold = await importFile(db, "gold_mock", resultsFromFixtures("gold", "mock"))
    const task = "update_task_with_message_history"
    const imported = (await storedRun(db, gold.runId)).rows.find((r) => r.taskId === task)?.episodeId as string
    const native = await tau(
      ["run", "--domain", "mock", "--data-dir", TAU2_DATA_DIR, "--task-ids", task, "--run-id", "run_native_history", "--json", "--db", db],
      tmp.root,
    )
    expect(native.code, native.stderr).toBe(0)
    const worldOf = async (id: string) => JSON.parse((await tau(["show", id, "--json", "--db", db], tmp.root)).stdout).world_diff
    const importedWorld = await worldOf(imported)
    expect(importedWorld).toEqual(await worldOf(String(jsonLines(native.stdout)[0].episode_id)))
    expect(importedWorld).toContainEqual(expect.objectContaining({ path: "/agent/tasks/task_2" }))
    const stored = (await storedRun(db, gold.runId)).events[imported]
    expect(
      stored.filter((e) => e.event._tag !== "ExternalRecord" && "setup" in e.event && e.event.setup && e.event._tag !== "ToolExecuted").length,
    ).toBeGreaterThan(0)
    expect((await verifyRun(db, gold.runId)).code).toBe(0)
  })

  it("a fork of an imported episode verifies", async () => {
    const stored = await storedRun(db, runs.mock.runId)
    const parent = stored.rows.find((r) => r.taskId === "update_task_1") as (typeof stored.rows)[number]
    const fork = await tau(["fork", parent.episodeId, "--at-turn", "2", "--agent", "oracle", "--user", "scripted", "--json", "--db", db], tmp.root)
    expect(fork.code, fork.stderr).toBe(0)
    const child = String(jsonLines(fork.stdout)[0].episode_id)
    const r = await tau(["replay", child, "--verify", "--json", "--db", db], tmp.root)
    expect(r.code, r.stdout).toBe(0)
    expect(jsonLines(r.stdout)[0]).toMatchObject({ episode_id: child, verified: true })
  })

  it("an imported episode whose task is missing is named with its task id", async () => {
    // A copy of the mock data, and a results file that does not embed its tasks.
    const data = path.join(tmp.root, "data")
    const mock = path.join(data, "domains", "mock")
    fs.cpSync(path.join(TAU2_DATA_DIR, "domains", "mock"), mock, { recursive: true })
    for (const f of fs.readdirSync(mock)) fs.chmodSync(path.join(mock, f), 0o644)
    const store = tmp.db()
    const imported = await importFile(store, "no_tasks", { ...resultsFromFixtures("gold", "mock"), tasks: [] }, data)
    expect((await verifyRun(store, imported.runId)).code).toBe(0)

    const tasksFile = path.join(mock, "tasks.json")
    const tasks = PyJson.parse(fs.readFileSync(tasksFile, "utf8")) as PyObject[]
    fs.writeFileSync(tasksFile, PyJson.dumps(tasks.filter((t) => t.id !== "update_task_1")))
    const splitsFile = path.join(mock, "split_tasks.json")
    const splits = JSON.parse(fs.readFileSync(splitsFile, "utf8")) as Record<string, string[]>
    fs.writeFileSync(splitsFile, JSON.stringify(Object.fromEntries(Object.entries(splits).map(([k, ids]) => [k, ids.filter((id) => id !== "update_task_1")]))))
    const { code, rows } = await verifyRun(store, imported.runId)
    expect(code).toBe(2)
    const failing = rows.filter((r) => r.verified !== true)
    expect(failing).toHaveLength(1)
    expect(failing[0].findings).toEqual([expect.objectContaining({ kind: "task-missing", seq: 0, task_id: "update_task_1", domain: "mock" })])
    expect(JSON.stringify(failing[0].findings)).toContain("task update_task_1 not found in domain mock")
  })
})
