/**
 * The report's charts as Vega-Lite specifications (data only: `charts.ts` compiles and renders
 * them to SVG). Every estimate is drawn with its interval as an error bar: pass^k and success
 * rates with percentile bootstrap intervals over tasks (as the deltas have), critical-turn
 * estimates with their exact intervals. A chart that would repeat another's numbers is left out.
 */
import type { CellReport, CriticalReport, Report } from "./build.ts"
import { PALETTE } from "./svg.ts"
import { bootstrapMean, bootstrapPooledMean, type Interval } from "./stats.ts"

/** A Vega-Lite specification (kept loose: the compiler checks it). */
export type ChartSpec = Record<string, unknown>

export interface Chart {
  /** A stable name, also the SVG's class (`chart <id>`). */
  readonly id: string
  readonly title: string
  readonly spec: ChartSpec
}

/** The report's font stack (Liberation Sans stands in for Arial on Debian): `charts.ts` measures text with its widths. */
export const CHART_FONT = "Helvetica, Arial, 'Liberation Sans', sans-serif"

const CONFIG = {
  font: CHART_FONT,
  background: "#ffffff",
  padding: 12,
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: "#555555", anchor: "start", offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", gridColor: "#e6e6e6", labelColor: "#333333", titleColor: "#222222" },
  // Numbers on an axis: fewer ticks rather than labels over each other (category labels are never dropped).
  axisQuantitative: { labelOverlap: "parity", labelSeparation: 6, tickCount: 6 },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 420, orient: "bottom", direction: "vertical", columns: 1, symbolStrokeWidth: 2 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: "#dddddd" },
}

/** Long category labels (cells, deltas) are cut with an ellipsis past this many pixels; the tables keep them whole. */
const LABEL_LIMIT = 380

const finite = (x: number | null | undefined): x is number => typeof x === "number" && Number.isFinite(x)

/** `subtitle` lines: what the intervals are. */
const bootstrapNote = (report: Report): string =>
  `Error bars: ${Math.round(report.bootstrap.confidence * 100)}% percentile bootstrap intervals over tasks (${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed}).`

/** Per-task pass^k of `cell` averaged over tasks, with its bootstrap interval (the reference's estimator is that average). */
export const passHatKInterval = (report: Report, cell: CellReport, k: number): Interval =>
  bootstrapMean(
    cell.tasks.flatMap((t) => (finite(t.pass_hat_k[k]) ? [t.pass_hat_k[k]] : [])),
    report.bootstrap,
  )

/** The average reward over simulations with a bootstrap interval that resamples tasks (with their simulations). */
export const avgRewardInterval = (report: Report, cell: CellReport): Interval =>
  bootstrapPooledMean(
    cell.tasks.filter((t) => t.simulations > 0 && finite(t.avg_reward)).map((t) => ({ sum: (t.avg_reward as number) * t.simulations, count: t.simulations })),
    report.bootstrap,
  )

/** pass^1 equals the average reward where every reward is 0 or 1: one chart says both. */
const sameAsPass1 = (cells: ReadonlyArray<CellReport>): boolean =>
  cells.every((c) => c.avg_reward === null || !finite(c.pass_hat_k[1]) || Math.abs(c.avg_reward - c.pass_hat_k[1]) < 1e-9)

/** The interval [low, high] of each row as an error bar; `title` names the axis (else vega-lite would call it "low"). */
const errorBar = (axis: "x" | "y", color: ChartSpec, title: string) => ({
  mark: { type: "errorbar", ticks: true, thickness: 1.5 },
  encoding: { [axis]: { field: "low", type: "quantitative", title }, [`${axis}2`]: { field: "high" }, ...color },
})

/**
 * A long category label in lines of at most `width` characters, broken after its ` · ` and ` / `
 * separators (the axis or legend draws each line: `LINES`); a part longer than that stays whole.
 */
export const labelLines = (label: string, width = 48): string => {
  const parts = label.split(/(?<= [·/]) /)
  const lines: string[] = []
  for (const part of parts) {
    const last = lines.at(-1)
    if (last !== undefined && last.length + 1 + part.length <= width) lines[lines.length - 1] = `${last} ${part}`
    else lines.push(part)
  }
  return lines.join("\n")
}
const LINES = "split(datum.value, '\\n')"

/** pass^k against k, one line per cell, with error bars (nudged apart per cell so they do not overlap). */
const passHatKChart = (report: Report): Chart | null => {
  const cells = report.cells.filter((c) => c.max_k > 0)
  if (cells.length === 0) return null
  const maxK = Math.max(...cells.map((c) => c.max_k))
  const nudge = Math.min(0.08, 0.5 / cells.length)
  const values = cells.flatMap((c, i) =>
    Array.from({ length: c.max_k }, (_, j) => {
      const k = j + 1
      const ci = passHatKInterval(report, c, k)
      return { cell: labelLines(c.label, 64), k, x: k + (i - (cells.length - 1) / 2) * nudge, value: c.pass_hat_k[k], low: ci.low, high: ci.high }
    }),
  )
  const color = {
    color: {
      field: "cell",
      type: "nominal",
      sort: cells.map((c) => labelLines(c.label, 64)),
      scale: { range: PALETTE },
      legend: { title: null, labelExpr: LINES },
    },
  }
  const x = {
    field: "x",
    type: "quantitative",
    title: "k",
    scale: { domain: [0.5, maxK + 0.5], nice: false },
    axis: { values: Array.from({ length: maxK }, (_, j) => j + 1), format: "d", grid: false, labelOverlap: "parity" },
  }
  return {
    id: "pass-k-chart",
    title: "pass^k by k",
    spec: {
      title: { text: "pass^k by k", subtitle: bootstrapNote(report) },
      width: Math.min(640, Math.max(320, 60 * maxK)),
      height: 260,
      data: { values },
      encoding: { x },
      layer: [
        errorBar("y", color, "pass^k"),
        {
          mark: { type: "line", strokeWidth: 2 },
          encoding: {
            y: { field: "value", type: "quantitative", title: "pass^k", scale: { domain: [0, 1] } },
            ...color,
            // The same legend as the colour (one legend, dashes too: it reads in grey print); a null one conflicts with it in Vega-Lite's merge.
            strokeDash: { field: "cell", type: "nominal", sort: cells.map((c) => labelLines(c.label, 64)), legend: { title: null, labelExpr: LINES } },
          },
        },
        { mark: { type: "point", filled: true, size: 50 }, encoding: { y: { field: "value", type: "quantitative" }, ...color } },
      ],
      config: CONFIG,
    },
  }
}

/** Horizontal estimates with error bars, one row per label; `facet` splits metrics into side-by-side panels. */
const intervalRows = (options: {
  readonly labels: ReadonlyArray<string>
  readonly xTitle: string
  readonly domain?: readonly [number, number]
  readonly zero?: boolean
  readonly colorBy?: string
}) => {
  const color = options.colorBy
    ? { color: { field: options.colorBy, type: "nominal", scale: { range: PALETTE }, legend: { title: options.colorBy } } }
    : { color: { value: PALETTE[0] } }
  // y on the marks, not the view: the zero rule has none, so it spans the plot.
  const y = { y: { field: "label", type: "nominal", sort: options.labels, title: null, axis: { labelLimit: LABEL_LIMIT, labelExpr: LINES } } }
  const layer = [
    ...(options.zero ? [{ mark: { type: "rule", color: "#555555", strokeDash: [4, 3] }, encoding: { x: { datum: 0 } } }] : []),
    errorBar("x", { ...color, ...y }, options.xTitle),
    {
      mark: { type: "point", filled: true, size: 70 },
      encoding: {
        x: { field: "estimate", type: "quantitative", title: options.xTitle, ...(options.domain ? { scale: { domain: options.domain } } : {}) },
        ...y,
        ...color,
      },
    },
  ]
  return {
    // A row is as tall as its label's lines (13 px each) and a gap.
    height: { step: Math.max(30, 13 * Math.max(...options.labels.map((l) => l.split("\n").length)) + 10) },
    width: 300,
    layer,
  }
}

const facetOrSingle = (metrics: ReadonlyArray<string>, inner: ChartSpec, values: ReadonlyArray<Record<string, unknown>>) =>
  metrics.length > 1
    ? {
        data: { values },
        facet: { column: { field: "metric", type: "nominal", sort: metrics, title: null } },
        spec: inner,
        resolve: { scale: { x: "independent" } },
      }
    : { data: { values }, ...inner }

/** pass^1 (and the average reward where it differs) per cell, with error bars, coloured by mode. */
const successChart = (report: Report): Chart | null => {
  // Cells with trials of tasks (not a critical-turn analysis's samples, which have their own chart).
  const cells = report.cells.filter((c) => c.max_k > 0)
  if (cells.length === 0) return null
  const both = !sameAsPass1(cells)
  const metrics = both ? ["pass^1", "average reward"] : ["pass^1"]
  const values = cells.flatMap((c) => {
    const p1 = passHatKInterval(report, c, 1)
    const rows: Array<{ label: string; mode: string; metric: string; estimate: number | null; low: number; high: number }> = [
      { label: labelLines(c.label), mode: c.mode, metric: "pass^1", estimate: c.pass_hat_k[1] ?? null, low: p1.low, high: p1.high },
    ]
    if (both) {
      const r = avgRewardInterval(report, c)
      rows.push({ label: labelLines(c.label), mode: c.mode, metric: "average reward", estimate: c.avg_reward, low: r.low, high: r.high })
    }
    return rows.filter((r) => finite(r.estimate))
  })
  const title = both ? "pass^1 and average reward by run" : "pass^1 by run"
  const note = both ? bootstrapNote(report) : `${bootstrapNote(report)} Every reward is 0 or 1, so the average reward equals pass^1.`
  return {
    id: "success-chart",
    title,
    spec: {
      title: { text: title, subtitle: note },
      ...facetOrSingle(
        metrics,
        intervalRows({ labels: cells.map((c) => labelLines(c.label)), xTitle: metrics.length > 1 ? "" : "pass^1", domain: [0, 1], colorBy: "mode" }),
        values,
      ),
      config: CONFIG,
    },
  }
}

const deltaLabel = (d: Report["deltas"][number]): string =>
  labelLines(`${d.domain} · ${d.agent} · ${d.mode}${d.baseline_user === "none" ? "" : ` (vs ${d.baseline_user})`}`)

/** Each mode against the baseline: Δ pass^1 (and Δ average reward where it differs) with bootstrap intervals, zero marked. */
const deltaChart = (report: Report): Chart | null => {
  if (report.deltas.length === 0) return null
  const both = report.deltas.some(
    (d) => Math.abs(d.avg_reward.delta.estimate - d.pass_hat_1.delta.estimate) > 1e-9 || Math.abs(d.avg_reward.delta.low - d.pass_hat_1.delta.low) > 1e-9,
  )
  const metrics = both ? ["Δ pass^1", "Δ average reward"] : ["Δ pass^1"]
  const values = report.deltas.flatMap((d) => [
    { label: deltaLabel(d), metric: "Δ pass^1", ...d.pass_hat_1.delta },
    ...(both ? [{ label: deltaLabel(d), metric: "Δ average reward", ...d.avg_reward.delta }] : []),
  ])
  const title = `${both ? "Δ pass^1 and Δ average reward" : "Δ pass^1"} vs ${report.baseline_mode}`
  const note = `Paired over common tasks. ${bootstrapNote(report)}${both ? "" : " Every reward is 0 or 1, so Δ average reward equals Δ pass^1."}`
  return {
    id: "delta-chart",
    title,
    spec: {
      title: { text: title, subtitle: note },
      ...facetOrSingle(
        metrics,
        intervalRows({ labels: [...new Set(values.map((v) => v.label))], xTitle: metrics.length > 1 ? "" : "Δ pass^1", zero: true }),
        values,
      ),
      config: CONFIG,
    },
  }
}

/** A counterfactual run: branch − parent reward with its interval, the two averages said beside it. */
const counterfactualChart = (report: Report): Chart | null => {
  const cf = report.counterfactual
  if (!cf || cf.pairs === 0 || !finite(cf.delta.estimate)) return null
  const values = [{ label: `branches − parents (${cf.pairs} pairs)`, ...cf.delta }]
  const fmt = (x: number | null) => (x === null ? "-" : x.toFixed(3))
  return {
    id: "counterfactual-chart",
    title: "Counterfactual: branch − parent reward",
    spec: {
      title: {
        text: "Counterfactual: branch − parent reward",
        subtitle: [`Parents ${fmt(cf.parent_avg_reward)}, branches ${fmt(cf.branch_avg_reward)} average reward.`, bootstrapNote(report)],
      },
      data: { values },
      ...intervalRows({ labels: values.map((v) => v.label), xTitle: "Δ reward", domain: [-1, 1], zero: true }),
      config: CONFIG,
    },
  }
}

/** A critical-turn analysis: the estimated chance of success from each turn with its exact interval, the critical turn marked. */
export const criticalChart = (c: CriticalReport): Chart => {
  const values = c.turns
    .filter((t) => t.estimate !== null)
    .map((t) => ({ turn: t.turn, estimate: t.estimate, low: t.ci_low, high: t.ci_high, who: t.role, message: t.kind, n: t.samples }))
  const turns = c.turns.map((t) => t.turn)
  const level = `${Number((c.confidence * 100).toFixed(6))}%`
  const critical = c.turns.find((t) => t.turn === c.critical_turn)
  const said =
    critical && c.drop !== null
      ? `Critical turn ${critical.turn} (${critical.role} ${critical.kind}): drop ${c.drop.toFixed(2)}, ${level} CI ${(c.drop_ci_low ?? 0).toFixed(2)}..${(c.drop_ci_high ?? 0).toFixed(2)}.`
      : "No turn lowers the estimated chance of success."
  const x = {
    field: "turn",
    type: "quantitative",
    title: "turn (the conversation so far, up to this message)",
    scale: { domain: [Math.min(...turns) - 0.5, Math.max(...turns) + 0.5], nice: false },
    axis: { tickMinStep: 1, format: "d", grid: false },
  }
  const color = {
    color: {
      field: "who",
      type: "nominal",
      title: "message by",
      scale: { domain: ["assistant", "user", "tool"], range: [PALETTE[0], PALETTE[3], PALETTE[8]] },
    },
  }
  return {
    id: "critical-chart",
    title: `Chance of success by turn: ${c.episode_id}`,
    spec: {
      title: {
        text: `Chance of success by turn: ${c.episode_id}`,
        subtitle: [`${c.finished} samples (forks continued from each turn). Error bars: ${level} exact (Clopper–Pearson) intervals.`, said],
      },
      width: Math.min(760, Math.max(360, 22 * turns.length)),
      height: 260,
      data: { values },
      encoding: { x },
      layer: [
        ...(critical
          ? [
              {
                data: { values: [{ turn: critical.turn }] },
                mark: { type: "rule", color: "#d62728", strokeDash: [5, 3], strokeWidth: 1.5 },
                encoding: { x: { field: "turn", type: "quantitative" } },
              },
              {
                data: { values: [{ turn: critical.turn, label: `critical turn ${critical.turn}` }] },
                mark: { type: "text", color: "#d62728", align: "left", dx: 4, dy: -6, fontSize: 11, fontWeight: "bold" },
                encoding: { x: { field: "turn", type: "quantitative" }, y: { datum: 1 }, text: { field: "label" } },
              },
            ]
          : []),
        errorBar("y", color, "estimated chance of success"),
        { mark: { type: "line", color: "#888888", strokeWidth: 1 }, encoding: { y: { field: "estimate", type: "quantitative" } } },
        {
          mark: { type: "point", filled: true, size: 55 },
          encoding: {
            y: { field: "estimate", type: "quantitative", title: "estimated chance of success", scale: { domain: [0, 1] } },
            ...color,
            shape: { field: "who", type: "nominal", title: "message by", scale: { domain: ["assistant", "user", "tool"] } },
          },
        },
      ],
      config: CONFIG,
    },
  }
}

/** Every chart of the report's top section, in order. */
export const reportChartSpecs = (report: Report): Chart[] =>
  [passHatKChart(report), successChart(report), deltaChart(report), counterfactualChart(report), ...(report.critical ?? []).map(criticalChart)].filter(
    (c): c is Chart => c !== null,
  )
