/** Printing conformance results: one JSON summary line per domain, readable mismatch lists. */
import type { ConformanceResult, Mismatch } from "./harness.ts"

/** Prints `{"domain","tasksChecked","callsChecked","mismatches","outputModes"}` on one line. */
export const reportConformance = (result: ConformanceResult): void => {
  console.log(
    JSON.stringify({
      domain: result.domain,
      tasksChecked: result.tasksChecked,
      callsChecked: result.callsChecked,
      mismatches: result.mismatches.length,
      outputModes: result.outputModes,
    }),
  )
}

const short = (v: unknown, max = 400): string => {
  const s = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v))
  return s.length > max ? `${s.slice(0, max)}…` : s
}

export const formatMismatch = (m: Mismatch): string => {
  const where = m.callIndex === null ? "" : ` call ${m.callIndex}${m.tool ? ` (${m.tool})` : ""}`
  const values = m.expected !== undefined || m.actual !== undefined ? `\n    expected: ${short(m.expected)}\n    actual:   ${short(m.actual)}` : ""
  return `${m.taskId}${where}: [${m.kind}] ${m.detail}${values}`
}

/** All mismatches as text ("" when there are none), at most `limit` of them. */
export const formatMismatches = (mismatches: ReadonlyArray<Mismatch>, limit = 50): string => {
  if (mismatches.length === 0) return ""
  const shown = mismatches.slice(0, limit).map(formatMismatch).join("\n")
  return mismatches.length > limit ? `${shown}\n... and ${mismatches.length - limit} more` : shown
}
