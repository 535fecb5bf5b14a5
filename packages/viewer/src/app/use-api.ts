import { useEffect, useState } from "preact/hooks"
import { getJson } from "./api.ts"

export type Loaded<A> =
  | { readonly state: "loading" }
  | { readonly state: "error"; readonly message: string; readonly status: number }
  | { readonly state: "done"; readonly value: A }

/**
 * GETs `path` whenever it changes; with `refreshMs`, again every so often while `keepRefreshing`
 * says so (runs in progress stay live).
 */
export const useApi = <A>(path: string | null, options: { readonly refreshMs?: number; readonly keepRefreshing?: (a: A) => boolean } = {}): Loaded<A> => {
  const [loaded, setLoaded] = useState<Loaded<A>>({ state: "loading" })
  useEffect(() => {
    if (path === null) return
    let cancelled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const load = (first: boolean) => {
      if (first) setLoaded({ state: "loading" })
      getJson<A>(path).then(
        (value) => {
          if (cancelled) return
          setLoaded({ state: "done", value })
          if (options.refreshMs !== undefined && options.keepRefreshing?.(value)) timer = setTimeout(() => load(false), options.refreshMs)
        },
        (e: unknown) => {
          if (cancelled) return
          setLoaded({ state: "error", message: e instanceof Error ? e.message : String(e), status: (e as { status?: number }).status ?? 0 })
        },
      )
    }
    load(true)
    return () => {
      cancelled = true
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [path])
  return loaded
}
