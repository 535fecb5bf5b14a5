/**
 * Hand-placed inline SVG for the support-desk deep report's rate chart (a text column of figures
 * beside each interval), the palette every chart shares, and XML escaping. The report's other
 * charts are Vega-Lite (chart-specs.ts).
 */

export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

export const escapeXml = (s: string): string =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;")

const n = (x: number): string => (Math.round(x * 100) / 100).toString()

interface Frame {
  readonly width: number
  readonly height: number
  readonly left: number
  readonly right: number
  readonly top: number
  readonly bottom: number
}

const plotWidth = (f: Frame) => f.width - f.left - f.right

const open = (f: Frame, title: string, cls: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${cls}" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeXml(title)}">` +
  `<rect x="0" y="0" width="${f.width}" height="${f.height}" fill="#ffffff"/>` +
  `<text x="${n(f.width / 2)}" y="18" text-anchor="middle" font-size="14" font-weight="bold" fill="#222">${escapeXml(title)}</text>`

export interface RateRow {
  readonly key: string
  readonly estimate: number
  readonly low: number
  readonly high: number
  /** Episodes behind the estimate (0: does not apply). */
  readonly n: number
}

export interface RateGroup {
  readonly label: string
  readonly rows: ReadonlyArray<RateRow>
}

/**
 * Rates in [0, 1] with their intervals: one block per group (e.g. per agent), one row per key
 * (e.g. per component, coloured by key), the estimate as a dot on its interval; "n/a" where a
 * rate applies to no episode.
 */
export const rateChart = (title: string, xLabel: string, groups: ReadonlyArray<RateGroup>, keys: ReadonlyArray<string>): string => {
  const color = (key: string) => PALETTE[keys.indexOf(key) % PALETTE.length]
  const rowHeight = 20
  const blockHeights = groups.map((g) => 24 + g.rows.length * rowHeight)
  const f: Frame = { width: 720, height: 0, left: 300, right: 32, top: 36, bottom: 48 }
  const frame: Frame = { ...f, height: f.top + blockHeights.reduce((a, b) => a + b, 0) + f.bottom + 8 }
  const x = (v: number) => frame.left + Math.max(0, Math.min(1, v)) * plotWidth(frame)
  const parts = [open(frame, title, "rate-chart")]
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${n(x(v))}" y1="${frame.top}" x2="${n(x(v))}" y2="${frame.height - frame.bottom}" stroke="#dddddd" stroke-width="1"/>`)
    parts.push(`<text x="${n(x(v))}" y="${frame.height - frame.bottom + 16}" text-anchor="middle" font-size="11" fill="#444">${v.toFixed(2)}</text>`)
  }
  parts.push(
    `<text x="${n(frame.left + plotWidth(frame) / 2)}" y="${frame.height - frame.bottom + 34}" text-anchor="middle" font-size="12" fill="#333">${escapeXml(xLabel)}</text>`,
  )
  let y = frame.top
  for (const [gi, g] of groups.entries()) {
    parts.push(`<text x="8" y="${n(y + 16)}" font-size="12" font-weight="bold" fill="#222">${escapeXml(g.label)}</text>`)
    y += 24
    for (const r of g.rows) {
      const mid = y + rowHeight / 2
      const c = color(r.key)
      const tip =
        r.n === 0
          ? `${g.label} ${r.key}: does not apply`
          : `${g.label} ${r.key}: ${r.estimate.toFixed(3)} [${r.low.toFixed(3)}, ${r.high.toFixed(3)}], n=${r.n}`
      const applies = r.n > 0 && !Number.isNaN(r.estimate)
      const figures = applies ? `${r.estimate.toFixed(2)} [${r.low.toFixed(2)}, ${r.high.toFixed(2)}] n=${r.n}` : "n/a"
      parts.push(
        `<rect x="24" y="${n(mid - 5)}" width="10" height="10" fill="${c}"/>`,
        `<text x="40" y="${n(mid + 4)}" font-size="11" fill="#222">${escapeXml(r.key)}</text>`,
        `<text x="${frame.left - 10}" y="${n(mid + 4)}" text-anchor="end" font-size="11" fill="${applies ? "#222" : "#777"}">${escapeXml(figures)}</text>`,
      )
      if (applies)
        parts.push(
          `<line x1="${n(x(r.low))}" y1="${n(mid)}" x2="${n(x(r.high))}" y2="${n(mid)}" stroke="${c}" stroke-width="6" stroke-linecap="round" opacity="0.45"/>`,
          `<circle cx="${n(x(r.estimate))}" cy="${n(mid)}" r="5" fill="${c}"><title>${escapeXml(tip)}</title></circle>`,
        )
      y += rowHeight
    }
    if (gi < groups.length - 1)
      parts.push(`<line x1="8" y1="${n(y + 2)}" x2="${frame.width - frame.right}" y2="${n(y + 2)}" stroke="#eeeeee" stroke-width="1"/>`)
  }
  parts.push("</svg>")
  return parts.join("")
}
