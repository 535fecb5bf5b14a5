/**
 * Support-desk scores as the store keeps them, for the views that read them back (`show`,
 * reports, `rescore`'s previous score): which scores are the set's, and the latest one decoded.
 */
import type { ScoreRecord } from "@tau-sim/engine"
import { Result } from "effect"
import { SUPPORT_DESK_EVALUATOR } from "../versions.ts"
import { decodeSupportDeskResult, type SupportDeskResult } from "./evaluate.ts"

export const isSupportDeskScore = (score: Pick<ScoreRecord, "evaluator">): boolean => score.evaluator === SUPPORT_DESK_EVALUATOR.name

/** The latest support-desk score of an episode: its verdict, or why it has none (the evaluator failed, or the breakdown is not one). */
export type StoredSupportDesk =
  | { readonly _tag: "Verdict"; readonly score: ScoreRecord; readonly verdict: SupportDeskResult }
  | { readonly _tag: "Failed"; readonly score: ScoreRecord; readonly error: string }

export const latestSupportDesk = (scores: ReadonlyArray<ScoreRecord>): StoredSupportDesk | undefined => {
  const score = scores.filter(isSupportDeskScore).at(-1)
  if (score === undefined) return undefined
  const decoded = decodeSupportDeskResult(score.breakdown)
  if (Result.isSuccess(decoded)) return { _tag: "Verdict", score, verdict: decoded.success }
  // `supportDeskScoreRecord` stores a failed evaluation as reward 0 with the error.
  const recorded = (score.breakdown as { evaluator_error?: unknown } | null)?.evaluator_error
  return {
    _tag: "Failed",
    score,
    error: typeof recorded === "string" ? recorded : `the stored breakdown is not a support-desk verdict: ${decoded.failure.message}`,
  }
}
