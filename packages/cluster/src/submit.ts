/**
 * Submitting the units of a run to the cluster and following them. Each unit is one persisted,
 * keyed `RunUnit` message (protocol.ts); the submitter then waits for the replies, which the
 * cluster's client reads from the database, and reports each as it arrives. Stopping the submitter
 * stops only the waiting: the messages are stored and the runners play them. Submitting the same
 * units again (`tau run --follow`, or the same command again) joins the stored messages instead
 * of adding new ones, and gets the replies of those already finished at once.
 *
 * When every unit has its reply, the cluster's rows of those units (their messages and replies)
 * are deleted (`cleanUp`): what an experiment leaves is in the event store, not in the cluster's
 * tables. A later submission of the same units starts afresh, and `runUnit` skips what is finished.
 */
import { episodeIdFor } from "@tau-sim/runs"
import { Effect, Schema } from "effect"
import type { Sharding } from "effect/cluster"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { TABLE_PREFIX } from "./config.ts"
import { differingSettings, pendingUnits } from "./pending.ts"
import { type CallOptions, EPISODE_ENTITY, EpisodeEntity, type UnitOutcome } from "./protocol.ts"

export interface Unit {
  readonly runId: string
  readonly taskId: string
  readonly trial: number
  readonly seed: number
}

/** A unit that did not come back with an outcome, and why (its runner's failure, or the cluster's). */
export interface UnitFailure {
  readonly unit: Unit
  readonly episodeId: string
  readonly reason: string
}

export interface SubmitHooks {
  readonly onOutcome?: (outcome: UnitOutcome) => Effect.Effect<void>
  readonly onFailure?: (failure: UnitFailure) => void
  /** Told once when some units join messages sent before with other settings (which then apply to them). */
  readonly onWarning?: (line: string) => void
}

/** Some units of a distributed run came back failed (each was reported as it came). */
export class DistributedUnitsFailed extends Schema.TaggedError<DistributedUnitsFailed>()("DistributedUnitsFailed", {
  failed: Schema.Int,
  total: Schema.Int,
  first: Schema.String,
}) {
  override get message(): string {
    return `${this.failed} of ${this.total} episodes failed on the cluster (first: ${this.first}); what was stored is kept`
  }
}

/** How a submission wants its units played (beside the unit itself): what its `RunUnit` messages carry. */
export interface SubmitSettings {
  readonly calls: CallOptions
  readonly retryErrors: boolean
  /** `--max-attempts` of this submission (a resume's override); undefined: the run's own. */
  readonly maxAttempts?: number | undefined
}

/**
 * Sends every unit (keyed: a unit already sent is joined) and waits for all of their replies. A
 * joined message keeps the settings it was sent with: when they differ from these, `onWarning` says
 * which flags, for how many units.
 */
export const submitUnits = (units: ReadonlyArray<Unit>, settings: SubmitSettings, hooks: SubmitHooks = {}) =>
  Effect.gen(function* () {
    const clientFor = yield* EpisodeEntity.client
    const extra = {
      calls: settings.calls,
      retryErrors: settings.retryErrors,
      ...(settings.maxAttempts === undefined ? {} : { maxAttempts: settings.maxAttempts }),
    }
    const stored = yield* pendingUnits(units, true).pipe(Effect.orElseSucceed(() => []))
    // An answered message of an earlier submission (stopped before it cleaned up) sent with other
    // settings would be joined with its old reply, and nothing played with this one's settings
    // (`--follow --retry-errors`): it goes first; the episode's outcome is in the store.
    const stale = stored.filter((p) => p.processed && differingSettings(p.payload, extra).length > 0)
    if (stale.length > 0) yield* cleanUp(units.filter((u) => stale.some((p) => p.episodeId === episodeIdFor(u.runId, u.taskId, u.trial)))).pipe(Effect.ignore)
    const joined = stored.filter((p) => !p.processed)
    const differing = new Set<string>()
    let affected = 0
    for (const p of joined) {
      const flags = differingSettings(p.payload, extra)
      if (flags.length === 0) continue
      affected++
      for (const f of flags) differing.add(f)
    }
    if (affected > 0)
      hooks.onWarning?.(
        `${affected} of ${units.length} episodes (run ${units[0]?.runId}) were already submitted with other ${[...differing].join(", ")}: ` +
          "those still queued or playing keep the first submission's settings (submit again after they end to change them); the others play with this one's",
      )
    const results = yield* Effect.forEach(
      units,
      (unit) => {
        const episodeId = episodeIdFor(unit.runId, unit.taskId, unit.trial)
        return clientFor(episodeId)
          .RunUnit({ ...unit, ...extra })
          .pipe(
            Effect.tap((outcome) => hooks.onOutcome?.(outcome) ?? Effect.void),
            Effect.map((outcome) => ({ outcome }) as const),
            Effect.catch((error) =>
              Effect.sync(() => {
                const failure: UnitFailure = { unit, episodeId, reason: error.message || error._tag }
                hooks.onFailure?.(failure)
                return { failure } as const
              }),
            ),
          )
      },
      { concurrency: "unbounded" },
    )
    return {
      outcomes: results.flatMap((r) => ("outcome" in r ? [r.outcome] : [])),
      failures: results.flatMap((r) => ("failure" in r ? [r.failure] : [])),
    }
  }) satisfies Effect.Effect<unknown, never, Sharding.Sharding | SqlClient>

const table = (name: string) => `${TABLE_PREFIX}_${name}`
const CHUNK = 1000

/**
 * Deletes the cluster's rows (requests, their acks and interrupts, replies) of these units' entities
 * whose request was processed; a unit still in flight keeps its rows.
 */
export const cleanUp = (units: ReadonlyArray<Unit>): Effect.Effect<number, SqlError, SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const ids = units.map((u) => episodeIdFor(u.runId, u.taskId, u.trial))
    let deleted = 0
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK)
      const placeholders = chunk.map((_, j) => `$${j + 2}`).join(", ")
      const done = `SELECT id FROM ${table("messages")} WHERE entity_type = $1 AND entity_id IN (${placeholders}) AND processed`
      yield* sql.withTransaction(
        Effect.gen(function* () {
          yield* sql.unsafe(`DELETE FROM ${table("replies")} WHERE request_id IN (${done})`, [EPISODE_ENTITY, ...chunk])
          const rows = yield* sql.unsafe(`DELETE FROM ${table("messages")} WHERE request_id IN (${done}) RETURNING id`, [EPISODE_ENTITY, ...chunk])
          deleted += rows.length
        }),
      )
    }
    return deleted
  })
