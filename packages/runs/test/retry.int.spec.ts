/**
 * An episode that ends with `infrastructure_error` is retried as a branch taken just before its
 * end: the recorded turns are reused, the errored episode is kept, and the unit's result is the
 * retry's.
 */
import { EventStore, oracleAgent, type Participant, ParticipantError } from "@tau-sim/engine"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { attemptId, episodeIdFor, executeRun } from "../src/index.ts"
import { tempDir } from "../../replay/test/core/harness.ts"
import { participantsWith, withRunStore } from "./services.ts"

/** The oracle, except that its `failAt`-th turn of the process fails like a provider outage. */
const flaky = (failAt: number): Participant => {
  let turns = 0
  return {
    spec: "flaky-oracle",
    act: (input) =>
      Effect.suspend(() => {
        turns++
        if (turns === failAt) return Effect.fail(new ParticipantError({ kind: "infrastructure", message: "provider down (test)" }))
        return oracleAgent.act(input)
      }),
  }
}

describe("retrying errored episodes", () => {
  it("retries once from just before the failure and keeps the errored attempt", async () => {
    const agent = flaky(2)
    const tmp = tempDir("retry")
    const config = {
      runId: "retry-run",
      domain: "demo",
      dataDir: null,
      policyVariant: "default",
      agent: "flaky-oracle",
      user: "scripted",
      mode: "default" as const,
      trials: 1,
      seed: 300,
      maxSteps: 200,
      maxErrors: 10,
      taskIds: ["renew_loan"],
      maxConcurrency: 1,
    }
    const program = Effect.gen(function* () {
      const summaries = yield* executeRun(config)
      const store = yield* EventStore
      const episodes = yield* store.listEpisodes({ runId: "retry-run" })
      const retryEvents = yield* store.read(attemptId(episodeIdFor("retry-run", "renew_loan", 0), 1))
      return { summaries, episodes, retryEvents }
    })
    const { summaries, episodes, retryEvents } = await withRunStore(tmp.file("retry.db"), program, participantsWith({ "flaky-oracle": agent }))
    const base = episodeIdFor("retry-run", "renew_loan", 0)
    expect(summaries).toEqual([expect.objectContaining({ episode_id: `${base}_r1`, termination_reason: "user_stop", reward: 1 })])
    expect(episodes.map((e) => [e.episodeId, e.terminationReason]).sort()).toEqual([
      [base, "infrastructure_error"],
      [`${base}_r1`, "user_stop"],
    ])
    // The retry stores only its own events: it starts from the errored attempt's recorded prefix.
    const start = retryEvents[0].event
    expect(start).toMatchObject({ _tag: "EpisodeStarted", parent: { episodeId: base } })
    expect(retryEvents.filter((e) => e.event._tag === "EpisodeStarted")).toHaveLength(1)
    tmp.dispose()
  })
})
