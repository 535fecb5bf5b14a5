/**
 * What the viewer's API sends: the JSON of each answer, typed once for the server that writes it
 * and the page that reads it. Types only, and only type imports (erased), so the page (a browser
 * bundle) can use them without pulling in anything of the server's.
 */
import type { FailureReasons } from "@tau-sim/evaluators"
import type { CriticalResult } from "@tau-sim/runs"

/**
 * `running`: it has running episodes and a process holds its lease (or one of theirs);
 * `interrupted`: running episodes and no process on them (stopped, killed: `tau run --resume`
 * continues it; a killed process's lease stays until it is taken over, so such a run still shows
 * as running); `errored`: an episode ended as infrastructure_error; else `done`.
 */
export type RunStatus = "running" | "interrupted" | "done" | "errored"

export interface RunSummary {
  readonly run_id: string
  readonly created_at: string
  readonly kind: string
  readonly experiment: string | null
  readonly domain: string | null
  readonly mode: string | null
  readonly agent: string | null
  readonly user: string | null
  /** Of a forks or counterfactual run: the run it branched from; of a critical-turn analysis (kind `critical`): the episode analysed. */
  readonly branches_of: string | null
  readonly episodes: number
  readonly running: number
  readonly infrastructure_errors: number
  readonly status: RunStatus
  /** pass^k for k = 1..max_k (evaluators' `computeMetrics` over the ended, scored episodes). */
  readonly pass_hat_ks: Readonly<Record<number, number>>
  readonly avg_reward: number | null
  /** Sum of the known cost of the run's model calls (its episodes' own events). */
  readonly cost: number
  readonly model_calls: number
  /** Calls whose price was unknown (the engine's `callCost` is null): `cost` leaves them out. */
  readonly unpriced_calls: number
  /** The engine's `formatCost` of the two: `$0.1234`, `≥ $0.1200 (3 calls unpriced)` or `unknown (3 calls unpriced)`. */
  readonly cost_text: string
}

export interface EpisodeListRow {
  readonly episode_id: string
  readonly run_id: string
  readonly domain: string
  readonly task_id: string
  readonly trial: number
  readonly status: "running" | "ended"
  readonly termination_reason: string | null
  readonly reward: number | null
  readonly events: number
  readonly parent_episode_id: string | null
  readonly parent_seq: number | null
  readonly agent: string | null
  readonly user: string | null
  readonly mode: string | null
  /** Tool errors outside setup, as the episode's end records them (null while it runs). */
  readonly tool_errors: number | null
}

export interface EpisodePage {
  readonly total: number
  readonly offset: number
  readonly limit: number
  readonly episodes: ReadonlyArray<EpisodeListRow>
}

export interface Facets {
  readonly domains: ReadonlyArray<string>
  readonly terminations: ReadonlyArray<string>
  readonly agents: ReadonlyArray<string>
  readonly modes: ReadonlyArray<string>
  /** `evaluator@version` of every stored score. */
  readonly evaluators: ReadonlyArray<string>
  readonly runs: ReadonlyArray<string>
}

/** One event of the timeline; untrusted text (messages, arguments, outputs) is passed on as strings. */
export type TimelineItem = {
  readonly index: number
  /** The stream and seq the event is stored at (an ancestor's for a fork's inherited prefix). */
  readonly stream: string
  readonly seq: number
  readonly recorded_at: string
  readonly inherited: boolean
  /** The trajectory message this event produced, if it produced one. */
  readonly turn: number | null
  readonly setup: boolean
} & (
  | { readonly kind: "started"; readonly agent: string; readonly user: string; readonly mode: string; readonly seed: number; readonly parent: string | null }
  | {
      readonly kind: "message"
      readonly role: "agent" | "user"
      readonly text: string | null
      readonly tool_calls: ReadonlyArray<{ readonly id: string; readonly name: string; readonly arguments: string }>
    }
  | {
      readonly kind: "tool"
      readonly actor: string
      readonly call_id: string
      readonly name: string
      readonly arguments: string
      readonly output: string
      readonly error: boolean
      readonly changes: number
    }
  | {
      readonly kind: "model"
      readonly participant: string
      readonly provider: string
      readonly model: string
      readonly prompt_tokens: number
      readonly completion_tokens: number
      /** Null when the price of the model is unknown (the engine's `callCost`: old cost-0 calls with `pricing: null` too). */
      readonly cost: number | null
      /** The engine's `formatCost` of it: `$0.0012` or `unknown (1 call unpriced)`. */
      readonly cost_text: string
      readonly latency_ms: number
      readonly attempt: number
      readonly error: string | null
    }
  | { readonly kind: "ended"; readonly reason: string; readonly steps: number; readonly errors: number; readonly note: string | null }
  | { readonly kind: "external"; readonly source: string }
)

export interface ScoreView {
  readonly evaluator: string
  readonly version: string
  readonly reward: number
  readonly recorded_at: string
  /** The score the runs list and reports show as the reward. */
  readonly reported: boolean
  readonly breakdown: unknown
}

export interface EpisodeDetail {
  readonly episode_id: string
  readonly run_id: string
  readonly domain: string
  readonly task_id: string
  readonly trial: number
  readonly agent: string
  readonly user: string
  readonly mode: string
  readonly status: "running" | "ended"
  readonly termination_reason: string | null
  readonly reward: number | null
  readonly turns: number
  /** Ancestors first, this episode last, with the event each branched at. */
  readonly lineage: ReadonlyArray<{ readonly episode_id: string; readonly fork_seq: number | null }>
  readonly timeline: ReadonlyArray<TimelineItem>
  readonly scores: ReadonlyArray<ScoreView>
  /** Why the reported reward is below 1, in words: the failed checks but the DB's (the evaluators' `checkFailureLines` of `why_failed`). */
  readonly failed_checks: ReadonlyArray<string>
  /** Why, structured (the evaluators' `FailureReasons`: the DB paths differing from the gold included); null when the reward is 1 or there is none. */
  readonly why_failed: FailureReasons | null
}

export interface WorldAtTurn {
  readonly episode_id: string
  readonly turn: number
  readonly turns: number
  /** The event that produced the turn (index into the timeline). */
  readonly index: number
  readonly world: unknown
  /** What producing the turn changed (a tool call's recorded patch; nothing for a message), as JSON Patch. */
  readonly changes: ReadonlyArray<{ readonly op: string; readonly path: string; readonly value?: unknown; readonly before?: unknown }>
}

export interface BranchSide {
  readonly episode_id: string
  readonly agent: string
  readonly user: string
  readonly mode: string
  readonly termination_reason: string | null
  readonly reward: number | null
  readonly turns: number
  /** Its events after the shared prefix. */
  readonly timeline: ReadonlyArray<TimelineItem>
}

export interface BranchComparison {
  /** Events both histories share (the same stored events: the prefix up to the fork point). */
  readonly shared: ReadonlyArray<TimelineItem>
  readonly a: BranchSide
  readonly b: BranchSide
  /** Where the two final worlds differ, as the JSON Patch from a's to b's. */
  readonly world_diff: ReadonlyArray<{ readonly op: string; readonly path: string; readonly value?: unknown }>
}

/** `/api/forks/<id>`: a fork started from the page, while it runs and after. */
export interface ForkProgress {
  readonly episode_id: string
  readonly parent_episode_id: string
  readonly turn: number
  readonly state: "running" | "done" | "failed"
  /** Why the fork failed (after its branch was stored: the branch is kept as far as it got). */
  readonly error: string | null
  /** The branch as stored so far; null while it cannot be read. */
  readonly detail: EpisodeDetail | null
}

/** A critical-turn analysis of an episode (runs' `CriticalResult` without its sample list), its cost formatted. */
export type CriticalView = Omit<CriticalResult, "samples" | "cost"> & { readonly cost_text: string }

/** `/api/episodes/<id>/critical`: its analyses, the latest first (none: an empty list). */
export interface EpisodeCritical {
  readonly episode_id: string
  readonly analyses: ReadonlyArray<CriticalView>
}
