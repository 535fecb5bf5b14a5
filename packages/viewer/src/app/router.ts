/**
 * Deep links without a router library: the path and query are the state (`/runs/<id>`,
 * `/episodes/<id>?turn=N`, `/episodes?task=...`), and links push history entries.
 */
import { useEffect, useState } from "preact/hooks"

export interface Location {
  readonly path: string
  readonly query: URLSearchParams
}

const current = (): Location => ({ path: window.location.pathname, query: new URLSearchParams(window.location.search) })

const listeners = new Set<() => void>()

export const navigate = (to: string, options: { readonly replace?: boolean } = {}): void => {
  if (options.replace) window.history.replaceState(null, "", to)
  else window.history.pushState(null, "", to)
  for (const l of listeners) l()
}

window.addEventListener("popstate", () => {
  for (const l of listeners) l()
})

export const useLocation = (): Location => {
  const [location, setLocation] = useState(current)
  useEffect(() => {
    const update = () => setLocation(current())
    listeners.add(update)
    return () => {
      listeners.delete(update)
    }
  }, [])
  return location
}

const TOKEN_KEY = "tau-view-token"

/** The token for requests that change something (forks): they must carry it as a header, not only the cookie. */
export const sessionToken = (): string | null => window.sessionStorage.getItem(TOKEN_KEY)

/**
 * The printed URL's `?token=` has become the cookie by now: keep it for this tab's forks, and out
 * of history and screenshots.
 */
export const dropTokenFromUrl = (): void => {
  const url = new URL(window.location.href)
  const token = url.searchParams.get("token")
  if (token === null) return
  window.sessionStorage.setItem(TOKEN_KEY, token)
  url.searchParams.delete("token")
  window.history.replaceState(null, "", `${url.pathname}${url.search}${url.hash}`)
}

export const withQuery = (path: string, params: Readonly<Record<string, string | undefined>>): string => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v)
  const s = q.toString()
  return s === "" ? path : `${path}?${s}`
}
