/**
 * Small inline SVG charts for the HTML report (no scripts, no external assets): lines for
 * pass^k against k, grouped bars per mode, and interval plots for deltas.
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
const plotHeight = (f: Frame) => f.height - f.top - f.bottom

const open = (f: Frame, title: string, cls: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${cls}" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeXml(title)}">` +
  `<rect x="0" y="0" width="${f.width}" height="${f.height}" fill="#ffffff"/>` +
  `<text x="${n(f.width / 2)}" y="18" text-anchor="middle" font-size="14" font-weight="bold" fill="#222">${escapeXml(title)}</text>`

/** Horizontal grid lines and labels for a 0..1 y axis. */
const yAxis01 = (f: Frame, label: string): string => {
  const parts: string[] = []
  for (let i = 0; i <= 4; i++) {
    const v = i / 4
    const y = f.top + plotHeight(f) * (1 - v)
    parts.push(`<line x1="${f.left}" y1="${n(y)}" x2="${f.width - f.right}" y2="${n(y)}" stroke="#dddddd" stroke-width="1"/>`)
    parts.push(`<text x="${f.left - 6}" y="${n(y + 4)}" text-anchor="end" font-size="11" fill="#444">${v.toFixed(2)}</text>`)
  }
  parts.push(
    `<text x="14" y="${n(f.top + plotHeight(f) / 2)}" transform="rotate(-90 14 ${n(f.top + plotHeight(f) / 2)})" text-anchor="middle" font-size="12" fill="#333">${escapeXml(label)}</text>`,
  )
  parts.push(`<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.height - f.bottom}" stroke="#333" stroke-width="1"/>`)
  parts.push(`<line x1="${f.left}" y1="${f.height - f.bottom}" x2="${f.width - f.right}" y2="${f.height - f.bottom}" stroke="#333" stroke-width="1"/>`)
  return parts.join("")
}

/** Legend entries stacked below the plot area. */
const legend = (f: Frame, entries: ReadonlyArray<{ label: string; color: string }>): string =>
  entries
    .map((e, i) => {
      const y = f.height - f.bottom + 42 + i * 16
      return `<rect x="${f.left}" y="${y - 9}" width="10" height="10" fill="${e.color}"/><text x="${f.left + 16}" y="${y}" font-size="11" fill="#222">${escapeXml(e.label)}</text>`
    })
    .join("")

export interface LineSeries {
  readonly label: string
  readonly color: string
  /** y values for x = 1, 2, ... */
  readonly values: ReadonlyArray<number>
}

/** pass^k against k: one line per series, y in [0, 1]. */
export const lineChart = (title: string, xLabel: string, yLabel: string, series: ReadonlyArray<LineSeries>): string => {
  const points = Math.max(1, ...series.map((s) => s.values.length))
  const f: Frame = { width: 640, height: 300 + 16 * series.length, left: 56, right: 24, top: 32, bottom: 56 + 16 * series.length }
  const x = (k: number) => f.left + (points === 1 ? plotWidth(f) / 2 : ((k - 1) / (points - 1)) * plotWidth(f))
  const y = (v: number) => f.top + plotHeight(f) * (1 - Math.max(0, Math.min(1, v)))
  const parts = [open(f, title, "line-chart"), yAxis01(f, yLabel)]
  for (let k = 1; k <= points; k++) {
    parts.push(`<text x="${n(x(k))}" y="${f.height - f.bottom + 16}" text-anchor="middle" font-size="11" fill="#444">${k}</text>`)
  }
  parts.push(
    `<text x="${n(f.left + plotWidth(f) / 2)}" y="${f.height - f.bottom + 32}" text-anchor="middle" font-size="12" fill="#333">${escapeXml(xLabel)}</text>`,
  )
  const dashes = ["", "8 4", "3 3", "12 4 3 4"]
  series.forEach((s, si) => {
    const dash = dashes[si % dashes.length]
    const pts = s.values.map((v, i) => `${n(x(i + 1))},${n(y(v))}`)
    // Dashes keep coinciding curves (e.g. two cells at pass^k = 1) distinguishable.
    if (pts.length > 1)
      parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`)
    for (const [i, v] of s.values.entries())
      parts.push(
        `<circle cx="${n(x(i + 1))}" cy="${n(y(v))}" r="4" fill="${s.color}"><title>${escapeXml(`${s.label}: k=${i + 1}, ${v.toFixed(3)}`)}</title></circle>`,
      )
  })
  parts.push(legend(f, series), "</svg>")
  return parts.join("")
}

export interface BarGroup {
  readonly label: string
  readonly bars: ReadonlyArray<{ readonly key: string; readonly value: number | null }>
}

/** Grouped bars in [0, 1]: one group per x label, one colored bar per key (e.g. per mode). */
export const barChart = (title: string, yLabel: string, groups: ReadonlyArray<BarGroup>, keys: ReadonlyArray<string>): string => {
  const color = (key: string) => PALETTE[keys.indexOf(key) % PALETTE.length]
  const f: Frame = {
    width: Math.max(420, 120 + groups.length * (keys.length * 36 + 40)),
    height: 300 + 16 * keys.length,
    left: 56,
    right: 24,
    top: 32,
    bottom: 56 + 16 * keys.length,
  }
  const groupWidth = plotWidth(f) / Math.max(1, groups.length)
  const barWidth = Math.min(40, (groupWidth - 24) / Math.max(1, keys.length))
  const parts = [open(f, title, "bar-chart"), yAxis01(f, yLabel)]
  groups.forEach((g, gi) => {
    const start = f.left + gi * groupWidth + (groupWidth - barWidth * keys.length) / 2
    g.bars.forEach((b) => {
      const i = keys.indexOf(b.key)
      const v = b.value === null || Number.isNaN(b.value) ? 0 : Math.max(0, Math.min(1, b.value))
      const h = plotHeight(f) * v
      const x = start + i * barWidth
      parts.push(
        `<rect x="${n(x + 2)}" y="${n(f.top + plotHeight(f) - h)}" width="${n(barWidth - 4)}" height="${n(Math.max(h, 0))}" fill="${color(b.key)}"><title>${escapeXml(`${g.label} ${b.key}: ${b.value === null ? "-" : b.value.toFixed(3)}`)}</title></rect>`,
      )
      parts.push(
        `<text x="${n(x + barWidth / 2)}" y="${n(f.top + plotHeight(f) - h - 4)}" text-anchor="middle" font-size="10" fill="#222">${b.value === null ? "-" : b.value.toFixed(2)}</text>`,
      )
    })
    parts.push(
      `<text x="${n(f.left + gi * groupWidth + groupWidth / 2)}" y="${f.height - f.bottom + 16}" text-anchor="middle" font-size="11" fill="#333">${escapeXml(g.label)}</text>`,
    )
  })
  parts.push(
    legend(
      f,
      keys.map((k) => ({ label: k, color: color(k) })),
    ),
    "</svg>",
  )
  return parts.join("")
}

export interface IntervalRow {
  readonly label: string
  readonly estimate: number
  readonly low: number
  readonly high: number
}

/** Estimates with intervals on a [-1, 1] axis (one row each), zero marked. */
export const intervalChart = (title: string, xLabel: string, rows: ReadonlyArray<IntervalRow>): string => {
  const f: Frame = { width: 640, height: 80 + rows.length * 28 + 40, left: 260, right: 24, top: 32, bottom: 48 }
  const x = (v: number) => f.left + ((Math.max(-1, Math.min(1, v)) + 1) / 2) * plotWidth(f)
  const parts = [open(f, title, "interval-chart")]
  for (const v of [-1, -0.5, 0, 0.5, 1]) {
    parts.push(`<line x1="${n(x(v))}" y1="${f.top}" x2="${n(x(v))}" y2="${f.height - f.bottom}" stroke="${v === 0 ? "#555" : "#dddddd"}" stroke-width="1"/>`)
    parts.push(`<text x="${n(x(v))}" y="${f.height - f.bottom + 16}" text-anchor="middle" font-size="11" fill="#444">${v}</text>`)
  }
  parts.push(
    `<text x="${n(f.left + plotWidth(f) / 2)}" y="${f.height - f.bottom + 34}" text-anchor="middle" font-size="12" fill="#333">${escapeXml(xLabel)}</text>`,
  )
  rows.forEach((r, i) => {
    const y = f.top + 20 + i * 28
    const color = PALETTE[i % PALETTE.length]
    parts.push(`<text x="${f.left - 8}" y="${y + 4}" text-anchor="end" font-size="11" fill="#222">${escapeXml(r.label)}</text>`)
    if (!Number.isNaN(r.low))
      parts.push(
        `<line x1="${n(x(r.low))}" y1="${y}" x2="${n(x(r.high))}" y2="${y}" stroke="${color}" stroke-width="6" stroke-linecap="round" opacity="0.55"/>`,
      )
    if (!Number.isNaN(r.estimate)) parts.push(`<circle cx="${n(x(r.estimate))}" cy="${y}" r="6" fill="${color}"/>`)
  })
  parts.push("</svg>")
  return parts.join("")
}

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
