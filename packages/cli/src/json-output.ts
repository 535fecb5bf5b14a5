/**
 * The JSON vocabulary of every command's `--json` (README "JSON output"): one set of field names
 * and two shapes. A command that produces rows as it goes (`run`, `replay`, `rescore`, `tasks`,
 * `evaluate-trajs`, `list`) prints a stream, JSON Lines: one object per line; every other command
 * prints its result as one document, one object on one line. So every line of standard output
 * parses as JSON, and nothing else is printed there (progress and warnings go to standard error).
 *
 * The names: `run_id`, `episode_id` (never `simulation_id`), `task_id`, `trial`, `status`
 * (`running` | `ended`), `termination_reason` (never `ended`), `reward`, `evaluator` and
 * `evaluator_version` (apart, never `name@version`), `parent_episode_id`, `fork_seq`, `domain`,
 * `mode`, `agent`, `user`, `cost` (USD, null when unknown); snake_case throughout. Documents
 * that are another tool's (a τ² task in `tasks show`, a world diff) keep their own keys.
 */
import type { EpisodeRow } from "@tau-sim/engine"
import { printJson } from "./commands/common.ts"

/** The fields that name an episode and say how it ended, as every command prints them. */
export interface EpisodeJson {
  readonly run_id: string
  readonly episode_id: string
  readonly task_id: string
  readonly trial: number
  readonly termination_reason: string | null
  readonly reward: number | null
}

/** An episode's read-model row in the vocabulary (what `list episodes` prints, and others start from). */
export const episodeRowJson = (row: EpisodeRow) => ({
  run_id: row.runId,
  episode_id: row.episodeId,
  domain: row.domain,
  task_id: row.taskId,
  trial: row.trial,
  status: row.status,
  termination_reason: row.terminationReason,
  reward: row.reward,
  parent_episode_id: row.parentEpisodeId,
  fork_seq: row.parentSeq,
})

/** A score's evaluator, in two fields. */
export const evaluatorJson = (evaluator: string, evaluatorVersion: string) => ({ evaluator, evaluator_version: evaluatorVersion })

/** One row of a stream: one object on its own line (Python floats as floats). */
export const printJsonLine = (row: object) => printJson(row)

/** A command's single result: one object on one line. */
export const printJsonDocument = (document: object) => printJson(document)

/** Names the vocabulary replaced; no command prints them (the JSON-output test checks). */
export const RETIRED_FIELD_NAMES: Readonly<Record<string, string>> = {
  simulation_id: "episode_id",
  ended: "termination_reason",
  version: "evaluator_version",
  id: "task_id",
  variant: "policy_variant",
}
