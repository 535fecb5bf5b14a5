/**
 * Event store throughput on a temp SQLite file (WAL): events appended per second in batches of
 * ~1000 (one transaction each), and events read + decoded (upcast, validated) per second, each
 * beside its target and beside a bare baseline (better-sqlite3 alone on the same rows: the
 * machine's ceiling). The event mix imitates a conversation: messages, tool executions and model
 * calls. Run alone: node packages/engine/bench/store.ts [events] [rounds]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { encodeEvent, type EpisodeEvent, type EpisodeStarted, Events } from "../src/events.ts"
import { CHAIN_START, chainHash } from "../src/store/chain.ts"
import type { RawStoredRow } from "../src/store/event-store.ts"
import { openSqliteStore } from "../src/store/sqlite.ts"

export interface StoreBenchOptions {
  /** Total events to append and read back. */
  readonly events: number
  /** Events per append (= per transaction). */
  readonly batch?: number
  /** Directory for the temp databases (a fresh temp dir by default). */
  readonly dir?: string
  /** Rounds of (store, bare) run alternately; figures are medians (the machine may be shared). */
  readonly rounds?: number
}

/** Issue 13's targets. */
export const TARGET_APPEND_EVENTS_PER_S = 300_000
export const TARGET_READ_DECODE_EVENTS_PER_S = 500_000

/** One phase's rates: per second of wall time, of the process's CPU, and of the calling thread's CPU. */
export interface Rates {
  readonly events_per_s: number
  readonly events_per_cpu_s: number
  /** The store's WAL checkpoints run on a worker thread: this leaves them out. */
  readonly events_per_thread_cpu_s: number
}

export interface PhaseResult extends Rates {
  readonly target_events_per_s: number
  readonly meets_target: boolean
  /** The same rows through better-sqlite3 alone (see `bare`): what this machine allows. */
  readonly bare: Rates
  /** The store's rate over the bare one (wall; thread CPU): how close the store is to the ceiling. */
  readonly ratio_to_bare: number
  readonly thread_cpu_ratio_to_bare: number
}

export interface AppendResult extends PhaseResult {
  /** The bare inserts plus the work the stored format requires of each event: its JSON text and its chain hash (`floor_is`). */
  readonly floor: Rates
  readonly ratio_to_floor: number
  readonly thread_cpu_ratio_to_floor: number
}

export interface StoreBenchResult {
  readonly events: number
  readonly batch: number
  readonly rounds: number
  readonly bytes_per_event: number
  readonly database_bytes: number
  /** Batched appends: `store.append` of `batch` events (one transaction each). */
  readonly append: AppendResult
  /** `store.read` of each episode: rows decoded (upcast, validated) into events. */
  readonly read_decode: PhaseResult
  readonly bare_is: string
  readonly floor_is: string
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

interface Timing {
  readonly wallSeconds: number
  readonly cpuSeconds: number
  readonly threadCpuSeconds: number
}

const timed = (work: () => void): Timing => {
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

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const rates = (events: number, timings: ReadonlyArray<Timing>): Rates => ({
  events_per_s: Math.round(events / median(timings.map((t) => t.wallSeconds))),
  events_per_cpu_s: Math.round(events / median(timings.map((t) => t.cpuSeconds))),
  events_per_thread_cpu_s: Math.round(events / median(timings.map((t) => t.threadCpuSeconds))),
})

const phase = (events: number, store: ReadonlyArray<Timing>, bare: ReadonlyArray<Timing>, target: number): PhaseResult => {
  const own = rates(events, store)
  const ceiling = rates(events, bare)
  return {
    ...own,
    target_events_per_s: target,
    meets_target: own.events_per_s >= target,
    bare: ceiling,
    ratio_to_bare: Number((own.events_per_s / ceiling.events_per_s).toFixed(2)),
    thread_cpu_ratio_to_bare: Number((own.events_per_thread_cpu_s / ceiling.events_per_thread_cpu_s).toFixed(2)),
  }
}

const appendPhase = (events: number, store: ReadonlyArray<Timing>, bare: ReadonlyArray<Timing>, floor: ReadonlyArray<Timing>): AppendResult => {
  const own = phase(events, store, bare, TARGET_APPEND_EVENTS_PER_S)
  const least = rates(events, floor)
  return {
    ...own,
    floor: least,
    ratio_to_floor: Number((own.events_per_s / least.events_per_s).toFixed(2)),
    thread_cpu_ratio_to_floor: Number((own.events_per_thread_cpu_s / least.events_per_thread_cpu_s).toFixed(2)),
  }
}

export interface Batch {
  readonly episodeId: string
  readonly events: ReadonlyArray<EpisodeEvent>
}

/** `events` events as appends of `batch` (each an episode from its EpisodeStarted). */
export const benchBatches = (events: number, batch: number): ReadonlyArray<Batch> =>
  Array.from({ length: Math.max(1, Math.ceil(events / batch)) }, (_, e) => {
    const episodeId = `bench-${e}`
    const size = Math.min(batch, events - e * batch)
    return { episodeId, events: [startedEvent(episodeId), ...Array.from({ length: size - 1 }, (_, i) => conversationEvent(i))] }
  })

/** The store: appends every batch, then reads every episode back; returns the rows it wrote. */
const storeRound = (path: string, batches: ReadonlyArray<Batch>, total: number) => {
  const handle = openSqliteStore(path)
  try {
    const append = timed(() => {
      for (const { episodeId, events } of batches) Effect.runSync(handle.store.append(episodeId, 0, events))
    })
    let read = 0
    const readBack = timed(() => {
      for (const { episodeId } of batches) read += Effect.runSync(handle.store.read(episodeId)).length
    })
    if (read !== total) throw new Error(`store bench: read ${read} events, appended ${total}`)
    const rows = batches.map(({ episodeId }) => Effect.runSync(handle.store.readRaw(episodeId)))
    return { append, readBack, rows }
  } finally {
    handle.close()
  }
}

/** A file of the store's schema, opened bare: WAL, synchronous = NORMAL (as the store), no checkpoint while timed. */
const openBare = (path: string): Database.Database => {
  openSqliteStore(path).close()
  const db = new Database(path)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.pragma("wal_autocheckpoint = 0")
  return db
}

const INSERT_ROW = "INSERT INTO events (episode_id, seq, recorded_at, tag, v, body, hash) VALUES (?, ?, ?, ?, ?, ?, ?)"

/**
 * The ceiling: the rows the store wrote, inserted into a file of the same schema by one prepared
 * statement, one transaction per batch, then selected by episode as the store's read does and
 * each body \`JSON.parse\`d.
 */
const bareRound = (path: string, rows: ReadonlyArray<ReadonlyArray<RawStoredRow>>, total: number) => {
  const db = openBare(path)
  try {
    const insert = db.prepare<[string, number, string, string, number, string, string | null]>(INSERT_ROW)
    const insertAll = db.transaction((batch: ReadonlyArray<RawStoredRow>) => {
      for (const r of batch) insert.run(r.episodeId, r.seq, r.recordedAt, r.tag, r.v, r.body, r.hash)
    })
    const append = timed(() => {
      for (const batch of rows) insertAll.immediate(batch)
    })
    db.pragma("wal_checkpoint(TRUNCATE)")
    const select = db
      .prepare<[string, number, number], [number, string, string]>(
        "SELECT seq, recorded_at, body FROM events WHERE episode_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
      )
      .raw()
    let read = 0
    const readBack = timed(() => {
      for (const batch of rows) {
        for (const row of select.all(batch[0].episodeId, 0, Number.MAX_SAFE_INTEGER)) if (JSON.parse(row[2]) !== null) read++
      }
    })
    if (read !== total) throw new Error(`store bench (bare): read ${read} rows, inserted ${total}`)
    return { append, readBack }
  } finally {
    db.close()
  }
}

/**
 * What no store of this format can skip: the bare inserts, each row's body made by
 * `JSON.stringify` of its event and hashed into the chain (`chainHash`, ADR 0003) first.
 */
const floorRound = (path: string, batches: ReadonlyArray<Batch>, stored: ReadonlyArray<RawStoredRow>): Timing => {
  const recordedAt = stored[0].recordedAt
  const db = openBare(path)
  try {
    const insert = db.prepare<[string, number, string, string, number, string, string]>(INSERT_ROW)
    const insertAll = db.transaction(({ episodeId, events }: Batch) => {
      let prev = CHAIN_START
      events.forEach((event, seq) => {
        const body = JSON.stringify(event)
        prev = chainHash(episodeId, prev, seq, event._tag, event.v, body)
        insert.run(episodeId, seq, recordedAt, event._tag, event.v, body, prev)
      })
    })
    const timing = timed(() => {
      for (const batch of batches) insertAll.immediate(batch)
    })
    // The same rows as the store's, so the same work.
    const hashes = db.prepare<[string], { hash: string }>("SELECT hash FROM events WHERE episode_id = ? ORDER BY seq").all(batches[0].episodeId)
    if (hashes.some((row, i) => row.hash !== stored[i].hash)) throw new Error("store bench (floor): rows differ from the store's")
    return timing
  } finally {
    db.close()
  }
}

export const benchStore = async (options: StoreBenchOptions): Promise<StoreBenchResult> => {
  const batch = options.batch ?? 1000
  const rounds = options.rounds ?? 3
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), "store-bench-"))
  try {
    // Built up front so only the store is timed.
    const batches = benchBatches(options.events, batch)
    const total = batches.reduce((n, b) => n + b.events.length, 0)
    const bytes = batches.reduce((n, b) => n + b.events.reduce((m, ev) => m + encodeEvent(ev).length, 0), 0)

    const store: Array<ReturnType<typeof storeRound>> = []
    const bare: Array<ReturnType<typeof bareRound>> = []
    const floor: Array<Timing> = []
    let databaseBytes = 0
    for (let round = 0; round < rounds; round++) {
      const path = join(dir, `store-${round}.db`)
      const own = storeRound(path, batches, total)
      databaseBytes = statSync(path).size
      rmSync(path, { force: true })
      store.push(own)
      const barePath = join(dir, `bare-${round}.db`)
      bare.push(bareRound(barePath, own.rows, total))
      rmSync(barePath, { force: true })
      const floorPath = join(dir, `floor-${round}.db`)
      floor.push(floorRound(floorPath, batches, own.rows[0]))
      rmSync(floorPath, { force: true })
    }

    return {
      events: total,
      batch,
      rounds,
      bytes_per_event: Math.round(bytes / total),
      database_bytes: databaseBytes,
      append: appendPhase(
        total,
        store.map((r) => r.append),
        bare.map((r) => r.append),
        floor,
      ),
      read_decode: phase(
        total,
        store.map((r) => r.readBack),
        bare.map((r) => r.readBack),
        TARGET_READ_DECODE_EVENTS_PER_S,
      ),
      bare_is:
        "better-sqlite3 alone on a file of the same schema: the rows the store wrote, one prepared INSERT per row, a transaction per batch, no checkpoint while timed; then the store's SELECT and JSON.parse of each body",
      floor_is: "the bare inserts, each row's body JSON.stringify of its event and chain-hashed (ADR 0003) first: the per-event work the format requires",
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const events = Number(process.argv[2] ?? 200_000)
  const rounds = process.argv[3] === undefined ? undefined : Number(process.argv[3])
  process.stdout.write(`${JSON.stringify(await benchStore({ events, ...(rounds === undefined ? {} : { rounds }) }), null, 2)}\n`)
}
