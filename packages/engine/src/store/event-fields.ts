/**
 * Event fields on the stores' hot paths (every append encodes, every read decodes): the compiled
 * fast path of the event schema (`schema-fast-path.ts`), and the Schema itself for whatever the
 * fast path does not take, so errors and results are the Schema's.
 */
import { decodeEventFields, encodeEventFields, EpisodeEvent, upcast } from "../events.ts"
import { compileFastPath } from "./schema-fast-path.ts"

const fast = compileFastPath(EpisodeEvent)

/** As `encodeEventFields`. */
export const encodeFields = (event: EpisodeEvent): Record<string, unknown> => (fast?.(event) as Record<string, unknown> | undefined) ?? encodeEventFields(event)

/** As `decodeEventFields`: upcast, then decoded; throws `EventDecodeError` naming episode and seq. */
export const decodeFields = (episodeId: string, seq: number, raw: unknown): EpisodeEvent => {
  if (fast && typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    const decoded = fast(upcast(raw as Record<string, unknown>)) as EpisodeEvent | undefined
    if (decoded !== undefined) return decoded
  }
  return decodeEventFields(episodeId, seq, raw)
}
