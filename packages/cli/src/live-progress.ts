/**
 * Live progress of a run on standard error. On a terminal: one bar, redrawn in place as episodes
 * finish (done/total, errored, model cost so far, ETA), with a line kept above it for each errored
 * episode. Not on a terminal (a pipe, a log file, CI): one plain line per finished episode.
 */
import { ERRORED_REASONS, type EpisodeSummary } from "@tau-sim/runs"
import { redactText } from "@tau-sim/models"
import { fmtReward } from "./table.ts"

export interface ProgressOptions {
  /** Episodes this invocation will report (0: unknown). */
  readonly total: () => number
  /** The model cost so far (`""` while no model was called). */
  readonly cost: () => string
  /** The plain line's cost suffix (`, model cost so far $x (n calls)`), or `""`. */
  readonly costSuffix: () => string
  /** Default: standard error. */
  readonly stream?: NodeJS.WriteStream
  /** Milliseconds of a monotonic clock (default `performance.now`): the ETA's elapsed time. */
  readonly now?: () => number
  /** Prefix of each plain line (an experiment indents its episodes). */
  readonly indent?: string
  /** Whether a plain line counts as `[done/total]` (default) or `[done]` (an experiment's lines, as they always were). */
  readonly lineTotal?: boolean
}

export interface Progress {
  /** An episode this invocation finished. */
  readonly episode: (summary: EpisodeSummary) => void
  /** A line of its own (kept above the bar on a terminal). */
  readonly line: (text: string) => void
  /** Takes the bar off the screen (before the summary, or a stop message); idempotent. */
  readonly clear: () => void
}

const ERASE_LINE = "\r\x1b[2K"

/** `1h02m`, `4m05s`, `12s`. */
export const formatEta = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`
  if (m > 0) return `${m}m${String(sec).padStart(2, "0")}s`
  return `${sec}s`
}

/** The bar's text for `done` of `total` episodes, fitted to `width` columns. */
export const barLine = (state: { done: number; total: number; errored: number; cost: string; etaMs: number | null }, width: number): string => {
  const { done, total, errored, cost, etaMs } = state
  const parts = [
    total > 0 ? `${done}/${total} episodes` : `${done} episodes`,
    ...(errored > 0 ? [`${errored} errored`] : []),
    ...(cost !== "" ? [`cost ${cost}`] : []),
    ...(etaMs !== null && total > done ? [`ETA ${formatEta(etaMs)}`] : []),
  ]
  const text = parts.join(" · ")
  // The bar takes what the text leaves, between 10 and 40 cells; none on a very narrow terminal.
  const cells = Math.min(40, width - text.length - 3)
  if (total <= 0 || cells < 10) return text.slice(0, Math.max(0, width - 1))
  const filled = Math.round((cells * Math.min(done, total)) / total)
  return `${"█".repeat(filled)}${"░".repeat(cells - filled)}  ${text}`.slice(0, Math.max(0, width - 1))
}

export const runProgress = (options: ProgressOptions): Progress => {
  const stream = options.stream ?? process.stderr
  const now = options.now ?? (() => performance.now())
  const indent = options.indent ?? ""
  const started = now()
  let done = 0
  let errored = 0
  let shown = false
  const tty = stream.isTTY === true
  const draw = () => {
    const total = options.total()
    const elapsed = now() - started
    const etaMs = done > 0 && total > done ? (elapsed / done) * (total - done) : null
    stream.write(`${ERASE_LINE}${redactText(barLine({ done, total, errored, cost: options.cost(), etaMs }, stream.columns || 80))}`)
    shown = true
  }
  const clear = () => {
    if (shown) stream.write(ERASE_LINE)
    shown = false
  }
  const line = (text: string) => {
    clear()
    stream.write(`${redactText(text)}\n`)
    if (tty && done > 0) draw()
  }
  return {
    episode: (s) => {
      done++
      const isError = ERRORED_REASONS.includes(s.termination_reason)
      if (isError) errored++
      const total = options.lineTotal === false ? 0 : options.total()
      const text = `${indent}[${total > 0 ? `${done}/${total}` : done}] ${s.task_id} trial ${s.trial}: ${s.termination_reason}, reward ${fmtReward(s.reward)}${options.costSuffix()}`
      if (!tty) {
        stream.write(`${redactText(text)}\n`)
        return
      }
      // On a terminal only errored episodes keep a line (with the episode to `tau show`); the bar says the rest.
      if (isError) line(`${text} (tau show ${s.episode_id})`)
      draw()
    },
    line,
    clear,
  }
}
