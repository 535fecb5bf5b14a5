/**
 * Scores as both stores keep them: checked and encoded before any write, hashed in a chain over
 * the episode's scores (as the events are, `chain.ts`), and decoded on read. A score may carry the
 * model calls that produced it (an LLM judge's), stored with it as the encoded fields of
 * `ModelCalled` events (ADR 0007).
 */
import { hash } from "node:crypto"
import { decodeEventFields, encodeEventFields, type ModelCalled } from "../events.ts"
import { type RawScoreRow, type ScoreRecord, StoreError } from "./event-store.ts"
import { encodeJson, InvalidWrite } from "./write-rules.ts"

/** A score ready to be written: checked, its breakdown and model calls as JSON text. */
export interface EncodedScore extends Omit<ScoreRecord, "breakdown" | "modelCalls"> {
  readonly breakdown: string
  readonly modelCalls: string | null
  /** Request hashes of the successful calls, by their index in `modelCalls` (the reuse index). */
  readonly answered: ReadonlyArray<{ readonly requestHash: string; readonly index: number }>
}

export const encodeScore = (score: ScoreRecord): EncodedScore => {
  if (typeof score.reward !== "number" || !Number.isFinite(score.reward)) {
    throw new InvalidWrite(`score of episode ${score.episodeId}: reward must be a finite number, got ${score.reward}`)
  }
  const calls = score.modelCalls ?? []
  const fields = calls.map((call, i) => {
    try {
      if (call?._tag !== "ModelCalled") throw new Error(`a ${String(call?._tag)} event`)
      return encodeEventFields(call)
    } catch (e) {
      throw new InvalidWrite(
        `score of episode ${score.episodeId}: model call ${i} is not a valid ModelCalled event: ${e instanceof Error ? e.message : String(e)}`,
      )
    }
  })
  return {
    episodeId: score.episodeId,
    evaluator: score.evaluator,
    evaluatorVersion: score.evaluatorVersion,
    reward: score.reward,
    breakdown: encodeJson(`breakdown of the score of episode ${score.episodeId}`, score.breakdown),
    modelCalls: fields.length === 0 ? null : JSON.stringify(fields),
    answered: calls.flatMap((c, index) => (c.error === null ? [{ requestHash: c.requestHash, index }] : [])),
    recordedAt: score.recordedAt,
  }
}

/** Scores stored with an append: checked before any write, and all for the appended episode. */
export const encodeAppendScores = (episodeId: string, scores: ReadonlyArray<ScoreRecord> = []): Array<EncodedScore> =>
  scores.map((score) => {
    if (score.episodeId !== episodeId) {
      throw new InvalidWrite(`episode ${episodeId}: an append cannot store a score of another episode (${score.episodeId})`)
    }
    return encodeScore(score)
  })

/** Names the score hash scheme (distinct from the event chain's). */
export const SCORE_CHAIN_LABEL = "tau-sim/score-chain/v1"

/** What the first score of an episode chains from. */
export const SCORE_CHAIN_START = ""

/**
 * The hash of a stored score whose predecessor (the episode's score before it) has hash `prev`:
 * sha256 hex over every stored field, joined by NUL. Editing, deleting or reordering an
 * episode's scores (a reward, a breakdown, a judge call's cost) breaks it.
 */
export const scoreHash = (episodeId: string, prev: string, row: Omit<RawScoreRow, "hash">): string =>
  hash(
    "sha256",
    [SCORE_CHAIN_LABEL, episodeId, prev, row.evaluator, row.evaluatorVersion, String(row.reward), row.breakdown, row.modelCalls ?? "", row.recordedAt].join(
      "\u0000",
    ),
    "hex",
  )

/** The model calls of a stored score (null: none), decoded; a body that cannot be read is a `StoreError` naming the score. */
export const decodeModelCalls = (what: string, episodeId: string, json: string | null): ReadonlyArray<ModelCalled> | undefined => {
  if (json === null) return undefined
  const fail = (detail: string) => new StoreError({ message: `${what} cannot be read: ${detail}`, episodeId })
  let fields: unknown
  try {
    fields = JSON.parse(json)
  } catch (e) {
    throw fail(e instanceof Error ? e.message : String(e))
  }
  if (!Array.isArray(fields)) throw fail("its model calls are not a list")
  return fields.map((f, i) => {
    try {
      const event = decodeEventFields(episodeId, i, f)
      if (event._tag !== "ModelCalled") throw new Error(`model call ${i} is a ${event._tag}`)
      return event
    } catch (e) {
      throw fail(`model call ${i}: ${e instanceof Error ? e.message : String(e)}`)
    }
  })
}

/** A stored score as `listScores` returns it: `modelCalls` only when it has some (old scores read as they always did). */
export const decodeScore = (what: string, episodeId: string, row: Omit<RawScoreRow, "hash">, parse: (what: string, json: string) => unknown): ScoreRecord => {
  const modelCalls = decodeModelCalls(what, episodeId, row.modelCalls)
  return {
    episodeId,
    evaluator: row.evaluator,
    evaluatorVersion: row.evaluatorVersion,
    reward: row.reward,
    breakdown: parse(`breakdown of ${what}`, row.breakdown),
    recordedAt: row.recordedAt,
    ...(modelCalls === undefined ? {} : { modelCalls }),
  }
}
