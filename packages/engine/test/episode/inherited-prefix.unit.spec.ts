/**
 * How much of an episode's history is inherited is part of its folded state: the fold sets it
 * when the episode's own start event is folded, so `playEpisode` of a branch appends to the
 * branch's own stream at the right version without being told (a wrong one is a VersionConflict).
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { foldHistory } from "../../src/episode/history.ts"
import { playEpisode, setupEvents } from "../../src/episode/orchestrator.ts"
import { ownVersion } from "../../src/episode/state.ts"
import type { EpisodeEvent } from "../../src/events.ts"
import { EventStore } from "../../src/store/event-store.ts"
import { layerMemory } from "../../src/store/index.ts"
import { started } from "../../testing/sample-events.ts"
import { counterDomain, counterTask } from "./counter-domain.ts"
import { says } from "./given.ts"

const root = { ...started("root"), domain: "counter", taskId: "bump" }
const setup = setupEvents(root, counterDomain, counterTask)
const branchOf = (episodeId: string, parent: string, seq: number, from = root) => ({ ...from, episodeId, parent: { episodeId: parent, seq } })

describe("the inherited prefix in the episode state", () => {
  it("is 0 for an episode of its own, the prefix length for a branch and for a branch of a branch", () => {
    const own = foldHistory(counterDomain, setup)
    expect([own.inherited, ownVersion(own)]).toEqual([0, setup.length])
    const child = foldHistory(counterDomain, [...setup, branchOf("child", "root", setup.length)])
    expect([child.inherited, ownVersion(child), child.started.episodeId]).toEqual([setup.length, 1, "child"])
    // The grandchild's history holds two earlier starts (root's and child's); its own is the last.
    const grandchildHistory: EpisodeEvent[] = [...setup, branchOf("child", "root", setup.length), branchOf("grandchild", "child", setup.length + 1)]
    const grandchild = foldHistory(counterDomain, grandchildHistory)
    expect([grandchild.inherited, ownVersion(grandchild)]).toEqual([setup.length + 1, 1])
  })

  it("a branch is played into its own stream from its state alone", async () => {
    const program = Effect.gen(function* () {
      const store = yield* EventStore
      yield* store.append("root", 0, setup)
      const start = branchOf("child", "root", setup.length)
      yield* store.append("child", 0, [start])
      const final = yield* playEpisode("child", foldHistory(counterDomain, [...setup, start]), counterDomain, counterTask, {
        agent: says("###STOP###"),
        user: says("Please add two."),
      })
      return { final, own: yield* store.read("child"), rootAfter: yield* store.read("root") }
    })
    const { final, own, rootAfter } = await Effect.runPromise(program.pipe(Effect.provide(layerMemory)))
    expect(final.ended).not.toBeNull()
    // Its own stream: its start at seq 0, then what it played; the parent is untouched.
    expect(own.map((e) => e.seq)).toEqual(own.map((_, i) => i))
    expect(own.length).toBe(ownVersion(final))
    expect(rootAfter).toHaveLength(setup.length)
  })
})
