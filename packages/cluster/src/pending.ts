/**
 * The `RunUnit` messages the cluster still has for some units: stored, not yet answered (queued,
 * or being played by a runner). A local `--resume` of such a run is refused (the workers would
 * play the same episodes at once), and a submission that joins them is told when they were sent
 * with other settings (a keyed message keeps its first payload).
 */
import { episodeIdFor } from "@tau-sim/runs"
import { Effect, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { TABLE_PREFIX } from "./config.ts"
import { EPISODE_ENTITY } from "./protocol.ts"
import type { Unit } from "./submit.ts"

export interface PendingUnit {
  readonly episodeId: string
  /** The message's payload as it was sent (JSON-decoded). */
  readonly payload: Readonly<Record<string, unknown>>
  /** Answered (its reply stored), not yet cleaned up. */
  readonly processed: boolean
}

const CHUNK = 1000

/** The stored `RunUnit` messages of these units, unanswered only unless `answered` (none when the cluster's tables do not exist yet). */
export const pendingUnits = (units: ReadonlyArray<Unit>, answered = false): Effect.Effect<ReadonlyArray<PendingUnit>, SqlError, SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const messages = `${TABLE_PREFIX}_messages`
    const [exists] = yield* sql.unsafe<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [messages])
    if (!exists?.present) return []
    const ids = units.map((u) => episodeIdFor(u.runId, u.taskId, u.trial))
    const found: Array<PendingUnit> = []
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK)
      const rows = yield* sql.unsafe<{ entity_id: string; payload: string | null; processed: boolean }>(
        `SELECT entity_id, payload, processed FROM ${messages} WHERE entity_type = $1 AND tag = 'RunUnit' ${answered ? "" : "AND NOT processed"} AND entity_id IN (${chunk.map((_, j) => `$${j + 2}`).join(", ")})`,
        [EPISODE_ENTITY, ...chunk],
      )
      for (const r of rows)
        found.push({ episodeId: r.entity_id, payload: r.payload ? (JSON.parse(r.payload) as Record<string, unknown>) : {}, processed: Boolean(r.processed) })
    }
    return found
  })

/** A local `--resume` of a run whose units the cluster still plays. */
export class RunOnCluster extends Schema.TaggedError<RunOnCluster>()("RunOnCluster", {
  runId: Schema.String,
  pending: Schema.Int,
  store: Schema.String,
}) {
  override get message(): string {
    return (
      `run ${this.runId} has ${this.pending} episode${this.pending === 1 ? "" : "s"} still queued or playing on the cluster's workers (tau worker); ` +
      `a --resume here would play them at the same time: follow it with tau run --follow ${this.runId} --db ${this.store}`
    )
  }
}

/** Stable JSON (sorted keys), to compare two payloads' settings. */
const canonical = (value: unknown): string =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? `{${Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
        .join(",")}}`
    : JSON.stringify(value)

/** What a submission's flag is called, by the payload field that carries it. */
const SETTING_FLAGS: ReadonlyArray<readonly [string, (p: Readonly<Record<string, unknown>>) => unknown]> = [
  ["--model-timeout", (p) => (p.calls as Record<string, unknown> | undefined)?.timeoutMs],
  ["--model-retries", (p) => (p.calls as Record<string, unknown> | undefined)?.maxRetries],
  ["--rate-limit", (p) => (p.calls as Record<string, unknown> | undefined)?.rateLimits],
  ["--provider-concurrency", (p) => (p.calls as Record<string, unknown> | undefined)?.concurrency],
  ["--cache", (p) => (p.calls as Record<string, unknown> | undefined)?.cache],
  ["--retry-errors", (p) => p.retryErrors],
  ["--max-attempts", (p) => p.maxAttempts],
]

/** The flags whose values differ between a stored message's payload and this submission's. */
export const differingSettings = (stored: Readonly<Record<string, unknown>>, sent: Readonly<Record<string, unknown>>): ReadonlyArray<string> =>
  SETTING_FLAGS.filter(([, read]) => canonical(read(stored)) !== canonical(read(sent))).map(([flag]) => flag)
