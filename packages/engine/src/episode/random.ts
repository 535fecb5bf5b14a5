/**
 * Deterministic randomness for tools. A tool's random numbers depend only on the episode seed,
 * the call id and the call's position in the conversation, so re-executing a recorded call
 * (replay --verify, re-scoring) reproduces the same ids.
 */
import { seededRandom } from "../initial-state.ts"

const fnv1a = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h | 0
}

export const toolRandom = (seed: number, callId: string, position: number): (() => number) => seededRandom(fnv1a(`${seed}:${callId}:${position}`))
