/**
 * `tau fork`: a child episode stores only its start event (pointing at parent and fork seq); its
 * history is the parent's prefix event by event, and it continues live, with the parent's
 * participants or with others.
 */
import { writeFileSync } from "node:fs"
import { type EpisodeHistory, layerSqlite, readHistory } from "@tau-sim/engine"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("cli-fork")
afterAll(tmp.dispose)

const RUN = "run_fork"
const FORKS = `${RUN}~forks`
const db = tmp.db()
let parent: string

const history = (episodeId: string): Promise<EpisodeHistory> => Effect.runPromise(readHistory(episodeId).pipe(Effect.provide(layerSqlite(db))))

const showJson = async (episodeId: string) => {
  const show = await tau(["show", episodeId, "--json", "--db", db], tmp.root)
  expect(show.code).toBe(0)
  return jsonLines(show.stdout)[0] as {
    lineage: Array<{ episode_id: string; fork_seq: number | null }>
    children: Array<{ episode_id: string; fork_seq: number }>
    messages: Array<{ turn: number; role: string; content: string | null; tool_calls?: Array<{ name: string; arguments: string }> | null; inherited: boolean }>
    agent: string
    user: string
    termination_reason: string
  }
}

/** A message without its call ids (which depend on the stream position). */
const content = (m: { role: string; content: string | null; tool_calls?: Array<{ name: string; arguments: string }> | null }) => ({
  role: m.role,
  content: m.content,
  calls: m.tool_calls?.map((c) => [c.name, c.arguments]) ?? null,
})

const fork = async (episodeId: string, ...args: string[]) => {
  const result = await tau(["fork", episodeId, ...args, "--json", "--db", db], tmp.root)
  return { ...result, out: result.code === 0 ? (jsonLines(result.stdout)[0] as Record<string, unknown>) : undefined }
}

beforeAll(async () => {
  const run = await tau(["run", "--domain", "demo", "--task-ids", "renew_loan", "--run-id", RUN, "--json", "--db", db], tmp.root)
  expect(run.code).toBe(0)
  parent = String(jsonLines(run.stdout)[0].episode_id)
})

describe("tau fork", () => {
  it("branches with the parent's prefix, records the lineage and continues live", async () => {
    const before = await storedRun(db, RUN)
    const { code, out, stderr } = await fork(parent, "--at-turn", "4")
    expect(stderr).not.toContain("error:")
    expect(code).toBe(0)
    const child = String(out?.episode_id)
    const forkSeq = Number(out?.fork_seq)
    expect(out).toMatchObject({ parent_episode_id: parent, at_turn: 4, termination_reason: "user_stop", reward: 1 })

    // Stored: only the child's own events, starting with a start event that points at the parent.
    const forks = await storedRun(db, FORKS)
    expect(forks.rows).toEqual([expect.objectContaining({ episodeId: child, parentEpisodeId: parent, parentSeq: forkSeq, status: "ended" })])
    const own = forks.events[child]
    expect(own[0].event).toMatchObject({ _tag: "EpisodeStarted", episodeId: child, parent: { episodeId: parent, seq: forkSeq } })
    expect(own.map((e) => e.seq)).toEqual(own.map((_, i) => i))

    // Its history: the parent's events up to the fork seq, event by event, then its own.
    const h = await history(child)
    const parentEvents = before.events[parent]
    expect(h.inherited).toEqual(parentEvents.slice(0, forkSeq))
    expect(h.own).toEqual(own)
    // The prefix ends right before the event that produced turn 4 (the agent's second call).
    expect(parentEvents[forkSeq].event).toMatchObject({ _tag: "MessageSent", role: "agent", toolCalls: [expect.objectContaining({ name: "renew_loan" })] })

    // The parent is untouched.
    expect((await storedRun(db, RUN)).events[parent]).toEqual(parentEvents)

    const shown = await showJson(child)
    expect(shown.lineage).toEqual([
      { episode_id: parent, fork_seq: null },
      { episode_id: child, fork_seq: forkSeq },
    ])
    expect(shown.messages.filter((m) => m.inherited).map((m) => m.turn)).toEqual([0, 1, 2, 3])
    // Same deterministic participants: the live continuation reproduces the parent's conversation.
    const parentShown = await showJson(parent)
    expect(shown.messages.map(content)).toEqual(parentShown.messages.map(content))
    expect(parentShown.children).toEqual([expect.objectContaining({ episode_id: child, fork_seq: forkSeq })])

    const verify = await tau(["replay", child, "--verify", "--json", "--db", db], tmp.root)
    expect(verify.code).toBe(0)
    expect(jsonLines(verify.stdout)).toEqual([expect.objectContaining({ episode_id: child, verified: true })])

    // A fork of a fork: three generations of lineage, prefix through both.
    const grand = await fork(child, "--at-turn", "6")
    expect(grand.code).toBe(0)
    const grandId = String(grand.out?.episode_id)
    const grandShown = await showJson(grandId)
    expect(grandShown.lineage.map((l) => l.episode_id)).toEqual([parent, child, grandId])
    const gh = await history(grandId)
    expect(gh.inherited).toEqual([...h.inherited, ...h.own].slice(0, Number(grand.out?.fork_seq)))
  })

  it("refuses to fork at a setup turn or past the end, and stores nothing", async () => {
    const before = (await storedRun(db, FORKS)).rows.length
    const [setup, past] = await Promise.all([fork(parent, "--at-turn", "0"), fork(parent, "--at-turn", "99")])
    expect(setup.code).toBe(1)
    expect(setup.stderr).toContain("turn 0 is part of the task setup; fork at turn 1 or later")
    expect(past.code).toBe(1)
    expect(past.stderr).toMatch(/has turns 0\.\.7; cannot fork at turn 99/)
    expect((await storedRun(db, FORKS)).rows).toHaveLength(before)
  })

  it("continues with a different agent given as scripted:<file.json>", async () => {
    // A script given to a fork plays from its first turn at the fork point.
    const script = tmp.file("agent-script.json")
    writeFileSync(
      script,
      JSON.stringify([
        { tool_calls: [{ name: "get_loan_details", arguments: { loan_id: "L001" } }] },
        { text: "I looked at your loan but did not renew it. ###STOP###" },
      ]),
    )
    const spec = `scripted:${script}`
    const { code, out, stderr } = await fork(parent, "--at-turn", "4", "--agent", spec)
    expect(stderr).not.toContain("error:")
    expect(code).toBe(0)
    const child = String(out?.episode_id)
    // Without the renewal the database check fails.
    expect(out).toMatchObject({ parent_episode_id: parent, termination_reason: "agent_stop", reward: 0 })

    const own = (await storedRun(db, FORKS)).events[child]
    expect(own[0].event).toMatchObject({ _tag: "EpisodeStarted", agent: spec, user: "scripted" })
    expect(own.slice(1).map((e) => e.event)).toEqual([
      expect.objectContaining({ _tag: "MessageSent", role: "agent", text: null, toolCalls: [expect.objectContaining({ name: "get_loan_details" })] }),
      expect.objectContaining({ _tag: "ToolExecuted", actor: "agent", name: "get_loan_details", error: false, patchJson: "[]" }),
      expect.objectContaining({ _tag: "MessageSent", role: "agent", text: "I looked at your loan but did not renew it. ###STOP###" }),
      expect.objectContaining({ _tag: "EpisodeEnded", reason: "agent_stop" }),
    ])
    const shown = await showJson(child)
    expect(shown.agent).toBe(spec)
    expect(shown.messages.filter((m) => !m.inherited).map((m) => m.role)).toEqual(["assistant", "tool", "assistant"])
  })
})
