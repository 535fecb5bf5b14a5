/**
 * The real `tau` command line with model-backed agent and user, against the scripted local server
 * (the CLI is spawned with OPENAI_BASE_URL pointing at it): run, replay --verify, fork, the
 * response cache, kill -9 and --resume without repeating a recorded call, and the API key never
 * reaching the store or the output.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import Database from "better-sqlite3"
import { type EpisodeEvent, type ModelCalled, openSqliteStore } from "@tau-sim/engine"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { demoBrain, type FakeCall, type FakeLlmServer, startFakeLlmServer } from "../testing/index.ts"

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")
const NODE = join(REPO, "node_modules/.bin/node")
const MAIN = join(REPO, "packages/cli/src/main.ts")
const KEY = "sk-cli-secret-7f3a9c1e5b2d4e6f8a0b"

const root = mkdtempSync(join(tmpdir(), "tau-sim-models-cli-"))
let server: FakeLlmServer
let latencyMs = 0
beforeAll(async () => {
  server = await startFakeLlmServer({
    brain: async (c, i) => {
      if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs))
      return demoBrain(c, i)
    },
  })
})
afterAll(async () => {
  await server.close()
  rmSync(root, { recursive: true, force: true })
})

interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

const outputs: string[] = []

/** Spawns `tau`, with only our key in the environment and the providers pointed at the local server. */
const spawnTau = (args: ReadonlyArray<string>, withKey = true): ChildProcess => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/API_KEY|BASE_URL/.test(k)))
  return spawn(NODE, [MAIN, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...env, NO_COLOR: "1", OPENAI_BASE_URL: server.baseURL, ...(withKey ? { OPENAI_API_KEY: KEY } : {}) },
  })
}
const finished = (child: ChildProcess): Promise<Result> =>
  new Promise((done, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code, signal) => {
      outputs.push(stdout, stderr)
      done({ code, signal, stdout, stderr })
    })
  })
const tau = (args: ReadonlyArray<string>) => finished(spawnTau(args))
const lines = (stdout: string) =>
  stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>)

/** Every event of every episode of a run (own streams). */
const runEvents = (db: string, runId: string): Record<string, EpisodeEvent[]> => {
  const handle = openSqliteStore(db)
  try {
    return Effect.runSync(
      Effect.gen(function* () {
        const out: Record<string, EpisodeEvent[]> = {}
        for (const row of yield* handle.store.listEpisodes({ runId })) out[row.episodeId] = (yield* handle.store.read(row.episodeId)).map((s) => s.event)
        return out
      }),
    )
  } finally {
    handle.close()
  }
}
const calls = (events: ReadonlyArray<EpisodeEvent>) => events.filter((e): e is ModelCalled => e._tag === "ModelCalled")

/** One identity per logical call, computable from the server's view and from a recorded request. */
const canon = (role: string, text: string | null, names: ReadonlyArray<string>) => `${role}:${text ?? ""}:${names.join(",")}`
const serverKey = (c: FakeCall) =>
  `${c.system.includes("<scenario>") ? "user" : "agent"}|${c.body.seed}|${c.system}|${c.messages
    .map((m) => canon(m.role, m.text, m.role === "assistant" ? m.toolCalls.map((t) => t.name) : []))
    .join("\n")}`
const recordedKey = (e: ModelCalled) => {
  const request = e.request as { messages: Array<{ role: string; content: string | null; toolCalls?: Array<{ name: string }> }>; params: { seed: number } }
  return `${e.participant}|${request.params.seed}|${request.messages[0].content}|${request.messages
    .slice(1)
    .map((m) =>
      canon(
        m.role,
        m.content,
        (m.toolCalls ?? []).map((t) => t.name),
      ),
    )
    .join("\n")}`
}
const countBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string) => {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return counts
}

const TASKS = "renew_loan,link_card_in_app"

describe("tau run with model participants over HTTP", () => {
  const db = join(root, "run.db")
  const RUN = "run_models_cli"
  let run: Result
  let callsDuringRun: number

  beforeAll(async () => {
    const before = server.calls.length
    run = await tau([
      "run",
      "--domain",
      "demo",
      "--agent",
      "openai:test-model",
      "--user",
      "openai:test-model",
      "--agent-args",
      '{"temperature": 0}',
      "--task-ids",
      TASKS,
      "--trials",
      "2",
      "--run-id",
      RUN,
      "--json",
      "--db",
      db,
    ])
    callsDuringRun = server.calls.length - before
  })

  it("runs every episode to the user's stop with full reward, recording each model call", () => {
    expect(run.stderr).not.toContain("error:")
    expect(run.code).toBe(0)
    const summaries = lines(run.stdout)
    expect(summaries).toHaveLength(4)
    expect(summaries.every((s) => s.termination_reason === "user_stop" && s.reward === 1)).toBe(true)
    // Live progress carries the cost so far: test-model is not in the price table, so it is unknown (not $0).
    expect(run.stderr).toMatch(/\[4\/4\] .* model cost so far unknown \((\d+) calls, \1 unpriced\)/)
    expect(run.stderr).not.toContain("$0.0000")
    const episodes = runEvents(db, RUN)
    const recorded = Object.values(episodes).flatMap(calls)
    expect(recorded).toHaveLength(callsDuringRun)
    for (const events of Object.values(episodes)) {
      expect(events[0]).toMatchObject({ agent: 'openai:test-model{"temperature":0}', user: "openai:test-model" })
      const started = events[0] as Extract<EpisodeEvent, { _tag: "EpisodeStarted" }>
      for (const call of calls(events)) {
        expect(call).toMatchObject({ provider: "openai", model: "test-model", attempt: 1, error: null })
        const params = (call.request as { params: Record<string, unknown> }).params
        expect(params).toEqual(call.participant === "agent" ? { temperature: 0, seed: started.seed } : { seed: started.seed })
      }
    }
    // What the server received is what was recorded, call for call.
    expect([...countBy(server.calls.slice(-callsDuringRun), serverKey).keys()].sort()).toEqual([...countBy(recorded, recordedKey).keys()].sort())
  })

  it("replays and verifies every episode without calling a model", async () => {
    const before = server.calls.length
    const replay = await tau(["replay", "--run", RUN, "--verify", "--json", "--db", db])
    expect(replay.code).toBe(0)
    const rows = lines(replay.stdout)
    expect(rows).toHaveLength(4)
    expect(rows.every((r) => r.verified === true && r.termination_reason === "user_stop")).toBe(true)
    expect(server.calls.length).toBe(before)
  })

  it("forks an episode: the recorded prefix is not sent again, the branch is live", async () => {
    const episode = Object.entries(runEvents(db, RUN)).find(([, events]) => (events[0] as { taskId: string }).taskId === "renew_loan")?.[0]
    const before = server.calls.length
    const fork = await tau(["fork", String(episode), "--at-turn", "2", "--json", "--db", db])
    expect(fork.stderr).not.toContain("error:")
    expect(fork.code).toBe(0)
    const [out] = lines(fork.stdout)
    expect(out).toMatchObject({ parent_episode_id: episode, termination_reason: "user_stop", reward: 1 })
    const own = runEvents(db, `${RUN}~forks`)[String(out.episode_id)]
    expect(calls(own)).toHaveLength(server.calls.length - before)
    // The branch starts with the agent answering the user's inherited first message.
    expect(server.calls[before].messages.at(-1)).toMatchObject({ role: "user" })
    expect(server.calls[before].messages).toHaveLength(2)
  })

  it("--cache answers a repeated run from the store: no request reaches the server", async () => {
    const before = server.calls.length
    const again = await tau([
      "run",
      "--domain",
      "demo",
      "--agent",
      "openai:test-model",
      "--user",
      "openai:test-model",
      "--agent-args",
      '{"temperature": 0}',
      "--task-ids",
      TASKS,
      "--trials",
      "2",
      "--run-id",
      `${RUN}_cached`,
      "--cache",
      "--json",
      "--db",
      db,
    ])
    expect(again.code).toBe(0)
    expect(server.calls.length).toBe(before)
    const outcomes = (stdout: string) =>
      lines(stdout)
        .map((s) => `${s.task_id}#${s.trial}: ${s.termination_reason} ${s.reward}`)
        .sort()
    expect(outcomes(again.stdout)).toEqual(outcomes(run.stdout))
    const recorded = Object.values(runEvents(db, `${RUN}_cached`)).flatMap(calls)
    expect(recorded.length).toBe(callsDuringRun)
    expect(recorded.every((c) => c.cost === 0 && (c.response as { cached?: unknown }).cached !== undefined)).toBe(true)
    expect(again.stderr).toMatch(/cached/)
  })

  it("never lets the API key into the store or the output, although every request carried it", () => {
    expect(server.calls.length).toBeGreaterThan(0)
    expect(server.calls.every((c) => c.headers.authorization === `Bearer ${KEY}`)).toBe(true)
    const sqlite = new Database(db, { readonly: true })
    try {
      const stored = [
        ...sqlite.prepare("SELECT body FROM events").pluck().all(),
        ...sqlite.prepare("SELECT config FROM runs").pluck().all(),
        ...sqlite.prepare("SELECT breakdown FROM scores").pluck().all(),
      ] as string[]
      expect(stored.length).toBeGreaterThan(0)
      for (const text of [...stored, ...outputs]) expect(text).not.toContain(KEY)
    } finally {
      sqlite.close()
    }
  })
})

describe("configuration errors", () => {
  it("a missing API key stops the run before anything is stored, naming the variable", async () => {
    const db = join(root, "nokey.db")
    const result = await finished(spawnTau(["run", "--domain", "demo", "--agent", "openai:test-model", "--user", "openai:test-model", "--db", db], false))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("error: openai models need an API key in the environment variable OPENAI_API_KEY")
    const sqlite = new Database(db, { readonly: true })
    try {
      expect(sqlite.prepare("SELECT count(*) FROM runs").pluck().get()).toBe(0)
      expect(sqlite.prepare("SELECT count(*) FROM events").pluck().get()).toBe(0)
    } finally {
      sqlite.close()
    }
  })
})

describe("kill -9 in the middle of a model-backed run, then --resume", () => {
  it("continues every episode without repeating any model call that was recorded", async () => {
    const db = join(root, "killed.db")
    const RUN = "run_models_killed"
    const args = [
      "--domain",
      "demo",
      "--agent",
      "openai:test-model",
      "--user",
      "openai:test-model",
      "--task-ids",
      TASKS,
      "--trials",
      "3",
      "--max-concurrency",
      "2",
    ]
    latencyMs = 60
    const start = server.calls.length
    const child = spawnTau(["run", ...args, "--run-id", RUN, "--json", "--db", db])
    const exit = finished(child)
    // Kill once a good part of the run has been answered (and well before its end, ~36 calls).
    const deadline = Date.now() + 30_000
    while (server.calls.length - start < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    child.kill("SIGKILL")
    const killed = await exit
    expect(killed.signal).toBe("SIGKILL")

    const atKill = runEvents(db, RUN)
    const recordedBefore = Object.values(atKill).flatMap(calls).map(recordedKey)
    const endedBefore = Object.values(atKill).filter((events) => events.some((e) => e._tag === "EpisodeEnded")).length
    expect(recordedBefore.length).toBeGreaterThan(0)
    expect(endedBefore).toBeLessThan(6)

    latencyMs = 0
    const resumed = await tau(["run", "--resume", RUN, "--json", "--db", db])
    expect(resumed.stderr).not.toContain("error:")
    expect(resumed.code).toBe(0)

    const episodes = runEvents(db, RUN)
    expect(Object.keys(episodes)).toHaveLength(6)
    for (const events of Object.values(episodes)) expect(events.at(-1)).toMatchObject({ _tag: "EpisodeEnded", reason: "user_stop" })
    const sent = countBy(server.calls.slice(start), serverKey)
    // No call recorded before the kill was sent again.
    for (const key of recordedBefore) expect(sent.get(key)).toBe(1)
    // Only calls in flight at the kill (at most one per concurrent episode) went out twice.
    const repeated = [...sent.entries()].filter(([, n]) => n > 1)
    expect(repeated.length).toBeLessThanOrEqual(2)
    for (const [key, n] of repeated) {
      expect(n).toBe(2)
      expect(recordedBefore).not.toContain(key)
    }
    // Each logical call is recorded exactly once in the resumed run.
    const recordedAfter = Object.values(episodes).flatMap(calls).map(recordedKey)
    expect(new Set(recordedAfter).size).toBe(recordedAfter.length)
    expect(new Set(recordedAfter)).toEqual(new Set(sent.keys()))
  })
})
