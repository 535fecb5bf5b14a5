/** Wall-clock times recorded as data (a run's `createdAt`, a lease's `acquiredAt`) come from Effect's `Clock`, so tests can fix them. */
import { Clock, Effect } from "effect"

/** The current time as an ISO 8601 string. */
export const nowIso: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())
