/** Modes and experiment plans on the shared τ² data: every unsupported combination fails before anything runs. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { demoDomain } from "@tau-sim/domains/demo"
import { expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { agentPolicy, modeTraits } from "@tau-sim/engine"
import { loadTau2Domain } from "@tau-sim/domains"
import { Effect } from "effect"
import {
  cellRunId,
  eligibleTasks,
  ExperimentPlanError,
  type ExperimentSpec,
  experimentSpecFromValue,
  ModeNotSupportedError,
  planExperiment as plan,
  TaskNotEligibleError,
  taskIneligibility,
  validateMode,
} from "../../src/index.ts"
import { runServices } from "../services.ts"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

const mock = data.ifPresent(() => loadTau2Domain("mock", TAU2_DATA_DIR))
const telecom = data.ifPresent(() => loadTau2Domain("telecom", TAU2_DATA_DIR))
const task = (id: string) => mock.tasks.find((t) => t.id === id)!

const scriptDir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-plan-"))
const SCRIPT = path.join(scriptDir, "a.json")
fs.writeFileSync(SCRIPT, JSON.stringify([{ text: "###STOP###" }]))

const spec = (fields: Record<string, unknown>): ExperimentSpec =>
  experimentSpecFromValue({ name: "plan", data_dir: TAU2_DATA_DIR, agents: ["oracle"], ...fields }, "/tmp/plan.yaml")

/** The plan, with the built-in domains and participants. */
const planExperiment = (s: ExperimentSpec) => Effect.runSync(plan(s).pipe(Effect.provide(runServices())))
/** How planning fails (it must). */
const failure = (s: ExperimentSpec): unknown => Effect.runSync(Effect.flip(plan(s)).pipe(Effect.provide(runServices())))

data.describe("modes", () => {
  it("traits and the agent's policy per mode", () => {
    expect(modeTraits("no-user-oracle-plan")).toEqual({ solo: true, oraclePlan: true, policy: true })
    expect(modeTraits("no-policy")).toEqual({ solo: false, oraclePlan: false, policy: false })
    expect(agentPolicy(mock, "default")).toBe(mock.policy.default)
    expect(agentPolicy(mock, "no-user")).toBe(mock.policy.solo)
    expect(agentPolicy(mock, "no-policy")).toBeNull()
  })

  it("solo only where the domain supports it; workflow only for telecom", () => {
    expect(validateMode(mock, "no-user", "default")).toBeNull()
    expect(validateMode(telecom, "no-user-oracle-plan", "default")).toBeNull()
    const demo = validateMode(demoDomain(), "no-user", "default")
    expect(demo).toBeInstanceOf(ModeNotSupportedError)
    expect(demo?.message).toContain("domain demo does not support mode no-user")
    expect(validateMode(mock, "default", "workflow")?.message).toContain("the workflow policy variant exists only for telecom")
    const workflow = loadTau2Domain("telecom", TAU2_DATA_DIR, { policyVariant: "workflow" })
    expect(validateMode(workflow, "no-user", "workflow")).toBeNull()
    expect(agentPolicy(workflow, "default")).not.toBe(agentPolicy(telecom, "default"))
  })

  it("oracle-plan needs gold actions", () => {
    const noGold = { ...mock, tasks: mock.tasks.map((t) => ({ ...t, evaluation_criteria: { ...t.evaluation_criteria, actions: [] } })) }
    expect(validateMode(noGold, "oracle-plan", "default")?.reason).toContain("gold actions")
    expect(taskIneligibility(task("create_task_1_nl_eval"), "oracle-plan")).toBe("no gold actions to give as a plan")
    expect(taskIneligibility(task("create_task_1"), "oracle-plan")).toBeNull()
  })

  it("solo task filter of the reference", () => {
    const { tasks, excluded } = eligibleTasks(mock.tasks, "no-user")
    // Histories with user messages or assistant text cannot be continued by a solo agent; a task
    // without initial state needs a ticket and a gold action (create_task_1_nl_eval has none).
    expect(excluded.map((e) => e.id).sort()).toEqual([
      "create_task_1_nl_eval",
      "update_task_with_history_and_env_assertions",
      "update_task_with_message_history",
    ])
    expect(tasks.map((t) => t.id)).toContain("update_task_with_initialization_data")
    expect(eligibleTasks(mock.tasks, "default").excluded).toEqual([])
  })
})

data.describe("experiment plans", () => {
  it("one cell per domain × mode × agent × user, solo cells without a user, deterministic run ids", () => {
    const plan = planExperiment(
      spec({
        domains: ["mock", "telecom"],
        modes: ["default", "no-user"],
        agents: ["oracle", `scripted:${SCRIPT}`],
        users: ["scripted"],
        tasks: { split: "base", num_tasks: 3 },
      }),
    )
    expect(plan.cells.map((c) => [c.domain.label, c.mode, c.agent, c.user])).toEqual([
      ["mock", "default", "oracle", "scripted"],
      ["mock", "default", `scripted:${SCRIPT}`, "scripted"],
      ["mock", "no-user", "oracle", "none"],
      ["mock", "no-user", `scripted:${SCRIPT}`, "none"],
      ["telecom", "default", "oracle", "scripted"],
      ["telecom", "default", `scripted:${SCRIPT}`, "scripted"],
      ["telecom", "no-user", "oracle", "none"],
      ["telecom", "no-user", `scripted:${SCRIPT}`, "none"],
    ])
    expect(new Set(plan.cells.map((c) => c.runId)).size).toBe(8)
    expect(plan.cells[0].runId).toBe(cellRunId("plan", "mock", "default", "oracle", "scripted"))
    expect(plan.cells[1].runId).toMatch(/^plan\.mock\.default\.scripted-a\.scripted\.[0-9a-f]{6}$/)
    expect(cellRunId("plan", "mock", "default", "scripted:/x/a.json", "scripted")).not.toBe(
      cellRunId("plan", "mock", "default", "scripted:/y/a.json", "scripted"),
    )
    // The first 3 mock tasks include create_task_1_nl_eval, which solo cannot run: filtered from the split.
    expect(plan.cells[0].taskIds).toHaveLength(3)
    expect(plan.cells[2].taskIds).toEqual(["create_task_1", "create_task_1_with_env_assertions"])
    expect(plan.cells[2].excluded).toEqual([{ id: "create_task_1_nl_eval", reason: "no gold actions" }])
  })

  it("fails before running anything", () => {
    expect(failure(spec({ domains: ["demo", "mock"], modes: ["default", "no-user"] }))).toBeInstanceOf(ModeNotSupportedError)
    expect(failure(spec({ domains: ["mock"], modes: ["default"], agents: ["openai-like:thing"] }))).toMatchObject({ key: "agents" })
    expect(failure(spec({ domains: ["mock"], users: ["oracle"] }))).toMatchObject({ key: "users" })
    // A solo-only experiment never builds its users.
    expect(planExperiment(spec({ domains: ["mock"], modes: ["no-user"], users: ["oracle"], tasks: { ids: ["create_task_1"] } })).cells).toHaveLength(1)
    expect(failure(spec({ domains: ["nowhere"] }))).toMatchObject({ key: "domains" })
    expect(failure(spec({ domains: ["mock"], tasks: { split: "nope" } }))).toBeInstanceOf(ExperimentPlanError)
    expect(failure(spec({ domains: ["mock"], tasks: { ids: ["create_task_1", "ghost"] } }))).toMatchObject({ key: "tasks" })
    const explicit = failure(spec({ domains: ["mock"], modes: ["no-user"], tasks: { ids: ["create_task_1", "update_task_with_message_history"] } }))
    expect(explicit).toBeInstanceOf(TaskNotEligibleError)
    expect((explicit as Error).message).toContain("update_task_with_message_history (its message history has user messages or assistant text)")
    expect(failure(spec({ domains: ["mock:workflow"] }))).toMatchObject({ key: "domains" })
    expect(failure(spec({ domains: ["mock"], modes: ["oracle-plan"], tasks: { ids: ["create_task_1_nl_eval"] } }))).toBeInstanceOf(TaskNotEligibleError)
  })
})
