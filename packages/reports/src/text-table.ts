/**
 * Plain-text tables that fit a width: when the natural table is wider (telecom task ids make it
 * 250–317 columns), the widest columns are capped and their cells wrap onto continuation lines,
 * broken after an id's separators where possible, so nothing is lost and nothing is cut.
 */

/** No column is made narrower than this (or its widest cell, when that is narrower). */
const MIN_COLUMN = 8
const GAP = 2

/** Breaking after one of these keeps an id's parts whole (`[mobile_data_issue]airplane_mode_on|...`). */
const BREAK_AFTER = new Set([" ", "|", "_", "-", ".", "]", ")", "/", ",", ":", "~", "·"])

/** `text` in lines of at most `width` characters, broken after a separator when one is in the line's second half. */
export const wrapCell = (text: string, width: number): string[] => {
  const chars = [...text]
  if (chars.length <= width) return [text]
  const lines: string[] = []
  let rest = chars
  while (rest.length > width) {
    let cut = width
    for (let i = width; i > width / 2; i--) {
      if (BREAK_AFTER.has(rest[i - 1])) {
        cut = i
        break
      }
    }
    lines.push(rest.slice(0, cut).join("").trimEnd())
    rest = rest.slice(cut)
    while (rest[0] === " ") rest = rest.slice(1)
  }
  if (rest.length > 0) lines.push(rest.join(""))
  return lines
}

const len = (s: string) => [...s].length

/**
 * Column widths that fit `width`: one cap for the wide columns, the largest that fits, never
 * below a column's floor (its header's longest word, or `MIN_COLUMN` where the words do not fit,
 * or its natural width when that is less); what the cap leaves goes back to the widest capped columns.
 */
const fittedWidths = (natural: ReadonlyArray<number>, floors: ReadonlyArray<number>, width: number): number[] => {
  const gaps = GAP * Math.max(0, natural.length - 1)
  const sum = (ws: ReadonlyArray<number>) => ws.reduce((a, b) => a + b, 0) + gaps
  if (sum(natural) <= width) return [...natural]
  const capped = (cap: number) => natural.map((w, i) => Math.max(floors[i], Math.min(w, cap)))
  let lo = 0
  let hi = Math.max(...natural)
  while (lo < hi) {
    const cap = Math.ceil((lo + hi) / 2)
    if (sum(capped(cap)) <= width) lo = cap
    else hi = cap - 1
  }
  const widths = capped(lo)
  let left = width - sum(widths)
  for (const i of natural.map((_, i) => i).sort((a, b) => natural[b] - natural[a])) {
    if (left <= 0) break
    const more = Math.min(left, natural[i] - widths[i])
    widths[i] += more
    left -= more
  }
  return widths
}

/** Headers, a rule and the rows, columns two spaces apart, fitted to `width` (cells wrap in their column; no width: as wide as they are). */
export const textTable = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, width = Number.POSITIVE_INFINITY): string => {
  const natural = headers.map((h, i) => Math.max(len(h), ...rows.map((r) => len(r[i] ?? ""))))
  // A header wraps between its words; a column is never narrower than its longest one.
  const words = headers.map((h, i) => Math.min(natural[i], Math.max(MIN_COLUMN, ...h.split(" ").map(len))))
  // Too many columns for whole words: headers break inside them too.
  const floors = words.reduce((a, b) => a + b + GAP, -GAP) <= width ? words : natural.map((w) => Math.min(w, MIN_COLUMN))
  const widths = fittedWidths(natural, floors, width)
  const lines = (r: ReadonlyArray<string>): string[] => {
    const cells = widths.map((w, i) => wrapCell(r[i] ?? "", w))
    const height = Math.max(1, ...cells.map((c) => c.length))
    return Array.from({ length: height }, (_, k) =>
      cells
        .map((c, i) => (c[k] ?? "").padEnd(widths[i] + (c[k] ?? "").length - len(c[k] ?? "")))
        .join(" ".repeat(GAP))
        .trimEnd(),
    )
  }
  return [...lines(headers), widths.map((w) => "-".repeat(w)).join(" ".repeat(GAP)), ...rows.flatMap(lines)].join("\n")
}
