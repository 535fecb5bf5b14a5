/**
 * Renders the report's Vega-Lite charts (`chart-specs.ts`) to static SVG when a report is built:
 * vega-lite compiles each to Vega, vega's headless SVG renderer draws it. The page needs no script
 * and no asset. Loaded only by the HTML renderer (a dynamic import: the CLI's other commands never
 * load vega).
 *
 * Without a canvas vega guesses text widths as 0.8 em a character, which leaves wide gaps and cuts
 * labels early; it is given the character widths of Helvetica/Arial (the charts' font) instead, so
 * axis room, label overlap and ellipses are computed from what the browser will draw.
 */
import * as vega from "vega"
import { compile, type TopLevelSpec } from "vega-lite"
import type { Report } from "./build.ts"
import { type Chart, reportChartSpecs } from "./chart-specs.ts"
import { escapeXml } from "./svg.ts"

/** Advance widths of Helvetica (= Arial, Liberation Sans) in 1/1000 em for ASCII 32..126. */
const ASCII_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584,
  556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278,
  469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260,
  334, 584,
]
const OTHER = { "·": 278, "…": 1000, Δ: 612, "−": 584, "≥": 549, "–": 556, "—": 1000 } as Record<string, number>

interface TextItem {
  readonly fontSize?: number
  readonly fontWeight?: string | number
  readonly text?: unknown
}

/** The width in pixels of `text` drawn as `item` (bold about 8% wider). */
export const textWidth = (item: TextItem, text?: unknown): number => {
  const s = String(text ?? item.text ?? "")
  let units = 0
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0
    units += code >= 32 && code <= 126 ? ASCII_WIDTHS[code - 32] : (OTHER[ch] ?? 600)
  }
  const bold = item.fontWeight === "bold" || Number(item.fontWeight) >= 600
  return (units / 1000) * (item.fontSize ?? 11) * (bold ? 1.08 : 1)
}

// vega's typings leave textMetrics out; a user-defined width is supported (widthGetter in vega-scenegraph).
;(vega as unknown as { textMetrics: { width: (item: TextItem, text?: unknown) => number } }).textMetrics.width = textWidth

/** One chart as an SVG element: `class="chart <id>"`, labelled with its title for screen readers. */
export const renderChart = async (chart: Chart): Promise<string> => {
  const compiled = compile(chart.spec as unknown as TopLevelSpec).spec
  const view = new vega.View(vega.parse(compiled), { renderer: "none" })
  try {
    // The xlink namespace is declared whether used or not: left out when unused (the page names no other URL).
    const drawn = await view.toSVG()
    const svg = drawn.includes("xlink:") ? drawn : drawn.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    return svg.replace(/^<svg ([^>]*?)class="marks"/, `<svg $1class="chart ${chart.id}" role="img" aria-label="${escapeXml(chart.title)}"`)
  } finally {
    view.finalize()
  }
}

/** Every chart of the report, rendered. */
export const renderReportCharts = (report: Report): Promise<string[]> => Promise.all(reportChartSpecs(report).map(renderChart))
