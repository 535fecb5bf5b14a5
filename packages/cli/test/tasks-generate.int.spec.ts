/**
 * `tau tasks generate` through the real CLI, for the demo (offline) and telecom (τ² data): every
 * generated task passes its validity proof and records its composition, the oracle with the
 * scripted user solves them all through `run --tasks`, the same seed writes the same file, and a
 * task whose solution was tampered with is refused when the file is loaded, saying what fails.
 */
import * as fs from "node:fs"
import { needsData } from "@tau-sim/domains/testing"
import { afterAll, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { jsonLines, readStore, tau, tempDir } from "./tau.ts"

const tmp = tempDir("tasks-generate")
afterAll(tmp.dispose)
const data = needsData("tau2")

type TaskJson = {
  id: string
  description: {
    generated: { family: string; subtasks: Array<{ group: string; name: string }>; persona: string; seed: number | null; broken_after_init: string[] }
  }
  evaluation_criteria: { actions: Array<{ name: string }>; env_assertions: unknown[] }
}
const readTasks = (file: string): TaskJson[] => JSON.parse(fs.readFileSync(file, "utf8"))

/** The file with the last gold action of its first task removed. */
const tamper = (file: string, out: string): string => {
  const tasks = readTasks(file)
  tasks[0].evaluation_criteria.actions = tasks[0].evaluation_criteria.actions.slice(0, -1)
  fs.writeFileSync(out, JSON.stringify(tasks, null, 2))
  return tasks[0].id
}

const oracleRewards = async (domainArgs: string[], tasksFile: string, db: string) => {
  const run = await tau(["run", ...domainArgs, "--tasks", tasksFile, "--agent", "oracle", "--user", "scripted", "--json", "--db", db], tmp.root)
  expect(run.stderr).not.toContain("error:")
  expect(run.code).toBe(0)
  return jsonLines(run.stdout).map((l) => l.reward)
}

describe("tau tasks generate --domain demo", () => {
  const a = tmp.file("demo-a.json")

  it("writes the same file for the same seed, another for another seed; each task records its composition", async () => {
    const args = ["tasks", "generate", "--domain", "demo", "--count", "20", "--subtasks", "2-4", "--seed", "11"]
    const first = await tau([...args, "--out", a], tmp.root)
    expect(first.code).toBe(0)
    expect(first.stderr).toContain("wrote 20 tasks")
    const again = await tau([...args, "--out", tmp.file("demo-b.json")], tmp.root)
    expect(again.code).toBe(0)
    expect(fs.readFileSync(tmp.file("demo-b.json"), "utf8")).toBe(fs.readFileSync(a, "utf8"))
    await tau(["tasks", "generate", "--domain", "demo", "--count", "20", "--subtasks", "2-4", "--seed", "12", "--out", tmp.file("demo-c.json")], tmp.root)
    expect(fs.readFileSync(tmp.file("demo-c.json"), "utf8")).not.toBe(fs.readFileSync(a, "utf8"))
    const tasks = readTasks(a)
    expect(new Set(tasks.map((t) => t.id)).size).toBe(20)
    for (const t of tasks) {
      const g = t.description.generated
      expect(g.family).toBe("library")
      expect(g.seed).toBe(11)
      expect(g.subtasks.length).toBeGreaterThanOrEqual(2)
      expect(g.subtasks.length).toBeLessThanOrEqual(4)
      expect(new Set(g.subtasks.map((s) => s.group)).size).toBe(g.subtasks.length)
      expect(t.id).toBe(`[library]${g.subtasks.map((s) => s.name).join("|")}[PERSONA:${g.persona}]`)
      expect(g.broken_after_init.length).toBeGreaterThan(0)
    }
  })

  it("the oracle and the scripted user solve every generated task (reward 1.0), and the run replays and verifies", async () => {
    const db = tmp.db()
    const rewards = await oracleRewards(["--domain", "demo"], a, db)
    expect(rewards).toEqual(Array(20).fill(1))
    const verify = await tau(["replay", "--all", "--verify", "--db", db], tmp.root)
    expect(verify.stdout).toContain("20 episodes replayed, 20 verified, 0 with findings")
  })

  it("tau experiment --tasks runs the generated tasks in every cell: the oracle solves each (reward 1.0), recorded with the file", async () => {
    const db = tmp.db()
    const file = tmp.file("generated.yaml")
    fs.writeFileSync(file, ["name: generated", "domains: [demo]", "agents: [oracle]", "users: [scripted]", "trials: 1", ""].join("\n"))
    const r = await tau(["experiment", file, "--tasks", a, "--db", db], tmp.root)
    expect(r.stderr).not.toContain("error:")
    expect(r.code).toBe(0)
    const rows = await readStore(db, ({ store }) => Effect.runPromise(store.listEpisodes()))
    expect(rows.map((row) => row.taskId).sort()).toEqual(
      readTasks(a)
        .map((t) => t.id)
        .sort(),
    )
    expect(rows.map((row) => row.reward)).toEqual(Array(20).fill(1))
    // The cell's domain carries the file, so replay loads (and proves again) the same tasks.
    expect(new Set(rows.map((row) => row.domain))).toEqual(new Set([`demo?tasks=${a}`]))
    const verify = await tau(["replay", "--all", "--verify", "--db", db], tmp.root)
    expect(verify.stdout).toContain("20 episodes replayed, 20 verified, 0 with findings")
  })

  it("generates the whole space, every task proved, and --report covers every subtask and pair of groups", async () => {
    const all = tmp.file("demo-all.json")
    const r = await tau(["tasks", "generate", "--domain", "demo", "--out", all, "--report"], tmp.root)
    expect(r.code).toBe(0)
    expect(r.stderr).not.toContain("left out")
    expect(r.stdout).toContain("space: 159 tasks (compositions × personas); generated 159")
    expect(r.stdout).toContain("subtasks used 7/7; pairs of groups used 6/6")
    expect(readTasks(all)).toHaveLength(159)
    const rewards = await oracleRewards(["--domain", "demo"], all, tmp.db())
    expect(rewards).toEqual(Array(159).fill(1))
  })

  it("a tampered solution fails the proof when the file is loaded, naming the task and the assertion", async () => {
    const bad = tmp.file("demo-tampered.json")
    const id = tamper(a, bad)
    for (const args of [
      ["tasks", "--domain", "demo", "--tasks", bad],
      ["run", "--domain", "demo", "--tasks", bad, "--agent", "oracle", "--db", tmp.db()],
    ]) {
      const r = await tau(args, tmp.root)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(
        new RegExp(`^error: tasks file ${bad}: task ${id.replace(/[[\]|]/g, "\\$&")} fails its validity proof: not fixed after all actions: assert_\\w+\\(`),
      )
    }
  })

  it("refuses options that describe no tasks", async () => {
    const groups = await tau(["tasks", "generate", "--domain", "demo", "--groups", "nope", "--out", tmp.file("x.json")], tmp.root)
    expect(groups.code).toBe(2)
    expect(groups.stderr).toContain("unknown group nope of demo; known: library/card, library/loan, library/app, library/reminders")
    const size = await tau(["tasks", "generate", "--domain", "demo", "--subtasks", "3-1", "--out", tmp.file("x.json")], tmp.root)
    expect(size.code).toBe(2)
    expect(fs.existsSync(tmp.file("x.json"))).toBe(false)
  })
})

data.describe("tau tasks generate --domain telecom", () => {
  const dataArgs = ["--domain", "telecom", "--data-dir", data.tau2]
  const file = tmp.file("telecom.json")

  it("samples valid tasks of all three intents, the same for the same seed", async () => {
    const args = ["tasks", "generate", ...dataArgs, "--count", "40", "--seed", "5", "--personas", "None,Hard"]
    const r = await tau([...args, "--out", file, "--report"], tmp.root)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("space: 6810 tasks")
    await tau([...args, "--out", tmp.file("telecom-again.json")], tmp.root)
    expect(fs.readFileSync(tmp.file("telecom-again.json"), "utf8")).toBe(fs.readFileSync(file, "utf8"))
    const tasks = readTasks(file)
    expect(tasks).toHaveLength(40)
    expect(new Set(tasks.map((t) => t.description.generated.persona))).toEqual(new Set(["None", "Hard"]))
    // The families take turns: the small service and mobile-data intents are not drowned by the 2,976 MMS compositions.
    const families = tasks.map((t) => t.description.generated.family)
    for (const intent of ["service_issue", "mobile_data_issue", "mms_issue"]) expect(families.filter((f) => f === intent).length).toBeGreaterThanOrEqual(13)
  })

  it("the oracle and the scripted user solve every generated telecom task (reward 1.0)", async () => {
    const rewards = await oracleRewards(dataArgs, file, tmp.db())
    expect(rewards).toEqual(Array(40).fill(1))
  })

  it("a tampered telecom solution fails the proof on load", async () => {
    const bad = tmp.file("telecom-tampered.json")
    const id = tamper(file, bad)
    const r = await tau(["tasks", ...dataArgs, "--tasks", bad], tmp.root)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`task ${id} fails its validity proof:`)
  })
})
