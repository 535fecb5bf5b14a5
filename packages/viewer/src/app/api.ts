/**
 * The page's side of the API: same-origin GETs (the token travels as the cookie the server set
 * from the printed URL), answers typed as the server sends them.
 */

export interface RunSummary {
  readonly run_id: string
  readonly created_at: string
  readonly kind: string
  readonly experiment: string | null
  readonly domain: string | null
  readonly mode: string | null
  readonly agent: string | null
  readonly user: string | null
  readonly branches_of: string | null
  readonly episodes: number
  readonly running: number
  readonly infrastructure_errors: number
  readonly status: "running" | "interrupted" | "done" | "errored"
  readonly pass_hat_ks: Readonly<Record<string, number>>
  readonly avg_reward: number | null
  readonly cost: number
  readonly model_calls: number
  readonly unpriced_calls: number
  /** Formatted by the server with the engine's `formatCost` (never $0 for an unknown price). */
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
  readonly evaluators: ReadonlyArray<string>
  readonly runs: ReadonlyArray<string>
}

interface Base {
  readonly index: number
  readonly stream: string
  readonly seq: number
  readonly recorded_at: string
  readonly inherited: boolean
  readonly turn: number | null
  readonly setup: boolean
}

export type TimelineItem = Base &
  (
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
        readonly cost: number | null
        /** The engine's `formatCost` of it, from the server. */
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
  readonly lineage: ReadonlyArray<{ readonly episode_id: string; readonly fork_seq: number | null }>
  readonly timeline: ReadonlyArray<TimelineItem>
  readonly scores: ReadonlyArray<ScoreView>
  readonly failed_checks: ReadonlyArray<string>
}

export interface WorldAtTurn {
  readonly episode_id: string
  readonly turn: number
  readonly turns: number
  readonly index: number
  readonly world: unknown
  readonly changes: ReadonlyArray<{ readonly op: string; readonly path: string; readonly value?: unknown; readonly before?: unknown }>
}

export class ApiError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

export const getJson = async <A>(path: string): Promise<A> => {
  const response = await fetch(path, { credentials: "same-origin", headers: { accept: "application/json" } })
  const body = (await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }))) as { error?: string }
  if (!response.ok) throw new ApiError(response.status, body.error ?? `${response.status} ${response.statusText}`)
  return body as A
}

/** A POST of JSON with the token header (forking from the page). */
export const postJson = async <A>(path: string, body: unknown, token: string | null): Promise<A> => {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json", ...(token === null ? {} : { "x-tau-token": token }) },
    body: JSON.stringify(body),
  })
  const answer = (await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }))) as { error?: string }
  if (!response.ok) throw new ApiError(response.status, answer.error ?? `${response.status} ${response.statusText}`)
  return answer as A
}

export const fmtReward = (r: number | null | undefined): string => (r === null || r === undefined ? "–" : r.toFixed(3))
export interface BranchSide {
  readonly episode_id: string
  readonly agent: string
  readonly user: string
  readonly mode: string
  readonly termination_reason: string | null
  readonly reward: number | null
  readonly turns: number
  readonly timeline: ReadonlyArray<TimelineItem>
}

export interface BranchComparison {
  readonly shared: ReadonlyArray<TimelineItem>
  readonly a: BranchSide
  readonly b: BranchSide
  readonly world_diff: ReadonlyArray<{ readonly op: string; readonly path: string; readonly value?: unknown }>
}
