/**
 * How a run can fail before it runs, in the error channel with its type (never a defect), and
 * with nothing stored: a domain that cannot be had (missing data folder, unknown name), a task
 * selection that names nothing, a participant spec that names no participant. Also resuming an
 * episode whose data went away.
 */
import { existsSync } from "node:fs"
import { DomainUnavailable, EventStore, ParticipantSpecError } from "@tau-sim/engine"
import { loadTau2Domain } from "@tau-sim/domains"
import { needsData } from "@tau-sim/domains/testing"
import { Cause, Effect, Exit } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { domain, tempDir } from "../../replay/test/core/harness.ts"
import { executeRun, resumeEpisode, type RunConfig, selectTasks, TaskSelectionError } from "../src/index.ts"
import { type RunServices, withRunStore, demoRunConfig } from "./services.ts"

const tmp = tempDir("typed-failures")
afterAll(tmp.dispose)

const config = (fields: Partial<RunConfig>): RunConfig => demoRunConfig("R", [domain.tasks[0].id], fields)

/** The failure of `effect` (it must fail, not die) and what the store holds afterwards. */
const failureOf = async <E>(effect: Effect.Effect<unknown, E, RunServices>, path = tmp.db()) => {
  const exit = await withRunStore(path, Effect.exit(effect))
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = Cause.findErrorOption(exit.cause)
  if (failure._tag === "None") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  const stored = await withRunStore(
    path,
    Effect.gen(function* () {
      const store = yield* EventStore
      return { runs: (yield* store.listRuns()).length, episodes: (yield* store.listEpisodes()).length }
    }),
  )
  return { error: failure.value, stored }
}

describe("a run that cannot start fails typed and stores nothing", () => {
  it("a τ² domain whose data folder is missing: DomainUnavailable naming the folder", async () => {
    const missing = tmp.file("no-such-data")
    const { error, stored } = await failureOf(executeRun(config({ domain: "mock", dataDir: missing, taskIds: ["create_task_1"] })))
    expect(error).toBeInstanceOf(DomainUnavailable)
    expect((error as DomainUnavailable).domain).toBe("mock")
    expect((error as DomainUnavailable).message).toContain(missing)
    expect(stored).toEqual({ runs: 0, episodes: 0 })
  })

  it("an unknown domain: DomainUnavailable listing the known ones", async () => {
    const { error, stored } = await failureOf(executeRun(config({ domain: "nowhere" })))
    expect(error).toBeInstanceOf(DomainUnavailable)
    expect((error as DomainUnavailable).message).toContain('unknown domain "nowhere"')
    expect(stored).toEqual({ runs: 0, episodes: 0 })
  })

  it("a participant spec that names none: ParticipantSpecError", async () => {
    const { error, stored } = await failureOf(executeRun(config({ agent: "nobody:agent" })))
    expect(error).toBeInstanceOf(ParticipantSpecError)
    expect((error as ParticipantSpecError).message).toContain('unknown participant "nobody:agent"')
    expect(stored).toEqual({ runs: 0, episodes: 0 })
  })

  it("a task selection that names nothing: TaskSelectionError", () => {
    const unknownSplit = Effect.runSync(Effect.flip(selectTasks(domain, { split: "nope" })))
    expect(unknownSplit).toBeInstanceOf(TaskSelectionError)
    expect(unknownSplit.message).toContain('no task split "nope"')
    const unknownIds = Effect.runSync(Effect.flip(selectTasks(domain, { taskIds: [domain.tasks[0].id, "ghost"] })))
    expect(unknownIds.message).toBe("unknown task ids in demo: ghost")
  })
})

describe("resuming an episode whose data went away", () => {
  it("is a DomainUnavailable, and the episode is left as it was", async () => {
    const path = tmp.db()
    // A mock episode recorded against a data folder that has since been removed.
    const { error } = await failureOf(
      Effect.gen(function* () {
        const store = yield* EventStore
        yield* store.append("ep_gone", 0, [
          {
            _tag: "EpisodeStarted",
            v: 2,
            runId: "R",
            episodeId: "ep_gone",
            domain: "mock",
            taskId: "create_task_1",
            trial: 0,
            hashes: { task: "t", policy: "p", data: "d" },
            dataDir: tmp.file("data-removed"),
            policyVariant: "default",
            mode: "default",
            agent: "oracle",
            user: "scripted",
            seed: 1,
            limits: { maxSteps: 200, maxErrors: 10 },
            engineVersion: "test",
            parent: null,
          },
        ])
        return yield* resumeEpisode("ep_gone")
      }),
      path,
    )
    expect(existsSync(tmp.file("data-removed"))).toBe(false)
    expect(error).toBeInstanceOf(DomainUnavailable)
    const events = await withRunStore(
      path,
      Effect.gen(function* () {
        return yield* (yield* EventStore).read("ep_gone")
      }),
    )
    expect(events).toHaveLength(1)
  })
})

const data = needsData("tau2")
data.describe("the reference's task order", () => {
  it("a split keeps the task file's order, not the split file's (semantics §8.1)", () => {
    const airline = loadTau2Domain("airline", data.tau2)
    const selected = Effect.runSync(selectTasks(airline, {})).map((t) => t.id)
    const base = new Set(airline.splits.base)
    expect(selected).toEqual(airline.tasks.filter((t) => base.has(t.id)).map((t) => t.id))
    // The split file lists them in another order (else this proves nothing).
    expect(selected).not.toEqual(airline.splits.base)
  })
})
