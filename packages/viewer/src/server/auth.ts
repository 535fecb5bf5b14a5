/**
 * The per-start token (as Jupyter has): printed with the URL, required on every API call as the
 * `x-tau-token` header or the `tau_token` cookie that the page's first load sets from `?token=`.
 * Another local process or a page of another origin cannot read the store without it.
 */
import { createHash, timingSafeEqual } from "node:crypto"

export const TOKEN_COOKIE = "tau_token"
export const TOKEN_HEADER = "x-tau-token"

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest()

/** Constant time in the token's content: both sides are hashed to one length first. */
export const tokenMatches = (expected: string, given: string | undefined): boolean =>
  given !== undefined && given !== "" && timingSafeEqual(digest(expected), digest(given))
