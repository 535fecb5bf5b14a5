/**
 * Fault injection for the CLI tests: signals sent to a real `tau` process at points chosen from
 * what it printed (the N-th progress line, N from a seeded generator), never by time; and the
 * comparison of an interrupted-then-resumed store with an uninterrupted one.
 */
import type { ChildProcess } from "node:child_process"
import type { ScoreRecord, StoredEvent } from "@tau-sim/engine"
import { demoBrain, type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import { Effect } from "effect"
import { expect } from "vitest"
import { finished, readStore, spawnTau, type StoredRun, storedRun, type TauResult } from "./tau.ts"

/** The seed of a test's fault points: TAU_FAULT_SEED replays a failing sequence. */
export const faultSeed = (): number => Number(process.env.TAU_FAULT_SEED ?? Date.now() % 2 ** 31)

/** An integer in [lo, hi]. */
export const between = (random: () => number, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1))

export interface Fault {
  /** Lines of standard error that must have matched before the signals are sent (0: the first line of any kind). */
  readonly afterLines: number
  readonly matching: RegExp
  /** Sent one after the other, in this order. */
  readonly signals: ReadonlyArray<NodeJS.Signals>
}

export interface FaultResult extends TauResult {
  /** Whether the trigger was reached (the process was still running and got the signals). */
  readonly fired: boolean
  readonly child: ChildProcess
}

/** Calls `onLine` for every complete line the stream produces. */
export const onLines = (stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void => {
  let rest = ""
  stream?.setEncoding("utf8")
  stream?.on("data", (chunk: string) => {
    const parts = (rest + chunk).split("\n")
    rest = parts.pop() ?? ""
    for (const line of parts) onLine(line)
  })
}

/** Runs `tau args` and sends the fault's signals once its trigger line has been printed. */
export const runWithFault = async (args: ReadonlyArray<string>, cwd: string, fault: Fault, env: Record<string, string> = {}): Promise<FaultResult> => {
  const child = spawnTau(args, cwd, { ...process.env, ...env })
  let seen = 0
  let fired = false
  onLines(child.stderr, (line) => {
    if (fired) return
    if (fault.afterLines === 0 || fault.matching.test(line)) seen++
    if (seen >= Math.max(1, fault.afterLines) && child.exitCode === null && child.signalCode === null) {
      fired = true
      for (const signal of fault.signals) child.kill(signal)
    }
  })
  const result = await finished(child)
  return { ...result, fired, child }
}

/** Everything that must not depend on interruptions: all but wall-clock stamps. */
export const facts = (s: StoredRun) => {
  const ids = s.rows.map((r) => r.episodeId).sort()
  return {
    rows: Object.fromEntries(ids.map((id) => [id, s.rows.find((r) => r.episodeId === id)])),
    events: Object.fromEntries(ids.map((id) => [id, s.events[id].map((e: StoredEvent) => ({ seq: e.seq, event: e.event }))])),
    scores: Object.fromEntries(ids.map((id) => [id, s.scores[id].map(({ recordedAt: _, ...score }: ScoreRecord) => score)])),
  }
}

/** Gapless streams, read model in step with them, every episode ended with exactly one score per evaluator. */
export const expectComplete = (s: StoredRun, label: string) => {
  expect(s.rows.length, `${label}: episodes`).toBeGreaterThan(0)
  for (const row of s.rows) {
    const events = s.events[row.episodeId]
    expect(
      events.map((e) => e.seq),
      `${label}: seqs of ${row.episodeId}`,
    ).toEqual(events.map((_, i) => i))
    expect(row.version, `${label}: version of ${row.episodeId}`).toBe(events.length)
    expect(row.status, `${label}: ${row.episodeId} ended`).toBe("ended")
    const evaluators = s.scores[row.episodeId].map((sc) => sc.evaluator)
    expect(evaluators.length, `${label}: ${row.episodeId} scored`).toBeGreaterThan(0)
    expect(new Set(evaluators).size, `${label}: one score per evaluator for ${row.episodeId}`).toBe(evaluators.length)
  }
}

/** Only gapless streams whose read model matches (an interrupted store, before it is resumed). */
export const expectGapless = (s: StoredRun, label: string) => {
  for (const row of s.rows) {
    const events = s.events[row.episodeId]
    expect(
      events.map((e) => e.seq),
      `${label}: seqs of ${row.episodeId}`,
    ).toEqual(events.map((_, i) => i))
    expect(row.version, `${label}: version of ${row.episodeId}`).toBe(events.length)
    expect(s.scores[row.episodeId].length, `${label}: ${row.episodeId} scored at most once`).toBeLessThanOrEqual(1)
  }
}

export const eventCount = (s: StoredRun | undefined): number => Object.values(s?.events ?? {}).reduce((n, evs) => n + evs.length, 0)

/** Run ids in the store (in creation order), optionally only those of an experiment. */
export const runIds = (db: string, experiment?: string): Promise<string[]> =>
  readStore(db, ({ store }) =>
    Effect.runPromise(store.listRuns()).then((runs) => runs.filter((r) => experiment === undefined || r.experiment === experiment).map((r) => r.runId)),
  )

export const runExists = (db: string, runId: string): Promise<boolean> =>
  readStore(db, ({ store }) => Effect.runPromise(store.getRun(runId)).then((r) => r !== undefined))

/** Every run of a store (or of an experiment), by id. */
export const storedRuns = async (db: string, experiment?: string): Promise<Record<string, StoredRun>> => {
  const out: Record<string, StoredRun> = {}
  for (const id of await runIds(db, experiment)) out[id] = await storedRun(db, id)
  return out
}

/**
 * What an episode said and did, without what differs between two live runs against the fake
 * model server (call ids it makes up, latencies): for comparing model-backed runs.
 */
export const conversationOf = (events: ReadonlyArray<StoredEvent>) =>
  events.flatMap(({ event: e }) => {
    switch (e._tag) {
      case "MessageSent":
        return [`${e.role}: ${e.text ?? ""} ${e.toolCalls.map((c) => `${c.name}${c.argumentsJson}`).join(" ")}`]
      case "ToolExecuted":
        return [`${e.actor} ran ${e.name}: ${e.error ? "error " : ""}${e.output} ${e.patchJson}`]
      case "EpisodeEnded":
        return [`ended: ${e.reason}`]
      default:
        return []
    }
  })

/** Successful model calls per episode (a resumed episode must not have paid twice for a recorded turn). */
export const modelCallsOf = (events: ReadonlyArray<StoredEvent>) => events.filter((e) => e.event._tag === "ModelCalled" && e.event.error === null).length

/**
 * The local fake model server (demo brain) with a gate: `hangAt(n)` makes the `n`-th request from
 * then on (1-based) and every later one wait until `release()`; `reached` resolves when the
 * `n`-th arrives (the client is then waiting on it: a provider that hangs).
 */
export const gatedModelServer = async () => {
  let gate: ((index: number) => Promise<void> | undefined) | null = null
  const server: FakeLlmServer = await startFakeLlmServer({
    brain: async (call, index) => {
      const wait = gate?.(index)
      if (wait) await wait
      return demoBrain(call, index)
    },
  })
  const hangAt = (n: number) => {
    let count = 0
    let arrived = () => {}
    const reached = new Promise<void>((resolve) => (arrived = resolve))
    let open = () => {}
    const released = new Promise<void>((resolve) => (open = resolve))
    gate = () => {
      if (++count < n) return undefined
      if (count === n) arrived()
      return released
    }
    return {
      reached,
      release: () => {
        gate = null
        open()
      },
    }
  }
  /** The environment of a child that talks to this server only (no other keys or base URLs). */
  const env = () => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/API_KEY|BASE_URL/.test(k)))
    return { ...inherited, OPENAI_API_KEY: "sk-local-test", OPENAI_BASE_URL: server.baseURL }
  }
  const close = async () => {
    gate = null
    await server.close()
  }
  return { server, hangAt, env, close }
}
