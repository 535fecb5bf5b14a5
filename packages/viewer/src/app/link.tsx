import type { ComponentChildren } from "preact"
import { navigate } from "./router.ts"

/** An in-app link: a real href (open in a new tab works), history navigation on a plain click. */
export const Link = ({ href, children, class: className }: { href: string; children: ComponentChildren; class?: string }) => (
  <a
    href={href}
    class={className}
    onClick={(e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
      e.preventDefault()
      navigate(href)
    }}
  >
    {children}
  </a>
)

export const episodeHref = (id: string, turn?: number): string => `/episodes/${encodeURIComponent(id)}${turn === undefined ? "" : `?turn=${turn}`}`
export const runHref = (id: string): string => `/runs/${encodeURIComponent(id)}`
export const compareHref = (a: string, b: string): string => `/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`
