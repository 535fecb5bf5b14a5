/**
 * Event store throughput on a temp SQLite file (WAL): events appended per second in batches of
 * ~1000 (one transaction each), and events read + decoded (upcast, validated) per second.
 * The event mix imitates a conversation: messages, tool executions and model calls.
 * Run alone: node packages/engine/bench/store.ts [events]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { encodeEvent, type EpisodeEvent, type EpisodeStarted, Events } from "../src/events.ts"
import { openSqliteStore } from "../src/store/sqlite.ts"

export interface StoreBenchOptions {
  /** Total events to append and read back. */
  readonly events: number
  /** Events per append (= per transaction). */
  readonly batch?: number
  /** Directory for the temp database (a fresh temp dir by default). */
  readonly dir?: string
}

export interface StoreBenchResult {
  readonly events: number
  readonly batch: number
  readonly bytes_per_event: number
  readonly append_events_per_s: number
  readonly read_decode_events_per_s: number
  /** The same rates per second of this process's CPU time (steadier on a shared, loaded machine). */
  readonly append_events_per_cpu_s: number
  readonly read_decode_events_per_cpu_s: number
  /** Per second of the calling thread's CPU time: the store's checkpoints run on a worker thread. */
  readonly append_events_per_thread_cpu_s: number
  readonly read_decode_events_per_thread_cpu_s: number
  readonly database_bytes: number
}

const startedEvent = (episodeId: string): EpisodeStarted =>
  Events.episodeStarted({
    runId: "bench",
    episodeId,
    domain: "retail",
    taskId: "12",
    trial: 0,
    hashes: { task: "a".repeat(64), policy: "b".repeat(64), data: "c".repeat(64) },
    dataDir: "/data/tau2/domains/retail",
    policyVariant: "default",
    mode: "default",
    agent: "llm:gpt-4.1",
    user: "llm:gpt-4.1",
    seed: 300,
    limits: { maxSteps: 200, maxErrors: 10 },
    engineVersion: "bench",
    parent: null,
  })

/** The i-th event of a conversation-shaped stream (after EpisodeStarted). */
const conversationEvent = (i: number): EpisodeEvent => {
  switch (i % 4) {
    case 0:
      return Events.modelCalled({
        participant: "agent",
        provider: "openai",
        model: "gpt-4.1",
        request: { messages: [{ role: "user", content: `Please look up order #W${1_000_000 + i} for me.` }], temperature: 0 },
        response: { role: "assistant", tool_calls: [{ name: "get_order_details", arguments: `{"order_id": "#W${1_000_000 + i}"}` }] },
        usage: { promptTokens: 3200 + i, completionTokens: 24 },
        cost: 0.0065,
        latencyMs: 840.5,
        attempt: 1,
        requestHash: "d".repeat(64),
        error: null,
      })
    case 1:
      return Events.messageSent({
        role: "agent",
        text: null,
        toolCalls: [{ id: `call_${i}`, name: "get_order_details", argumentsJson: `{"order_id": "#W${1_000_000 + i}"}` }],
      })
    case 2:
      return Events.toolExecuted({
        callId: `call_${i - 1}`,
        actor: "agent",
        name: "get_order_details",
        argumentsJson: `{"order_id":"#W${1_000_000 + i}"}`,
        output: `{"order_id": "#W${1_000_000 + i}", "user_id": "mia_li_3668", "status": "pending", "items": [{"name": "T-Shirt", "price": 53.43}]}`,
        error: false,
        patchJson: "[]",
      })
    default:
      return Events.messageSent({ role: "user", text: "Thanks, can you also check my other order?", toolCalls: [] })
  }
}

const timed = (work: () => void): { wallSeconds: number; cpuSeconds: number; threadCpuSeconds: number } => {
  const cpu0 = process.cpuUsage()
  const thread0 = process.threadCpuUsage()
  const wall0 = performance.now()
  work()
  const cpu = process.cpuUsage(cpu0)
  const thread = process.threadCpuUsage(thread0)
  return {
    wallSeconds: (performance.now() - wall0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    threadCpuSeconds: (thread.user + thread.system) / 1e6,
  }
}

export const benchStore = async (options: StoreBenchOptions): Promise<StoreBenchResult> => {
  const batch = options.batch ?? 1000
  const episodesCount = Math.max(1, Math.ceil(options.events / batch))
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), "store-bench-"))
  const path = join(dir, "events.db")
  try {
    // Build the batches up front so only the store is timed.
    const batches = Array.from({ length: episodesCount }, (_, e) => {
      const episodeId = `bench-${e}`
      const size = Math.min(batch, options.events - e * batch)
      const events = [startedEvent(episodeId), ...Array.from({ length: size - 1 }, (_, i) => conversationEvent(i))]
      return { episodeId, events }
    })
    const total = batches.reduce((n, b) => n + b.events.length, 0)
    const bytes = batches.reduce((n, b) => n + b.events.reduce((m, ev) => m + encodeEvent(ev).length, 0), 0)

    const handle = openSqliteStore(path)
    const append = timed(() => {
      for (const { episodeId, events } of batches) Effect.runSync(handle.store.append(episodeId, 0, events))
    })
    let read = 0
    const readBack = timed(() => {
      for (const { episodeId } of batches) read += Effect.runSync(handle.store.read(episodeId)).length
    })
    handle.close()
    if (read !== total) throw new Error(`store bench: read ${read} events, appended ${total}`)

    return {
      events: total,
      batch,
      bytes_per_event: Math.round(bytes / total),
      append_events_per_s: Math.round(total / append.wallSeconds),
      read_decode_events_per_s: Math.round(total / readBack.wallSeconds),
      append_events_per_cpu_s: Math.round(total / append.cpuSeconds),
      read_decode_events_per_cpu_s: Math.round(total / readBack.cpuSeconds),
      append_events_per_thread_cpu_s: Math.round(total / append.threadCpuSeconds),
      read_decode_events_per_thread_cpu_s: Math.round(total / readBack.threadCpuSeconds),
      database_bytes: statSync(path).size,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const events = Number(process.argv[2] ?? 200_000)
  process.stdout.write(`${JSON.stringify(await benchStore({ events }), null, 2)}\n`)
}
