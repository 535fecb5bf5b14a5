/**
 * Experiments and counterfactual batches end to end in one process (in-memory stores), with the
 * offline participants on the shared mock and telecom data.
 *
 * Expected rewards, from the tasks themselves:
 * - create_task_1: the oracle's gold call creates the task; reward 1 in both modes.
 * - update_task_with_initialization_data: reward basis DB + COMMUNICATE with two communicate infos.
 *   With a user the oracle's final message lists them (1); a solo agent's only text is the stop
 *   token (the reference replaces it with `###STOP###`), so nothing is communicated (0).
 * - update_task_with_user_tools: an env assertion wants notification notif_1 read, which no gold
 *   action does (the user dismisses it by instruction only): 0 in both modes.
 * - telecom: the oracle performs the agent-side and, in solo mode, the user-side gold actions; 1.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import {
  agentPolicy,
  type DomainResolver,
  EventStore,
  makeMemoryStore,
  type EventStoreShape,
  type Mode,
  oracleAgent,
  type ParticipantFactory,
  type ParticipantFactoryShape,
} from "@tau-sim/engine"
import { Effect, Layer } from "effect"
import { expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import {
  CounterfactualError,
  ExperimentConflictError,
  type ExperimentSpec,
  experimentSpecFromValue,
  firstWriteTurn,
  planExperiment,
  runCounterfactual,
  runExperiment,
} from "@tau-sim/runs"
import { participantsWith, runServices } from "../../runs/test/services.ts"
import { loadEpisode } from "@tau-sim/replay"
import { loadReport } from "../src/index.ts"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

const MOCK_TASKS = ["create_task_1", "update_task_with_initialization_data", "update_task_with_user_tools"]
const TELECOM_TASKS = ["[mobile_data_issue]user_abroad_roaming_enabled_off[PERSONA:None]", "[service_issue]airplane_mode_on[PERSONA:None]"]

const experiment = (fields: Record<string, unknown> = {}) =>
  experimentSpecFromValue(
    {
      name: "inproc",
      data_dir: TAU2_DATA_DIR,
      domains: ["mock", "telecom"],
      modes: ["default", "no-user"],
      agents: ["oracle"],
      users: ["scripted"],
      trials: 2,
      tasks: { ids: { mock: MOCK_TASKS, telecom: TELECOM_TASKS } },
      ...fields,
    },
    "/tmp/inproc.yaml",
  )

/** Runs `body` on `store` with the built-in domains and participants (or `participants`). */
const inStore = <A, E>(
  store: EventStoreShape,
  body: Effect.Effect<A, E, EventStore | DomainResolver | ParticipantFactory>,
  participants?: ParticipantFactoryShape,
) => Effect.runPromise(body.pipe(Effect.provide([Layer.succeed(EventStore, store), runServices(participants)])) as Effect.Effect<A, never, never>)

/** Plans the experiment and runs it. */
const planAndRun = (spec: ExperimentSpec) => Effect.flatMap(planExperiment(spec), (plan) => runExperiment(plan))

const rewardsByTask = (episodes: ReadonlyArray<{ task_id: string; reward: number | null }>) => {
  const out: Record<string, number[]> = {}
  for (const e of episodes) out[e.task_id] = [...(out[e.task_id] ?? []), e.reward as number]
  return out
}

data.describe("experiments", () => {
  it("runs every cell with the mode reaching the episodes, then resumes and grows", async () => {
    const store = makeMemoryStore().store
    const first = await inStore(store, planAndRun(experiment()))
    expect(first.map((o) => [o.cell.domain.label, o.cell.mode, o.episodes.length, o.ran])).toEqual([
      ["mock", "default", 6, 6],
      ["mock", "no-user", 6, 6],
      ["telecom", "default", 4, 4],
      ["telecom", "no-user", 4, 4],
    ])
    expect(rewardsByTask(first[0].episodes)).toEqual({
      create_task_1: [1, 1],
      update_task_with_initialization_data: [1, 1],
      update_task_with_user_tools: [0, 0],
    })
    expect(rewardsByTask(first[1].episodes)).toEqual({
      create_task_1: [1, 1],
      update_task_with_initialization_data: [0, 0],
      update_task_with_user_tools: [0, 0],
    })
    expect(first.slice(2).flatMap((o) => o.episodes.map((e) => e.reward))).toEqual(Array(8).fill(1))
    expect(first[1].episodes.every((e) => e.termination_reason === "agent_stop")).toBe(true)
    expect(first[0].episodes.every((e) => e.termination_reason === "user_stop")).toBe(true)

    // The mode is recorded in each episode; solo episodes start with the agent.
    const solo = await inStore(store, loadEpisode(first[1].episodes[0].episode_id))
    expect(solo.final.started.mode).toBe("no-user")
    expect(solo.final.started.user).toBe("none")
    expect(solo.final.trajectory[0].role).toBe("assistant")
    expect(solo.final.trajectory.at(-1)).toMatchObject({ role: "assistant", content: "###STOP###" })

    const again = await inStore(store, planAndRun(experiment()))
    expect(again.map((o) => o.ran)).toEqual([0, 0, 0, 0])
    const grown = await inStore(store, planAndRun(experiment({ trials: 3 })))
    expect(grown.map((o) => o.ran)).toEqual([3, 3, 2, 2])
    const report = await inStore(store, loadReport({ experiment: "inproc" }))
    expect(report.cells.map((c) => [c.num_trials, c.episodes.finished])).toEqual([
      [3, 9],
      [3, 9],
      [3, 6],
      [3, 6],
    ])

    const conflict = await inStore(store, Effect.flip(planAndRun(experiment({ trials: 3, seed: 301 }))))
    expect(conflict).toBeInstanceOf(ExperimentConflictError)
    expect(conflict.message).toContain("seed = 300, the file now says 301")
  })

  it("scores finished episodes that lost their score (a crash between the end and the score)", async () => {
    const original = makeMemoryStore().store
    const spec = experiment({ domains: ["mock"], modes: ["default"], trials: 1, tasks: { ids: { mock: MOCK_TASKS } } })
    await inStore(original, planAndRun(spec))
    // A copy of the store without scores: what a run killed right after each episode's end leaves.
    const copy = makeMemoryStore().store
    await inStore(
      copy,
      Effect.gen(function* () {
        for (const run of yield* Effect.provideService(original.listRuns(), EventStore, original)) {
          yield* copy.putRun(run)
          for (const row of yield* original.listEpisodes({ runId: run.runId })) {
            const events = yield* original.read(row.episodeId)
            yield* copy.append(
              row.episodeId,
              0,
              events.map((e) => e.event),
            )
          }
        }
      }),
    )
    const before = await Effect.runPromise(copy.listEpisodes())
    const resumed = await inStore(copy, planAndRun(spec))
    expect(resumed[0].episodes.map((e) => e.reward)).toEqual([1, 1, 0])
    // Scored, not re-run: no event was appended, and each episode has exactly one score.
    const after = await Effect.runPromise(copy.listEpisodes())
    expect(after.map((r) => [r.episodeId, r.version])).toEqual(before.map((r) => [r.episodeId, r.version]))
    for (const r of after) expect(await Effect.runPromise(copy.listScores(r.episodeId))).toHaveLength(1)
  })
})

data.describe("modes reach the participants", () => {
  it("a model-backed agent reads the mode (and the policy it implies) from the episode", async () => {
    const seen: Array<{ mode: Mode; policy: string | null }> = []
    const probe = participantsWith({
      "probe:agent": {
        spec: "probe:agent",
        act: (input) => {
          seen.push({ mode: input.state.started.mode, policy: agentPolicy(input.domain, input.state.started.mode) })
          return oracleAgent.act(input)
        },
      },
    })
    const store = makeMemoryStore().store
    const spec = experiment({
      domains: ["mock"],
      modes: ["no-policy", "oracle-plan"],
      agents: ["probe:agent"],
      trials: 1,
      tasks: { ids: { mock: ["create_task_1"] } },
    })
    const outcomes = await inStore(store, planAndRun(spec), probe)
    expect(outcomes.map((o) => [o.cell.mode, o.episodes[0].reward])).toEqual([
      ["no-policy", 1],
      ["oracle-plan", 1],
    ])
    expect(new Set(seen.map((s) => `${s.mode}:${s.policy === null ? "no policy" : "policy"}`))).toEqual(new Set(["no-policy:no policy", "oracle-plan:policy"]))
  })
})

data.describe("counterfactual batches", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-cf-"))
  const stop = path.join(dir, "stop.json")
  fs.writeFileSync(stop, JSON.stringify([{ text: "I cannot do that. ###STOP###" }]))

  it("forks every episode at its first write under another agent and compares with the parents", async () => {
    const store = makeMemoryStore().store
    const [cell] = await inStore(store, planAndRun(experiment({ domains: ["mock"], modes: ["default"], trials: 1, tasks: { ids: { mock: MOCK_TASKS } } })))
    const parentRun = cell.cell.runId
    // greeting (0, setup), user opening (1), the agent's gold write (2): the first write of every parent.
    const parent = await inStore(store, loadEpisode(cell.episodes[0].episode_id))
    expect(firstWriteTurn(parent.domain, parent.final)).toBe(2)

    const options = { runId: parentRun, at: { kind: "first-write" as const }, agent: `scripted:${stop}` }
    const batch = await inStore(store, runCounterfactual(options))
    expect(batch.branches.map((b) => [b.task_id, b.at_turn, b.parent_reward, b.reward, b.termination_reason, b.ran])).toEqual([
      ["create_task_1", 2, 1, 0, "agent_stop", true],
      ["update_task_with_initialization_data", 2, 1, 0, "agent_stop", true],
      ["update_task_with_user_tools", 2, 0, 0, "agent_stop", true],
    ])
    const report = await inStore(store, loadReport({ run: batch.runId }))
    const cf = report.counterfactual!
    expect(cf.parent_run_id).toBe(parentRun)
    expect(cf.pairs).toBe(3)
    expect(cf.transitions).toEqual({ improved: 0, regressed: 2, still_success: 0, still_failure: 1 })
    expect(cf.parent_avg_reward).toBeCloseTo(2 / 3, 12)
    expect(cf.branch_avg_reward).toBe(0)
    expect(cf.delta.estimate).toBeCloseTo(-2 / 3, 12)
    expect(cf.termination_changes).toEqual({ "user_stop -> agent_stop": 3 })
    // The branch inherits the parent's prefix: its first live message is the stop at turn 2.
    const branch = await inStore(store, loadEpisode(batch.branches[0].episode_id!))
    expect(branch.inherited).toBeGreaterThan(0)
    expect(branch.final.trajectory.slice(0, 2).map((m) => m.role)).toEqual(["assistant", "user"])
    expect(branch.final.trajectory[2]).toMatchObject({ role: "assistant", content: "I cannot do that. ###STOP###" })

    const again = await inStore(store, runCounterfactual(options))
    expect(again.runId).toBe(batch.runId)
    expect(again.branches.map((b) => b.ran)).toEqual([false, false, false])
    expect(again.branches.map((b) => b.episode_id)).toEqual(batch.branches.map((b) => b.episode_id))
  })

  it("skips what cannot be forked and refuses to switch between solo and dual control", async () => {
    const store = makeMemoryStore().store
    const [cell] = await inStore(store, planAndRun(experiment({ domains: ["mock"], modes: ["default"], trials: 1, tasks: { ids: { mock: MOCK_TASKS } } })))
    const late = await inStore(store, runCounterfactual({ runId: cell.cell.runId, at: { kind: "turn", turn: 99 } }))
    expect(late.branches.every((b) => b.skipped?.startsWith("only "))).toBe(true)
    const setup = await inStore(store, runCounterfactual({ runId: cell.cell.runId, at: { kind: "turn", turn: 0 } }))
    expect(setup.branches.every((b) => b.skipped === "turn 0 is part of the task setup")).toBe(true)
    const solo = await inStore(store, Effect.flip(runCounterfactual({ runId: cell.cell.runId, at: { kind: "turn", turn: 2 }, mode: "no-user" })))
    expect(solo).toBeInstanceOf(CounterfactualError)
    expect(solo.message).toContain("cannot switch between solo and dual control")
    const missing = await inStore(store, Effect.flip(runCounterfactual({ runId: "nope", at: { kind: "first-write" } })))
    expect(missing.message).toContain("run nope not found")
  })
})
