import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { isFloat, type PyObject } from "@tau-sim/engine"
import { afterEach, beforeEach, expect, it } from "vitest"
import {
  clearTau2Cache,
  DataFileError,
  listTau2Domains,
  loadTau2Domain,
  loadTau2Split,
  tasksOfSplit,
  UnknownDomainError,
  UnknownPolicyVariantError,
  UnknownSplitError,
} from "../../src/index.ts"
import { needsData } from "../../testing/index.ts"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

const MOCK_DIR = path.join(TAU2_DATA_DIR, "domains", "mock")

/** A writable copy of the mock domain folder in a temp data dir (never inside the repo). */
const copyMockData = (): { dataDir: string; domainDir: string } => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tau2-data-"))
  const domainDir = path.join(dataDir, "domains", "mock")
  fs.mkdirSync(domainDir, { recursive: true })
  for (const f of fs.readdirSync(MOCK_DIR)) {
    fs.copyFileSync(path.join(MOCK_DIR, f), path.join(domainDir, f))
    fs.chmodSync(path.join(domainDir, f), 0o644)
  }
  return { dataDir, domainDir }
}

// biome-ignore lint/suspicious/noExplicitAny: fault injection: a test replaces or deletes any nested field of the data file.
const editJson = (file: string, edit: (v: any) => void) => {
  const value = JSON.parse(fs.readFileSync(file, "utf8"))
  edit(value)
  fs.writeFileSync(file, JSON.stringify(value, null, 2))
}

const loadError = (dataDir: string): DataFileError => {
  try {
    loadTau2Domain("mock", dataDir)
  } catch (e) {
    if (e instanceof DataFileError) return e
    throw e
  }
  throw new Error("expected a DataFileError")
}

data.describe("loadTau2Domain on the shared data", () => {
  beforeEach(() => clearTau2Cache())

  it("loads mock: toolkits, world root with both DBs, tasks, splits and policies", () => {
    const domain = loadTau2Domain("mock", TAU2_DATA_DIR)
    expect(domain.name).toBe("mock")
    expect(domain.agentToolkit.tools.map((t) => t.name)).toEqual(["create_task", "get_users", "update_task_status", "transfer_to_human_agents"])
    expect(domain.userToolkit?.tools.map((t) => t.name)).toEqual(["check_notifications", "dismiss_notification"])
    const world = domain.initialWorld as PyObject
    expect(Object.keys(world)).toEqual(["agent", "user"])
    expect(Object.keys((world.agent as PyObject).tasks as PyObject)).toEqual(["task_1"])
    expect(Object.keys((world.user as PyObject).notifications as PyObject)).toEqual(["notif_1"])
    expect(domain.tasks).toHaveLength(10)
    expect(Object.keys(domain.splits)).toEqual(["base"])
    expect(domain.policy.default).toContain("compliment")
    expect(domain.policy.solo).not.toContain("compliment")
    expect(domain.supportsSolo).toBe(true)
  })

  it("returns the cached domain for the same (name, dir, variant) and freezes shared data", () => {
    const a = loadTau2Domain("mock", TAU2_DATA_DIR)
    expect(loadTau2Domain("mock", `${TAU2_DATA_DIR}/`)).toBe(a)
    expect(Object.isFrozen((a.initialWorld as PyObject).agent)).toBe(true)
    expect(Object.isFrozen(a.tasks[0])).toBe(true)
  })

  it("selects a policy variant and rejects unknown ones", () => {
    const solo = loadTau2Domain("mock", TAU2_DATA_DIR, { policyVariant: "solo" })
    const normal = loadTau2Domain("mock", TAU2_DATA_DIR)
    expect(solo.policy.default).toBe(normal.policy.solo)
    expect(solo.hashes.policy).not.toBe(normal.hashes.policy)
    expect(solo.hashes.data).toBe(normal.hashes.data)
    expect(() => loadTau2Domain("mock", TAU2_DATA_DIR, { policyVariant: "nope" })).toThrow(UnknownPolicyVariantError)
  })

  it("loads every registered domain from the shared data with consistent splits and distinct hashes", () => {
    const hashes = new Set<string>()
    for (const name of listTau2Domains()) {
      const domain = loadTau2Domain(name, TAU2_DATA_DIR)
      const ids = new Set(domain.tasks.map((t) => t.id))
      expect(ids.size).toBe(domain.tasks.length)
      for (const split of Object.values(domain.splits)) for (const id of split) expect(ids.has(id)).toBe(true)
      expect(typeof domain.policy.default).toBe("string")
      expect(domain.userToolkit === undefined).toBe((domain.initialWorld as PyObject).user === undefined)
      hashes.add(domain.hashes.data)
    }
    expect(hashes.size).toBe(listTau2Domains().length)
  })

  it("lists the domains and rejects unknown names", () => {
    expect(listTau2Domains()).toContain("mock")
    expect(() => loadTau2Domain("bank", TAU2_DATA_DIR)).toThrow(UnknownDomainError)
  })

  it("gives split task lists in task-file order", () => {
    const domain = loadTau2Domain("mock", TAU2_DATA_DIR)
    const base = loadTau2Split("mock", TAU2_DATA_DIR, "base")
    expect(base.map((t) => t.id)).toEqual(domain.tasks.filter((t) => domain.splits.base.includes(t.id)).map((t) => t.id))
    expect(base).toHaveLength(10)
    expect(tasksOfSplit(domain)).toBe(domain.tasks)
    expect(() => tasksOfSplit(domain, "test")).toThrow(UnknownSplitError)
  })

  it("hashes are content hashes: stable across reloads and data-folder moves", () => {
    const first = loadTau2Domain("mock", TAU2_DATA_DIR).hashes
    clearTau2Cache()
    expect(loadTau2Domain("mock", TAU2_DATA_DIR).hashes).toEqual(first)
    const { dataDir } = copyMockData()
    expect(loadTau2Domain("mock", dataDir).hashes).toEqual(first)
    expect(new Set(Object.values(first)).size).toBe(3)
    for (const h of Object.values(first)) expect(h).toMatch(/^[0-9a-f]{64}$/)
  })
})

data.describe("loadTau2Domain on broken data folders", () => {
  let dataDir: string
  let domainDir: string
  beforeEach(() => {
    clearTau2Cache()
    ;({ dataDir, domainDir } = copyMockData())
  })
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }))

  it("names file, path and expectation for a malformed task", () => {
    editJson(path.join(domainDir, "tasks.json"), (tasks) => {
      tasks[3].evaluation_criteria.actions[0].name = 5
    })
    const e = loadError(dataDir)
    expect(e.file).toBe(path.join(domainDir, "tasks.json"))
    expect(e.at).toBe("[3].evaluation_criteria.actions[0].name")
    expect(e.expected).toBe("string")
    expect(e.message).toContain("got int")
  })

  it("reports a missing required task field and a bad reward type", () => {
    editJson(path.join(domainDir, "tasks.json"), (tasks) => {
      delete tasks[1].user_scenario
    })
    expect(loadError(dataDir).at).toBe("[1].user_scenario")
    clearTau2Cache()
    editJson(path.join(domainDir, "tasks.json"), (tasks) => {
      tasks[1].user_scenario = { instructions: "x" }
      tasks[2].evaluation_criteria.reward_basis = ["DB", "VIBES"]
    })
    const e = loadError(dataDir)
    expect(e.at).toBe("[2].evaluation_criteria.reward_basis[1]")
    expect(e.expected).toContain('"COMMUNICATE"')
  })

  it("names file, path and expectation for a malformed agent DB", () => {
    editJson(path.join(domainDir, "db.json"), (db) => {
      db.users.user_1.tasks = "task_1"
    })
    const e = loadError(dataDir)
    expect(e.file).toBe(path.join(domainDir, "db.json"))
    expect(e.at).toBe("users.user_1.tasks")
    expect(e.expected).toBe("a list")
  })

  it("rejects an invalid task status and extra keys where the reference model forbids them", () => {
    editJson(path.join(domainDir, "db.json"), (db) => {
      db.tasks.task_1.status = "done"
    })
    expect(loadError(dataDir).at).toBe("tasks.task_1.status")
    clearTau2Cache()
    editJson(path.join(domainDir, "db.json"), (db) => {
      db.tasks.task_1.status = "pending"
      db.projects = {}
    })
    expect(loadError(dataDir).at).toBe("projects")
    clearTau2Cache()
    editJson(path.join(domainDir, "db.json"), (db) => {
      delete db.projects
    })
    editJson(path.join(domainDir, "user_db.json"), (db) => {
      db.notifications.notif_1.color = "red"
    })
    const e = loadError(dataDir)
    expect(e.file).toBe(path.join(domainDir, "user_db.json"))
    expect(e.at).toBe("notifications.notif_1.color")
  })

  it("reports invalid JSON and split entries naming unknown tasks", () => {
    fs.writeFileSync(path.join(domainDir, "db.json"), '{ "tasks": ')
    const e = loadError(dataDir)
    expect(e.expected).toBe("valid JSON")
    fs.copyFileSync(path.join(MOCK_DIR, "db.json"), path.join(domainDir, "db.json"))
    clearTau2Cache()
    editJson(path.join(domainDir, "split_tasks.json"), (s) => {
      s.base.push("no_such_task")
    })
    const s = loadError(dataDir)
    expect(s.file).toBe(path.join(domainDir, "split_tasks.json"))
    expect(s.at).toBe("base[10]")
  })

  it("keeps int/float identity of task arguments and fills DB model defaults", () => {
    editJson(path.join(domainDir, "db.json"), (db) => {
      delete db.tasks.task_1.description
    })
    const file = path.join(domainDir, "tasks.json")
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"title": "Important Meeting"', '"title": "Important Meeting", "weight": 2.0, "count": 2'))
    const domain = loadTau2Domain("mock", dataDir)
    const args = domain.tasks[0].evaluation_criteria?.actions?.[0].arguments
    expect(isFloat(args?.weight)).toBe(true)
    expect(args?.count).toBe(2)
    const agent = (domain.initialWorld as PyObject).agent as PyObject
    expect(Object.keys((agent.tasks as PyObject).task_1 as PyObject)).toEqual(["task_id", "title", "description", "status"])
    expect(((agent.tasks as PyObject).task_1 as PyObject).description).toBeNull()
  })
})
