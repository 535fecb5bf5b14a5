/**
 * Model-backed episodes: what the engine costs per step when the model answers instantly, and how
 * close 64 concurrent episodes against a model server with 200 ms latency come to the ideal (every
 * episode's calls back to back, all episodes fully overlapped).
 *
 * Both drive demo-domain episodes (agent and user are model participants; the scripted demo brain
 * plays the model) on a SQLite store, through the full recording path: request building, request
 * hashing, `ModelCalled` events, tool execution, appends. The 200 ms server runs in its own process
 * (a remote provider does not share our event loop); the instant model is in-process.
 * Run alone: node packages/models/bench/overhead.ts
 */
import * as fs from "node:fs"
import * as os from "node:os"
import { spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { demoDomain } from "@tau-sim/domains/demo"
import { type Domain, type EpisodeStarted, EventStore, foldHistory, layerSqlite, type Participant, playEpisode, setupEvents, type Task } from "@tau-sim/engine"
import { Effect } from "effect"
import { makeModelRuntime, type ModelClient, modelParticipants, type ModelRuntimeShape } from "../src/index.ts"
import { demoBrain, inProcessModel, startFakeLlmServer } from "../testing/index.ts"

export interface ModelBenchOptions {
  /** Where the SQLite stores go (a temp dir by default). */
  readonly dir?: string
  /** Episodes for the overhead measurement. */
  readonly overheadEpisodes?: number
  readonly concurrentEpisodes?: number
  readonly latencyMs?: number
}

const startedFor = (domain: Domain, task: Task, episodeId: string, seed: number): EpisodeStarted => ({
  _tag: "EpisodeStarted",
  v: 2,
  runId: "bench-models",
  episodeId,
  domain: domain.name,
  taskId: task.id,
  trial: seed,
  hashes: { ...domain.hashes, task: "bench" },
  dataDir: null,
  policyVariant: "default",
  mode: "default",
  agent: "openai:bench",
  user: "openai:bench",
  seed,
  limits: { maxSteps: 60, maxErrors: 10 },
  engineVersion: "bench",
  parent: null,
})

interface BenchParticipants {
  readonly agent: Participant
  readonly user: Participant
  readonly runtime: ModelRuntimeShape
}

/** Runs one episode to its end; returns its step count and (when nothing else shares the runtime) its model calls. */
const episode = (domain: Domain, task: Task, episodeId: string, seed: number, participants: BenchParticipants) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const callsBefore = participants.runtime.totals.calls
    const setup = setupEvents(startedFor(domain, task, episodeId, seed), domain, task)
    yield* store.append(episodeId, 0, setup)
    const final = yield* playEpisode(episodeId, foldHistory(domain, setup), domain, task, participants)
    if (final.ended !== "user_stop") throw new Error(`bench episode ${episodeId} ended with ${final.ended}`)
    return { steps: final.steps, calls: participants.runtime.totals.calls - callsBefore }
  })

const participantsWith = (options: { client?: ModelClient; env?: NodeJS.ProcessEnv }): BenchParticipants => {
  const runtime = makeModelRuntime({ env: options.env ?? {}, maxRetries: 0 })
  const factory = modelParticipants(runtime, options.client ? { client: options.client } : {})
  const make = (side: "agent" | "user") => Effect.runSync(factory.make("openai:bench", side))
  return { agent: make("agent"), user: make("user"), runtime }
}

/** The scripted server in its own process, as a remote provider would be. */
export const serverProcess = async (latencyMs: number): Promise<{ baseURL: string; stop: () => void }> => {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../testing/serve.ts", import.meta.url)), "--latency", String(latencyMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  })
  const baseURL = await new Promise<string>((resolve, reject) => {
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d
      if (out.includes("\n")) resolve(out.split("\n")[0].trim())
    })
    child.on("exit", (code) => reject(new Error(`the model server exited early (${code})`)))
  })
  return { baseURL, stop: () => child.kill("SIGTERM") }
}

const tasks = (domain: Domain) =>
  ["renew_loan", "link_card_in_app"].map((id) => {
    const task = domain.tasks.find((t) => t.id === id)
    if (!task) throw new Error(`demo task ${id} missing`)
    return task
  })

/** Engine time per step (ms) with a model that answers instantly, after a warm-up. */
export const engineOverheadPerStep = async (dir: string, episodes = 200) => {
  const domain = demoDomain()
  const [renew, link] = tasks(domain)
  const participants = participantsWith({ client: inProcessModel(demoBrain) })
  const program = Effect.gen(function* () {
    for (let i = 0; i < 20; i++) yield* episode(domain, i % 2 ? link : renew, `warm-${i}`, i, participants)
    let steps = 0
    let calls = 0
    const t0 = performance.now()
    for (let i = 0; i < episodes; i++) {
      const r = yield* episode(domain, i % 2 ? link : renew, `ep-${i}`, 1000 + i, participants)
      steps += r.steps
      calls += r.calls
    }
    const ms = performance.now() - t0
    return { episodes, steps, model_calls: calls, ms_per_step: Number((ms / steps).toFixed(4)), ms_per_model_call: Number((ms / calls).toFixed(4)) }
  })
  return Effect.runPromise(program.pipe(Effect.provide(layerSqlite(path.join(dir, "overhead.db")))))
}

/**
 * `episodes` concurrent episodes against a local server answering after `latencyMs`, as a
 * percentage of the ideal (the longest episode's model calls back to back), for `rounds` rounds
 * one after another in one process. Round 1 is cold: it opens the connections and runs while V8
 * is still compiling the path. Later rounds are the steady state a run of many episodes lives in.
 */
export const concurrentThroughput = async (dir: string, episodes = 64, latencyMs = 200, rounds = 2) => {
  const server = await serverProcess(latencyMs)
  try {
    const domain = demoDomain()
    const [, link] = tasks(domain)
    const participants = participantsWith({ env: { OPENAI_API_KEY: "bench-not-a-key", OPENAI_BASE_URL: server.baseURL } })
    const round = (r: number) =>
      Effect.gen(function* () {
        const ids = Array.from({ length: episodes }, (_, i) => `r${r}-ep-${i}`)
        const t0 = performance.now()
        const cpu0 = process.cpuUsage()
        yield* Effect.forEach(ids, (id, i) => episode(domain, link, id, 100 + r * episodes + i, participants), { concurrency: episodes })
        const wallMs = performance.now() - t0
        const cpu = process.cpuUsage(cpu0)
        // Shared runtime: count each episode's calls from its stream (outside the timed part).
        const store = yield* EventStore
        const calls = yield* Effect.forEach(ids, (id) =>
          store.read(id).pipe(Effect.map((events) => events.filter((e) => e.event._tag === "ModelCalled").length)),
        )
        const idealMs = Math.max(...calls) * latencyMs
        const modelCalls = calls.reduce((n, c) => n + c, 0)
        return {
          episodes,
          latency_ms: latencyMs,
          model_calls: modelCalls,
          wall_s: Number((wallMs / 1000).toFixed(3)),
          // This process's CPU (user + system, V8's compiler threads included) in the timed part per
          // model call (one hop): the budget at N episodes is about 2 cores × latency / N, the model
          // server's process apart.
          cpu_ms_per_model_call: Number(((cpu.user + cpu.system) / 1000 / modelCalls).toFixed(3)),
          ideal_s: Number((idealMs / 1000).toFixed(3)),
          percent_of_ideal: Number(((idealMs / wallMs) * 100).toFixed(1)),
        }
      })
    const program = Effect.gen(function* () {
      // One episode first, as a run's first would be: it loads the path.
      yield* episode(domain, link, "warm", 1, participants)
      const out = []
      for (let r = 1; r <= rounds; r++) out.push(yield* round(r))
      return out
    })
    return await Effect.runPromise(program.pipe(Effect.provide(layerSqlite(path.join(dir, "concurrent.db")))))
  } finally {
    server.stop()
  }
}

/**
 * The HTTP bodies one bench episode sends, in order, as an in-process copy of the server received
 * them: what a bare client replays to measure what the machine allows for these exact requests.
 */
export const episodeRequestBodies = async (dir: string): Promise<ReadonlyArray<string>> => {
  const server = await startFakeLlmServer({ brain: demoBrain })
  try {
    const domain = demoDomain()
    const [, link] = tasks(domain)
    const participants = participantsWith({ env: { OPENAI_API_KEY: "bench-not-a-key", OPENAI_BASE_URL: server.baseURL } })
    await Effect.runPromise(episode(domain, link, "bodies", 1, participants).pipe(Effect.provide(layerSqlite(path.join(dir, "bodies.db")))))
    return server.calls.map((c) => JSON.stringify(c.body))
  } finally {
    await server.close()
  }
}

/** Both measurements, for `pnpm bench`. */
export const benchModels = async (options: ModelBenchOptions = {}) => {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "tau-bench-models-"))
  const overhead = await engineOverheadPerStep(dir, options.overheadEpisodes)
  const [cold, steady] = await concurrentThroughput(dir, options.concurrentEpisodes, options.latencyMs)
  if (!options.dir) fs.rmSync(dir, { recursive: true, force: true })
  return { engine_overhead_instant_model: overhead, concurrent_episodes: { cold, steady } }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await benchModels(), null, 2)}\n`)
}
