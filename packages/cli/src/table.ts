/** Plain-text tables for terminal output. */

export interface TableOptions {
  /** Width the table must fit (the terminal's, `terminalWidth()`); undefined: as wide as its cells. */
  readonly maxWidth?: number | undefined
  /** Columns (by index) whose cells may be cut, with an ellipsis, to fit: long ids, task ids. */
  readonly shrink?: ReadonlyArray<number>
}

/** Narrowest a shrinkable column gets: a few characters of the id and the ellipsis. */
const MIN_SHRUNK = 8

/** `s` cut to `width` characters, the last one an ellipsis. */
export const ellipsis = (s: string, width: number): string => (s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`)

export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<unknown>>, options: TableOptions = {}): string => {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? "-" : String(c))))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)))
  const { maxWidth, shrink = [] } = options
  if (maxWidth !== undefined) {
    // The widest shrinkable column gives up a character at a time until the table fits (or all are at their least).
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * Math.max(0, widths.length - 1)
    while (total() > maxWidth) {
      const candidates = shrink.filter((i) => widths[i] > Math.max(MIN_SHRUNK, headers[i].length))
      if (candidates.length === 0) break
      const widest = candidates.reduce((a, b) => (widths[b] > widths[a] ? b : a))
      widths[widest]--
    }
  }
  const line = (r: ReadonlyArray<string>) =>
    r
      .map((c, i) => ellipsis(c, widths[i]).padEnd(widths[i]))
      .join("  ")
      .trimEnd()
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n")
}

/** The width tables should fit: the terminal's, else `COLUMNS`; undefined when neither says (a pipe: nothing is cut). */
export const terminalWidth = (): number | undefined => {
  if (process.stdout.isTTY && process.stdout.columns > 0) return process.stdout.columns
  const columns = Number(process.env.COLUMNS)
  return Number.isSafeInteger(columns) && columns > 0 ? columns : undefined
}

export const fmtReward = (r: number | null | undefined): string => (r === null || r === undefined ? "-" : r.toFixed(2))
