/**
 * Durations as people write them (`--episode-timeout`, an experiment's `episode_timeout`): `90`
 * (seconds, as τ²'s `--timeout`), `90s`, `500ms`, `10m`, `1h30m`; read to milliseconds.
 */

/** Milliseconds (≥ 1), or null for text that is not a duration > 0. */
export const parseDurationMs = (text: string): number | null => {
  const t = text.trim()
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) > 0 ? Math.max(1, Math.round(Number(t) * 1000)) : null
  if (!/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(t)) return null
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const
  let ms = 0
  for (const [, n, , u] of t.matchAll(/(\d+(\.\d+)?)(ms|h|m|s)/g)) ms += Number(n) * unit[u as keyof typeof unit]
  return ms > 0 ? Math.max(1, Math.round(ms)) : null
}

/** What a duration may look like, for error messages. */
export const DURATION_FORMS = "a duration > 0: seconds (90), or with units: 500ms, 90s, 10m, 1h30m"
