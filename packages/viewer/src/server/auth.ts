/**
 * The per-start token (as Jupyter has): printed with the URL, required on every API call as the
 * `x-tau-token` header or the `tau_token_<port>` cookie that the page's first load sets from `?token=`.
 * Another local process or a page of another origin cannot read the store without it.
 */
import { createHash, timingSafeEqual } from "node:crypto"

/**
 * The cookie is named per port (as Jupyter does): browsers do not scope cookies by port, so one
 * name would reach every server on 127.0.0.1 and a second `tau view` would overwrite the first's.
 */
export const tokenCookie = (port: number): string => `tau_token_${port}`
export const TOKEN_HEADER = "x-tau-token"

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest()

/** Constant time in the token's content: both sides are hashed to one length first. */
export const tokenMatches = (expected: string, given: string | undefined): boolean =>
  given !== undefined && given !== "" && timingSafeEqual(digest(expected), digest(given))
