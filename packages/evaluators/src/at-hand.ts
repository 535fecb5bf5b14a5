/**
 * An Effect whose result is already at hand: `Effect.succeed` (and so a judge that answers at once)
 * yields a successful `Exit`, whose value can be used without running a fiber. The evaluators use
 * it to stay synchronous per episode when nothing asynchronous was asked.
 */
import { type Effect, Exit } from "effect"

export const succeededAtHand = <A, E>(effect: Effect.Effect<A, E>): effect is Exit.Success<A, E> => Exit.isExit(effect) && Exit.isSuccess(effect)
