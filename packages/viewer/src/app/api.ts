/**
 * The page's side of the API: same-origin GETs (the token travels as the cookie the server set
 * from the printed URL), answers typed as the server sends them.
 */

export type {
  BranchComparison,
  BranchSide,
  CriticalView,
  EpisodeCritical,
  EpisodeDetail,
  EpisodeListRow,
  EpisodePage,
  Facets,
  ForkProgress,
  RunSummary,
  ScoreView,
  TimelineItem,
  WorldAtTurn,
} from "../wire.ts"

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
