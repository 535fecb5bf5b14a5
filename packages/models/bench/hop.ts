/**
 * CPU per model hop in this package alone: the recorded calls of one demo episode (agent and user,
 * as the engine made them) are replayed by `concurrency` loops through `recordedCall` and the
 * OpenAI provider over HTTP to the scripted server in its own process, answering at once. What is
 * measured is this process's CPU (user + system) per call: hashing, redaction, event building, the
 * AI SDK and the transport, without the engine or the store. Under load, CPU time is a steadier
 * figure than wall time.
 *   Run alone: node packages/models/bench/hop.ts [calls] [concurrency]
 */
import { demoDomain } from "@tau-sim/domains/demo"
import { EventStore, foldHistory, layerMemory, type ModelCalled, playEpisode, setupEvents } from "@tau-sim/engine"
import { Effect } from "effect"
import { makeModelClient, type ModelRequest, ModelRuntime, makeModelRuntime, modelParticipants, parseModelSpec, recordedCall } from "../src/index.ts"
import { demoBrain, inProcessModel } from "../testing/index.ts"
import { serverProcess } from "./overhead.ts"

/** The requests of one demo episode's model calls, in order. */
export const episodeRequests = (): Promise<ReadonlyArray<{ request: ModelRequest; participant: ModelCalled["participant"] }>> => {
  const domain = demoDomain()
  const task = domain.tasks.find((t) => t.id === "link_card_in_app")
  if (!task) throw new Error("demo task link_card_in_app missing")
  const runtime = makeModelRuntime({ env: {}, maxRetries: 0 })
  const factory = modelParticipants(runtime, { client: inProcessModel(demoBrain) })
  const started = {
    _tag: "EpisodeStarted" as const,
    v: 2 as const,
    runId: "bench-hop",
    episodeId: "hop",
    domain: domain.name,
    taskId: task.id,
    trial: 0,
    hashes: { ...domain.hashes, task: "bench" },
    dataDir: null,
    policyVariant: "default",
    mode: "default" as const,
    agent: "openai:bench",
    user: "openai:bench",
    seed: 1,
    limits: { maxSteps: 60, maxErrors: 10 },
    engineVersion: "bench",
    parent: null,
  }
  return Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* EventStore
      const setup = setupEvents(started, domain, task)
      yield* store.append("hop", 0, setup)
      const participants = { agent: yield* factory.make("openai:bench", "agent"), user: yield* factory.make("openai:bench", "user") }
      yield* playEpisode("hop", foldHistory(domain, setup), domain, task, participants)
      const events = yield* store.read("hop")
      return events.flatMap(({ event }) => {
        if (event._tag !== "ModelCalled") return []
        const { messages, tools, toolChoice, params } = event.request as unknown as ModelRequest
        return [{ request: { messages, tools, toolChoice, params }, participant: event.participant }]
      })
    }).pipe(Effect.provide(layerMemory)),
  )
}

export const modelHopCpu = async (calls = 4000, concurrency = 32) => {
  const requests = await episodeRequests()
  const server = await serverProcess(0)
  try {
    const env = { OPENAI_API_KEY: "bench-not-a-key", OPENAI_BASE_URL: server.baseURL }
    const runtime = makeModelRuntime({ env, maxRetries: 0 })
    const client = makeModelClient(parseModelSpec("openai:bench") ?? (undefined as never), { env })
    const loops = (n: number) =>
      Effect.forEach(
        Array.from({ length: concurrency }, (_, i) => i),
        (i) =>
          Effect.gen(function* () {
            for (let k = i; k < n; k += concurrency) {
              const { request, participant } = requests[k % requests.length]
              yield* recordedCall(client, request, participant).pipe(Effect.mapError((f) => new Error(f.error.message)))
            }
          }),
        { concurrency, discard: true },
      ).pipe(Effect.provideService(ModelRuntime, runtime))
    await Effect.runPromise(loops(Math.min(calls, 1000)))
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await Effect.runPromise(loops(calls))
    const cpu = process.cpuUsage(cpu0)
    const ms = performance.now() - t0
    return {
      calls,
      concurrency,
      requests_per_episode: requests.length,
      cpu_ms_per_call: Number(((cpu.user + cpu.system) / 1000 / calls).toFixed(4)),
      wall_ms_per_call: Number((ms / calls).toFixed(4)),
    }
  } finally {
    server.stop()
  }
}

if (import.meta.main) {
  const [calls, concurrency] = process.argv.slice(2).map(Number)
  process.stdout.write(`${JSON.stringify(await modelHopCpu(calls || undefined, concurrency || undefined), null, 2)}\n`)
}
