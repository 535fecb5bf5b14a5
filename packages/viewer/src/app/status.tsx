import type { Loaded } from "./use-api.ts"

/** Loading, or what went wrong (a missing token says how to get in). */
export const Failure = ({ loaded }: { loaded: Loaded<unknown> }) => {
  if (loaded.state === "loading") return <p class="muted">Loading…</p>
  if (loaded.state === "done") return null
  return (
    <div class="error-box" role="alert">
      {loaded.status === 401 ? "This page needs the token: open the URL that `tau view` printed (it ends in ?token=…)." : loaded.message}
    </div>
  )
}
