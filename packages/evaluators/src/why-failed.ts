/**
 * Why an episode failed, from its stored τ² breakdown (RewardInfo, possibly an imported or an
 * old one, so read defensively) and the database paths that differ from the gold (computed on
 * demand: `episodeDbDifferences`): what `tau show` prints and the viewer shows. Values are
 * shortened for people; every string in here may be participant text (untrusted): printers
 * make it safe for their medium.
 */
import { PyJson, type PyValue } from "@tau-sim/engine"
import type { DbPathDifference } from "./db-compare.ts"

/** A value for a line: Python-style JSON (`2.0` stays a float), at most `max` characters; `(absent)` for a missing key. */
export const shortValue = (value: PyValue | undefined, max = 60): string => {
  if (value === undefined) return "(absent)"
  const text = PyJson.stringify(value)
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

export interface FailureReasons {
  /** `db_match` was false: the differing paths (null when they could not be computed, then `db_error` says why). */
  readonly db: {
    readonly differences: ReadonlyArray<{ readonly path: string; readonly gold: string; readonly actual: string }> | null
    readonly error: string | null
  } | null
  readonly failed_actions: ReadonlyArray<{ readonly requestor: string; readonly name: string; readonly arguments: string }>
  readonly failed_communicate: ReadonlyArray<string>
  readonly failed_env_assertions: ReadonlyArray<{
    readonly env_type: string
    readonly func_name: string
    readonly arguments: string
    readonly message: string | null
  }>
  readonly failed_nl_assertions: ReadonlyArray<{ readonly nl_assertion: string; readonly justification: string }>
  /** An early exit's note (a premature termination, "No evaluation criteria") or an evaluator error. */
  readonly notes: ReadonlyArray<string>
}

type Check = { readonly met?: unknown; readonly [k: string]: unknown }
interface StoredBreakdown {
  readonly db_check?: { readonly db_match?: unknown } | null
  readonly action_checks?: ReadonlyArray<{
    readonly action_match?: unknown
    readonly action?: { readonly name?: unknown; readonly arguments?: unknown; readonly requestor?: unknown }
  }> | null
  readonly env_assertions?: ReadonlyArray<
    Check & { readonly env_assertion?: { readonly func_name?: unknown; readonly env_type?: unknown; readonly arguments?: unknown; readonly message?: unknown } }
  > | null
  readonly nl_assertions?: ReadonlyArray<Check & { readonly nl_assertion?: unknown; readonly justification?: unknown }> | null
  readonly communicate_checks?: ReadonlyArray<Check & { readonly info?: unknown }> | null
  readonly info?: unknown
  readonly evaluator_error?: unknown
}

const text = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback)
const list = <A>(v: ReadonlyArray<A> | null | undefined): ReadonlyArray<A> => (Array.isArray(v) ? v : [])
const args = (v: unknown): string => JSON.stringify(v ?? {})

/** Whether a stored breakdown says the final database did not match the gold (so the paths are worth computing). */
export const dbMismatched = (breakdown: unknown): boolean =>
  breakdown !== null && typeof breakdown === "object" && (breakdown as StoredBreakdown).db_check?.db_match === false

/**
 * The failed parts of a stored breakdown, with the database paths that differ (`differences`:
 * from `episodeDbDifferences`; a string: why they could not be computed; undefined: not asked).
 */
export const failureReasons = (breakdown: unknown, differences?: ReadonlyArray<DbPathDifference> | string | null): FailureReasons => {
  const b: StoredBreakdown = breakdown !== null && typeof breakdown === "object" ? (breakdown as StoredBreakdown) : {}
  const notes: string[] = []
  if (typeof b.evaluator_error === "string") notes.push(`evaluator error: ${b.evaluator_error}`)
  if (b.info !== null && typeof b.info === "object" && "note" in b.info && typeof b.info.note === "string") notes.push(b.info.note)
  return {
    db: dbMismatched(b)
      ? {
          differences:
            differences === undefined || differences === null || typeof differences === "string"
              ? null
              : differences.map((d) => ({ path: d.path, gold: shortValue(d.gold), actual: shortValue(d.actual) })),
          error: typeof differences === "string" ? differences : null,
        }
      : null,
    failed_actions: list(b.action_checks)
      .filter((a) => a.action_match === false)
      .map((a) => ({ requestor: text(a.action?.requestor, "assistant"), name: text(a.action?.name, "?"), arguments: args(a.action?.arguments) })),
    failed_communicate: list(b.communicate_checks)
      .filter((c) => c.met === false)
      .map((c) => text(c.info)),
    failed_env_assertions: list(b.env_assertions)
      .filter((a) => a.met === false)
      .map((a) => ({
        env_type: text(a.env_assertion?.env_type),
        func_name: text(a.env_assertion?.func_name, "?"),
        arguments: args(a.env_assertion?.arguments),
        message: typeof a.env_assertion?.message === "string" && a.env_assertion.message !== "" ? a.env_assertion.message : null,
      })),
    failed_nl_assertions: list(b.nl_assertions)
      .filter((a) => a.met === false)
      .map((a) => ({ nl_assertion: text(a.nl_assertion), justification: text(a.justification) })),
    notes,
  }
}

/** Whether there is anything to say. */
export const hasFailureReasons = (r: FailureReasons): boolean =>
  r.db !== null || r.failed_actions.length + r.failed_communicate.length + r.failed_env_assertions.length + r.failed_nl_assertions.length + r.notes.length > 0

/** The reasons as lines of plain text (not yet made safe for a terminal or a page): the DB's, then the checks'. */
export const failureLines = (r: FailureReasons): string[] => [...dbFailureLines(r), ...checkFailureLines(r)]

/** The DB part: that it differs, and where (path: gold vs actual, indented). */
export const dbFailureLines = (r: FailureReasons): string[] => {
  const out: string[] = []
  if (r.db !== null) {
    if (r.db.differences === null)
      out.push(`DB: the final database differs from the gold (db_match false)${r.db.error ? `; paths not computed: ${r.db.error}` : ""}`)
    else if (r.db.differences.length === 0) out.push("DB: db_match false, but today's evaluator finds no differing path (scored by another evaluator version?)")
    else {
      out.push(`DB: ${r.db.differences.length} path${r.db.differences.length === 1 ? "" : "s"} differ from the gold:`)
      for (const d of r.db.differences) out.push(`  ${d.path}: gold ${d.gold}, actual ${d.actual}`)
    }
  }
  return out
}

/** The failed actions, communicate checks, assertions and notes. */
export const checkFailureLines = (r: FailureReasons): string[] => {
  const out: string[] = []
  for (const a of r.failed_actions) out.push(`action not matched: ${a.requestor} ${a.name}(${a.arguments})`)
  for (const c of r.failed_communicate) out.push(`not communicated: ${c}`)
  for (const a of r.failed_env_assertions) out.push(`env assertion not met: ${a.env_type} ${a.func_name}(${a.arguments})${a.message ? `: ${a.message}` : ""}`)
  for (const a of r.failed_nl_assertions) out.push(`NL assertion not met: ${a.nl_assertion}${a.justification ? ` (${a.justification})` : ""}`)
  for (const n of r.notes) out.push(`note: ${n}`)
  return out
}
