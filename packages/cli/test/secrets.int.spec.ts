/**
 * Credentials in provider URLs never reach the store or the output (issue 9, item 9). The real `tau`
 * runs model participants over HTTP against the local model server with a `compat:` spec whose URL
 * carries userinfo and `?api-key=`, and an OPENAI_BASE_URL carrying userinfo and `?token=`. The calls
 * are made with the credentials (the server sees them), and a byte scan of the SQLite files (the
 * main file, and the -wal a kill -9 leaves behind) and of everything printed finds none of them.
 * A stored (redacted) spec is made live again from COMPAT_BASE_URL or the same spec on the command
 * line; without either, resuming or forking is refused naming the variable.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import type { EpisodeEvent, ModelCalled } from "@tau-sim/engine"
import { demoBrain, type FakeCall, type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { finished, jsonLines, readStore, spawnTau, storedRun, type TauResult, tau, tempDir } from "./tau.ts"

const dir = tempDir("secrets")
let server: FakeLlmServer
let latencyMs = 0
let port: number

// Distinct values, so that a scan cannot match ordinary text by chance.
const SECRETS = ["s3cret", "k3y", "pr0xy-pass-2291", "t0k3n-9c1d", "sk-local-secret-55aa77"]
const OPENAI_KEY = "sk-local-secret-55aa77"
const compatLive = () => `compat:demo@http://user:s3cret@127.0.0.1:${port}/v1?api-key=k3y`
const compatPublic = () => `compat:demo@http://***@127.0.0.1:${port}/v1?api-key=***`
const compatURL = () => `http://user:s3cret@127.0.0.1:${port}/v1?api-key=k3y`
const openaiURL = () => `http://proxy:pr0xy-pass-2291@127.0.0.1:${port}/v1?token=t0k3n-9c1d`

beforeAll(async () => {
  server = await startFakeLlmServer({
    brain: async (c, i) => {
      if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs))
      return demoBrain(c, i)
    },
  })
  port = Number(new URL(server.url).port)
})
afterAll(async () => {
  await server.close()
  dir.dispose()
})

/** Only our variables: none of the developer's keys or base URLs. */
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/API_KEY|BASE_URL/.test(k))),
  OPENAI_API_KEY: OPENAI_KEY,
  OPENAI_BASE_URL: openaiURL(),
  ...extra,
})

const printed: string[] = []
const run = async (args: ReadonlyArray<string>, extra?: Record<string, string>): Promise<TauResult> => {
  const result = await tau(args, dir.root, env(extra))
  printed.push(result.stdout, result.stderr)
  return result
}

/** Which secrets occur in these bytes. */
const found = (bytes: Buffer | string): string[] => SECRETS.filter((s) => Buffer.from(bytes).includes(s))

/** The store's files as they are on disk now (main file, WAL, shared memory). */
const storeFiles = (db: string) => [db, `${db}-wal`, `${db}-shm`].filter(existsSync)

const expectNoSecretsIn = (db: string) => {
  for (const file of storeFiles(db)) expect({ file, found: found(readFileSync(file)) }).toEqual({ file, found: [] })
  for (const text of printed) expect(found(text)).toEqual([])
}

const eventCount = (db: string) =>
  readStore(db, ({ store }) =>
    Effect.runPromise(
      Effect.gen(function* () {
        let n = 0
        for (const row of yield* store.listEpisodes()) n += (yield* store.read(row.episodeId)).length
        return n
      }),
    ),
  )

const isCompat = (c: FakeCall) => c.query.includes("api-key")
const modelCalls = (events: ReadonlyArray<{ event: EpisodeEvent }>) => events.map((e) => e.event).filter((e): e is ModelCalled => e._tag === "ModelCalled")

describe("a run with credentials in its provider URLs", () => {
  const db = dir.file("run.db")
  const RUN = "run_secret_urls"
  let result: TauResult
  let served: FakeCall[]

  beforeAll(async () => {
    const before = server.calls.length
    result = await run([
      "run",
      "--domain",
      "demo",
      "--task-ids",
      "renew_loan,link_card_in_app",
      "--agent",
      compatLive(),
      "--user",
      "openai:demo",
      "--run-id",
      RUN,
      "--json",
      "--db",
      db,
    ])
    served = server.calls.slice(before)
  })

  it("completes, calling the providers with the credentials", () => {
    expect(result.stderr).not.toContain("error:")
    expect(result.code).toBe(0)
    expect(jsonLines(result.stdout).map((s) => [s.termination_reason, s.reward])).toEqual([
      ["user_stop", 1],
      ["user_stop", 1],
    ])
    const compat = served.filter(isCompat)
    const openai = served.filter((c) => !isCompat(c))
    expect(compat.length).toBeGreaterThan(0)
    expect(openai.length).toBeGreaterThan(0)
    for (const c of compat) {
      expect([c.path, c.query, c.headers.authorization]).toEqual([
        "/v1/chat/completions",
        "api-key=k3y",
        `Basic ${Buffer.from("user:s3cret").toString("base64")}`,
      ])
    }
    // The provider's own key goes first; the query still reaches the server.
    for (const c of openai) expect([c.path, c.query, c.headers.authorization]).toEqual(["/v1/chat/completions", "token=t0k3n-9c1d", `Bearer ${OPENAI_KEY}`])
  })

  it("stores and prints only the redacted spec and URLs", async () => {
    const stored = await storedRun(db, RUN)
    const config = await readStore(db, ({ store }) => Effect.runPromise(store.getRun(RUN)))
    expect(config?.config).toMatchObject({ agent: compatPublic(), user: "openai:demo" })
    for (const events of Object.values(stored.events)) {
      expect(events[0].event).toMatchObject({ _tag: "EpisodeStarted", agent: compatPublic(), user: "openai:demo" })
      const calls = modelCalls(events)
      expect(calls.length).toBeGreaterThan(0)
      for (const call of calls) {
        const request = call.request as { identity: string; baseURL: string }
        expect(request).toMatchObject(
          call.participant === "agent"
            ? { identity: compatPublic(), baseURL: `http://***@127.0.0.1:${port}/v1?api-key=***` }
            : { identity: "openai:demo", baseURL: `http://***@127.0.0.1:${port}/v1?token=***` },
        )
      }
    }
    expect(result.stderr).toContain(`agent ${compatPublic()}, user openai:demo`)
    expectNoSecretsIn(db)
  })

  it("show and replay print the redacted spec", async () => {
    const episode = String(jsonLines(result.stdout)[0].episode_id)
    const show = await run(["show", episode, "--db", db])
    expect(show.code).toBe(0)
    expect(show.stdout).toContain(`agent ${compatPublic()}`)
    const replay = await run(["replay", "--all", "--verify", "--db", db])
    expect(replay.code).toBe(0)
    expectNoSecretsIn(db)
  })
})

describe("kill -9 and resume of a run with credentials", () => {
  const db = dir.file("resume.db")
  const RUN = "run_secret_resume"
  const args = () => [
    "run",
    "--domain",
    "demo",
    "--task-ids",
    "renew_loan,link_card_in_app",
    "--trials",
    "2",
    "--max-concurrency",
    "1",
    "--agent",
    compatLive(),
    "--user",
    "openai:demo",
    "--run-id",
    RUN,
    "--db",
    db,
  ]

  it("leaves a WAL without secrets, refuses to resume without them, and resumes from COMPAT_BASE_URL", async () => {
    latencyMs = 30
    const child = spawnTau(args(), dir.root, env())
    const killed = finished(child)
    // Killed as soon as the first episode is reported: the others are half-way or not started.
    await new Promise<void>((resolve) => {
      let err = ""
      child.stderr?.on("data", (d: Buffer) => {
        err += d.toString()
        if (err.includes("[1/4]")) {
          child.kill("SIGKILL")
          resolve()
        }
      })
    })
    const first = await killed
    printed.push(first.stdout, first.stderr)
    latencyMs = 0
    expect(first.signal).toBe("SIGKILL")
    expect(existsSync(`${db}-wal`)).toBe(true)
    expectNoSecretsIn(db)

    const before = await eventCount(db)
    const refused = await run(["run", "--resume", RUN, "--db", db])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      `error: ${compatPublic()}: the credentials of this URL are not stored; to call it, give the URL with them in COMPAT_BASE_URL`,
    )
    expect(await eventCount(db)).toBe(before)

    const resumed = await run(["run", "--resume", RUN, "--json", "--db", db], { COMPAT_BASE_URL: compatURL() })
    expect(resumed.stderr).not.toContain("error:")
    expect(resumed.code).toBe(0)
    const stored = await storedRun(db, RUN)
    expect(stored.rows.map((r) => [r.status, r.terminationReason])).toEqual(Array(4).fill(["ended", "user_stop"]))
    expectNoSecretsIn(db)
  })

  it("resumes with the same spec given again on the command line", async () => {
    // A finished run resumes to nothing, but the spec must still be callable to get that far.
    const again = await run(["run", "--resume", RUN, "--agent", compatLive(), "--db", db])
    expect(again.stderr).not.toContain("error:")
    expect(again.code).toBe(0)
    expectNoSecretsIn(db)
  })

  it("forks an episode with the parent's spec made live from COMPAT_BASE_URL, and refuses without it", async () => {
    const [parent] = (await storedRun(db, RUN)).rows
    const refused = await run(["fork", parent.episodeId, "--at-turn", "2", "--db", db])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("give the URL with them in COMPAT_BASE_URL")
    const fork = await run(["fork", parent.episodeId, "--at-turn", "2", "--json", "--db", db], { COMPAT_BASE_URL: `http://127.0.0.1:1/v1 ${compatURL()}` })
    expect(fork.stderr).not.toContain("error:")
    expect(fork.code).toBe(0)
    expect(jsonLines(fork.stdout)[0]).toMatchObject({ termination_reason: "user_stop", reward: 1 })
    expectNoSecretsIn(db)
  })
})

describe("other ways a URL reaches the record", () => {
  it("an error message echoing the URL is stored and printed redacted", async () => {
    const db = dir.file("rejected.db")
    server.setBrain((c) => ({ type: "error", status: 401, message: `bad credentials for http://user:s3cret@127.0.0.1:${port}${c.path}?api-key=k3y` }))
    try {
      const result = await run([
        "run",
        "--domain",
        "demo",
        "--task-ids",
        "renew_loan",
        "--agent",
        compatLive(),
        "--user",
        "scripted",
        "--run-id",
        "rejected",
        "--db",
        db,
      ])
      expect(result.code).not.toBe(0)
      const stored = await storedRun(db, "rejected")
      expect(stored.rows.length).toBeGreaterThan(0)
      expect(stored.rows.every((r) => r.terminationReason === "infrastructure_error")).toBe(true)
      const ended = Object.values(stored.events)
        .flatMap((events) => events.map((e) => e.event))
        .filter((e) => e._tag === "EpisodeEnded")
      expect(ended.length).toBeGreaterThan(0)
      for (const e of ended) expect(JSON.stringify(e)).toContain(`bad credentials for http://***@127.0.0.1:${port}/v1/chat/completions?api-key=***`)
      expectNoSecretsIn(db)
    } finally {
      server.setBrain(demoBrain)
    }
  })

  it("an experiment file's specs are redacted before run ids are made from them", async () => {
    const db = dir.file("experiment.db")
    const file = dir.file("secrets.yaml")
    writeFileSync(
      file,
      ["name: secret-urls", "domains: [demo]", `agents: [${JSON.stringify(compatLive())}]`, 'users: ["openai:demo"]', "tasks: {ids: [renew_loan]}"].join("\n"),
    )
    const result = await run(["experiment", file, "--json", "--db", db])
    expect(result.stderr).not.toContain("error:")
    expect(result.code).toBe(0)
    const runs = await readStore(db, ({ store }) => Effect.runPromise(store.listRuns()))
    expect(runs.length).toBe(1)
    expect(runs[0].config).toMatchObject({ agent: compatPublic() })
    expectNoSecretsIn(db)
  })
})
