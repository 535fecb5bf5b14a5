/**
 * Report formats: plain-text tables (terminal), Markdown, JSON (the report model itself) and a
 * self-contained HTML page with inline SVG charts (no scripts, no external assets).
 */
import type { Report } from "./build.ts"
import { deskCells, fmtRate, fmtRatio, fmtSpread, fmt, reportHeading, reportSections, type Section } from "./sections.ts"
import { shownComponents } from "./support-desk.ts"
import { barChart, type BarGroup, escapeXml, intervalChart, lineChart, PALETTE, rateChart } from "./svg.ts"

export const REPORT_FORMATS = ["table", "md", "json", "html"] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

const textTable = (s: Section): string => {
  const widths = s.headers.map((h, i) => Math.max(h.length, ...s.rows.map((r) => (r[i] ?? "").length)))
  const line = (r: ReadonlyArray<string>) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd()
  return [line(s.headers), line(widths.map((w) => "-".repeat(w))), ...s.rows.map(line)].join("\n")
}

export const renderText = (report: Report): string =>
  `${[reportHeading(report), ...reportSections(report).map((s) => `\n${s.title}${s.note ? `\n(${s.note})` : ""}\n${textTable(s)}`)].join("\n")}\n`

const mdCell = (c: string): string => c.replaceAll("|", "\\|")

const markdownTable = (s: Section): string =>
  [`| ${s.headers.map(mdCell).join(" | ")} |`, `|${s.headers.map(() => "---").join("|")}|`, ...s.rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`)].join("\n")

export const renderMarkdown = (report: Report): string =>
  [`# ${reportHeading(report)}`, ...reportSections(report).map((s) => `## ${s.title}\n\n${s.note ? `${s.note}\n\n` : ""}${markdownTable(s)}`)].join("\n\n") +
  "\n"

/** The report model as JSON (NaN, e.g. an interval over no tasks, becomes null). */
export const renderJson = (report: Report): string => `${JSON.stringify(report, null, 2)}\n`

const htmlTable = (s: Section): string =>
  `<table><thead><tr>${s.headers.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr></thead><tbody>${s.rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`

/** The charts of a report: pass^k curves, per-mode bars, delta intervals. */
export const reportCharts = (report: Report): string[] => {
  const charts: string[] = []
  const withK = report.cells.filter((c) => c.max_k > 0)
  if (withK.length > 0) {
    charts.push(
      lineChart(
        "pass^k vs k",
        "k",
        "pass^k",
        withK.map((c, i) => ({
          label: c.label,
          color: PALETTE[i % PALETTE.length],
          values: Array.from({ length: c.max_k }, (_, j) => c.pass_hat_k[j + 1]),
        })),
      ),
    )
  }
  const modes = [...new Set(report.cells.map((c) => c.mode))]
  if (report.cells.length > 0) {
    charts.push(
      barChart(
        "Average reward by mode",
        "avg reward",
        barGroups(report, (c) => c.avg_reward),
        modes,
      ),
    )
    charts.push(
      barChart(
        "pass^1 by mode",
        "pass^1",
        barGroups(report, (c) => c.pass_hat_k[1] ?? null),
        modes,
      ),
    )
  }
  if (report.deltas.length > 0) {
    charts.push(
      intervalChart(
        `Δ average reward vs ${report.baseline_mode} (${Math.round(report.bootstrap.confidence * 100)}% bootstrap CI)`,
        "Δ avg reward",
        report.deltas.map((d) => ({
          label: `${d.domain} · ${d.agent} · ${d.mode}${d.baseline_user === "none" ? "" : ` (vs ${d.baseline_user})`}`,
          ...d.avg_reward.delta,
        })),
      ),
    )
  }
  if (report.counterfactual && report.counterfactual.pairs > 0) {
    const cf = report.counterfactual
    charts.push(
      barChart(
        "Counterfactual: parents vs branches",
        "avg reward",
        [
          {
            label: "avg reward",
            bars: [
              { key: "parents", value: cf.parent_avg_reward },
              { key: "branches", value: cf.branch_avg_reward },
            ],
          },
        ],
        ["parents", "branches"],
      ),
    )
  }
  return charts
}

type Cell = Report["cells"][number]

/**
 * One bar group per domain, agent and user, one bar per mode. Solo cells have no user: their bar
 * joins every group of the same domain and agent.
 */
const barGroups = (report: Report, value: (c: Cell) => number | null): BarGroup[] => {
  const groups = new Map<string, { label: string; bars: Array<{ key: string; value: number | null }> }>()
  const base = (c: Cell) => `${c.domain} · ${c.agent}`
  const users = new Set(report.cells.filter((c) => c.user !== "none").map((c) => c.user))
  for (const c of report.cells.filter((c) => c.user !== "none")) {
    const key = `${base(c)}\u0000${c.user}`
    const g = groups.get(key) ?? { label: users.size > 1 ? `${base(c)} / ${c.user}` : base(c), bars: [] }
    g.bars.push({ key: c.mode, value: value(c) })
    groups.set(key, g)
  }
  for (const c of report.cells.filter((c) => c.user === "none")) {
    const targets = [...groups.entries()].filter(([k]) => k.startsWith(`${base(c)}\u0000`))
    if (targets.length === 0) groups.set(`${base(c)}\u0000none`, { label: base(c), bars: [{ key: c.mode, value: value(c) }] })
    for (const [, g] of targets) g.bars.push({ key: c.mode, value: value(c) })
  }
  return [...groups.values()]
}

const STYLE = `
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
th { background: #f3f3f3; }
.note { color: #555; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart { border: 1px solid #e3e3e3; }
.deep-cell { border-top: 1px solid #ddd; margin-top: 16px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
code { font-size: 12px; }
`

export const renderHtml = (report: Report): string => {
  const title = reportHeading(report)
  const charts = reportCharts(report)
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeXml(title)}</h1>`,
    charts.length ? `<section id="charts" class="charts">${charts.join("\n")}</section>` : "",
    ...reportSections(report).map((s) =>
      // The support-desk tables are the deep report's; it takes the place of the first.
      s.id === "support-desk"
        ? deepReport(report, s)
        : s.id.startsWith("support-desk-")
          ? ""
          : `<section id="${s.id}"><h2>${escapeXml(s.title)}</h2>${s.note ? `<p class="note">${escapeXml(s.note)}</p>` : ""}${htmlTable(s)}</section>`,
    ),
    "</body></html>",
    "",
  ].join("\n")
}

const codes = (ids: ReadonlyArray<string>): string => (ids.length === 0 ? "-" : ids.map((id) => `<code>${escapeXml(id)}</code>`).join(" "))

/** A table whose cells are HTML already (escaped by the caller). */
const rawTable = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  `<table><thead><tr>${headers.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`

/**
 * The HTML deep report of the support-desk verdicts: a chart of every cell's component rates with
 * their intervals, then per cell (agent) the rates, escalation, median and spread per task, and
 * the episodes behind each number.
 */
const deepReport = (report: Report, overview: Section): string => {
  const cells = deskCells(report)
  const shown = shownComponents(cells.map((c) => c.desk))
  const keys = ["reward", ...shown]
  const conf = Math.round(report.bootstrap.confidence * 100)
  const chart = rateChart(
    `Support-desk rates by agent (${conf}% bootstrap CI)`,
    "rate (1 = the wanted behaviour)",
    cells.map(({ cell, desk }) => ({
      label: cell.label,
      rows: keys.map((k) => {
        const r = k === "reward" ? desk.reward : desk.components[k as (typeof shown)[number]]
        return { key: k, ...r.mean, n: r.episodes.length }
      }),
    })),
    keys,
  )
  const perCell = cells.map(({ cell, desk }) => {
    const e = desk.escalation
    const rates = rawTable(
      ["number", `mean [${conf}% CI] n`, "below 1", "episodes"],
      [["reward", desk.reward] as const, ...shown.map((c) => [c, desk.components[c]] as const)].map(([name, r]) => [
        escapeXml(name),
        escapeXml(fmtRate(r)),
        codes(r.below_one),
        codes(r.episodes),
      ]),
    )
    const escalation = rawTable(
      ["escalation accuracy", "over-escalation", `over-escalation [${conf}% CI]`, "hand-over rate", ...Object.keys(e.outcome_episodes)],
      [
        [
          escapeXml(fmtRatio(e.accuracy, e.outcomes.handed_over + e.outcomes.not_needed, e.episodes)),
          escapeXml(fmtRatio(e.over_escalation_rate, e.outcomes.over_escalated, e.not_needed)),
          escapeXml(e.not_needed === 0 ? "-" : `${fmt(e.over_escalation.estimate)} [${fmt(e.over_escalation.low)}, ${fmt(e.over_escalation.high)}]`),
          escapeXml(fmtRatio(e.handover_rate, e.outcomes.handed_over, e.needed)),
          ...Object.values(e.outcome_episodes).map(codes),
        ],
      ],
    )
    const tasks = rawTable(
      ["task", "trials", ...shown.map((c) => `${c} median [min, max]`), "episodes"],
      desk.tasks.map((t) => [escapeXml(t.task_id), String(t.trials), ...shown.map((c) => escapeXml(fmtSpread(t.components[c]))), codes(t.episodes)]),
    )
    const missing = [
      desk.not_scored.length > 0 ? `<p class="note">Not scored with support-desk: ${codes(desk.not_scored)}</p>` : "",
      ...desk.failed.map((f) => `<p class="note">Evaluator error on <code>${escapeXml(f.episode_id)}</code>: ${escapeXml(f.error)}</p>`),
    ].join("")
    return `<article class="deep-cell" id="deep-${escapeXml(cell.run_id)}"><h3>${escapeXml(cell.label)}</h3><p class="note">run <code>${escapeXml(cell.run_id)}</code>, ${desk.episodes.length} episodes with a verdict</p>${rates}${escalation}${tasks}${missing}</article>`
  })
  return `<section id="deep-report" class="deep-report"><h2>Deep report: support-desk</h2>${overview.note ? `<p class="note">${escapeXml(overview.note)}</p>` : ""}${chart}${perCell.join("\n")}</section>`
}

export const renderReport = (report: Report, format: ReportFormat): string => {
  switch (format) {
    case "table":
      return renderText(report)
    case "md":
      return renderMarkdown(report)
    case "json":
      return renderJson(report)
    case "html":
      return renderHtml(report)
  }
}
