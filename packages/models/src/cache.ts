/**
 * The opt-in response cache (`--cache`) over the event store: a request whose hash was already
 * answered successfully, in any episode of the store, is answered from that record. A store that
 * cannot be read is a miss (the call is made), never a failed turn.
 */
import type { EventStoreShape } from "@tau-sim/engine"
import { Effect } from "effect"
import type { ResponseCache } from "./runtime.ts"

export const storeResponseCache = (store: EventStoreShape): ResponseCache => ({
  find: (requestHash) => store.findModelResponse(requestHash).pipe(Effect.orElseSucceed(() => undefined)),
})
