/**
 * `tau run` → `tau replay --verify` → `tau rescore` → `tau show`, as real processes on one SQLite
 * file: every episode is stored, reported once, replays, and keeps every score it was given.
 */
import Database from "better-sqlite3"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, storedRun, tau, type TauResult, tempDir } from "./tau.ts"

const tmp = tempDir("cli-run")
afterAll(tmp.dispose)

const RUN = "run_cli_core"
const TASKS = 10
const TRIALS = 3
const db = tmp.db()
let run: TauResult

beforeAll(async () => {
  run = await tau(
    ["run", "--domain", "demo", "--agent", "oracle", "--user", "scripted", "--trials", String(TRIALS), "--json", "--run-id", RUN, "--db", db],
    tmp.root,
  )
})

describe("tau run / replay / rescore / show", () => {
  it("stores every episode and prints one JSON line per finished episode", async () => {
    expect(run.stderr).not.toContain("error:")
    expect(run.code).toBe(0)
    const lines = jsonLines(run.stdout)
    expect(lines).toHaveLength(TASKS * TRIALS)
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(["run_id", "episode_id", "task_id", "trial", "termination_reason", "reward"]))
      expect(line.run_id).toBe(RUN)
    }
    expect(new Set(lines.map((l) => l.episode_id)).size).toBe(TASKS * TRIALS)
    expect(new Set(lines.map((l) => `${l.task_id}#${l.trial}`)).size).toBe(TASKS * TRIALS)
    expect(new Set(lines.map((l) => l.trial))).toEqual(new Set([0, 1, 2]))

    const stored = await storedRun(db, RUN)
    expect(stored.rows).toHaveLength(TASKS * TRIALS)
    const byId = new Map(stored.rows.map((r) => [r.episodeId, r]))
    for (const line of lines) {
      const row = byId.get(String(line.episode_id))
      expect(row).toMatchObject({ status: "ended", taskId: line.task_id, trial: line.trial, terminationReason: line.termination_reason, reward: line.reward })
      const events = stored.events[String(line.episode_id)]
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
      expect(events[0].event).toMatchObject({ _tag: "EpisodeStarted", runId: RUN, agent: "oracle", user: "scripted", parent: null })
      expect(events.at(-1)?.event).toMatchObject({ _tag: "EpisodeEnded", reason: line.termination_reason })
      expect(stored.scores[String(line.episode_id)].map((s) => s.reward)).toEqual([line.reward])
    }
    // The oracle plays the gold actions and the scripted user stops when they are done.
    expect(lines.every((l) => l.termination_reason === "user_stop" && l.reward === 1)).toBe(true)
  })

  it("replays and verifies every stored episode (exit 0)", async () => {
    const replay = await tau(["replay", "--all", "--verify", "--json", "--db", db], tmp.root)
    expect(replay.code).toBe(0)
    const rows = jsonLines(replay.stdout)
    expect(rows).toHaveLength(TASKS * TRIALS)
    expect(rows.every((r) => r.verified === true && r.termination_reason === "user_stop")).toBe(true)
  })

  it("rescore appends a second score per episode; show lists both", async () => {
    const rescore = await tau(["rescore", "--run", RUN, "--json", "--evaluator-version", "1-rescored", "--db", db], tmp.root)
    expect(rescore.code).toBe(0)
    const rows = jsonLines(rescore.stdout)
    expect(rows).toHaveLength(TASKS * TRIALS)
    expect(rows.every((r) => r.old_reward === 1 && r.new_reward === 1 && r.changed === false)).toBe(true)

    const stored = await storedRun(db, RUN)
    for (const row of stored.rows) {
      expect(stored.scores[row.episodeId].map((s) => s.evaluatorVersion)).toEqual([expect.not.stringMatching(/rescored/), "1-rescored"])
    }
    const episode = stored.rows[4].episodeId
    const show = await tau(["show", episode, "--json", "--db", db], tmp.root)
    expect(show.code).toBe(0)
    const [out] = jsonLines(show.stdout)
    expect(out).toMatchObject({ episode_id: episode, run_id: RUN, status: "ended", termination_reason: "user_stop" })
    const scores = out.scores as Array<Record<string, unknown>>
    expect(scores).toHaveLength(2)
    expect(scores.map((s) => s.reward)).toEqual([1, 1])
    expect(scores[1].evaluator_version).toBe("1-rescored")
    // The first score is kept as it was recorded.
    expect(scores[0].recorded_at).toBe(stored.scores[episode][0].recordedAt)
  })

  it("replay --verify exits non-zero and names the tampered event", async () => {
    const copy = tmp.file("tampered.db")
    const source = new Database(db, { readonly: true })
    await source.backup(copy)
    source.close()
    const stored = await storedRun(copy, RUN)
    const victim = stored.rows[7].episodeId
    const target = stored.events[victim].find((e) => e.event._tag === "ToolExecuted" && !e.event.setup)
    if (target?.event._tag !== "ToolExecuted") throw new Error("the episode has no tool execution")
    const raw = new Database(copy)
    raw
      .prepare("UPDATE events SET body = ? WHERE episode_id = ? AND seq = ?")
      .run(JSON.stringify({ ...target.event, output: `${target.event.output}!` }), victim, target.seq)
    raw.close()

    const replay = await tau(["replay", "--all", "--verify", "--json", "--db", copy], tmp.root)
    expect(replay.code).toBe(2)
    const rows = jsonLines(replay.stdout)
    expect(rows.filter((r) => r.verified === false)).toEqual([
      expect.objectContaining({
        episode_id: victim,
        findings: [
          expect.objectContaining({ kind: "chain", seq: target.seq, looks_like: "edited" }),
          expect.objectContaining({ kind: "determinism", seq: target.seq, tool: target.event.name, path: "output" }),
        ],
      }),
    ])
    expect(rows.filter((r) => r.verified === true)).toHaveLength(TASKS * TRIALS - 1)
  })
})
