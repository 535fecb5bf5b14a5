/**
 * Report formats: plain-text tables (terminal), Markdown, JSON (the report model itself) and a
 * self-contained HTML page with static SVG charts (no scripts, no external assets), whose tables
 * link to the viewer's pages when a viewer URL is given.
 */
import { Result, Schema } from "effect"
import type { Report } from "./build.ts"
import { type ColumnKind, deskCells, fmtRate, fmtRatio, fmtSpread, fmt, reportHeading, reportSections, type Section } from "./sections.ts"
import { shownComponents } from "./support-desk.ts"
import { escapeXml, rateChart } from "./svg.ts"
import { textTable, wrapCell } from "./text-table.ts"

export const REPORT_FORMATS = ["table", "md", "json", "html"] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export interface RenderOptions {
  /** Text tables fit this many columns: long ids wrap in their column (absent: tables are as wide as their cells). */
  readonly width?: number | undefined
  /** HTML: link run, episode and task ids to the viewer (`tau view`) at this URL; its token is never kept (`viewerBase`). */
  readonly viewerUrl?: string | undefined
}

export const renderText = (report: Report, options: RenderOptions = {}): string =>
  `${[
    fitLine(reportHeading(report), options.width),
    ...reportSections(report).map(
      (s) => `\n${s.title}${s.note ? `\n${fitLine(`(${s.note})`, options.width)}` : ""}\n${textTable(s.headers, s.rows, options.width)}`,
    ),
  ].join("\n")}\n`

/** A note in lines that fit `width` (broken at spaces; no width: one line). */
const fitLine = (text: string, width: number | undefined): string => (width === undefined ? text : wrapCell(text, width).join("\n"))

const mdCell = (c: string): string => c.replaceAll("|", "\\|")

const markdownTable = (s: Section): string =>
  [`| ${s.headers.map(mdCell).join(" | ")} |`, `|${s.headers.map(() => "---").join("|")}|`, ...s.rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`)].join("\n")

export const renderMarkdown = (report: Report): string =>
  [`# ${reportHeading(report)}`, ...reportSections(report).map((s) => `## ${s.title}\n\n${s.note ? `${s.note}\n\n` : ""}${markdownTable(s)}`)].join("\n\n") +
  "\n"

/** The report model as JSON (NaN, e.g. an interval over no tasks, becomes null). */
export const renderJson = (report: Report): string => `${JSON.stringify(report, null, 2)}\n`

/** A viewer URL given to the report cannot be used. */
export class ViewerUrlError extends Schema.TaggedError<ViewerUrlError>()("ViewerUrlError", { url: Schema.String, message: Schema.String }) {}

/**
 * The viewer's base URL as the report may keep it: http(s), origin and path only. The query and
 * fragment (where `tau view` puts its `?token=`) and any user-info are dropped, so a report that is
 * shared never carries the token; the viewer's page asks for it (its cookie) when opened.
 */
export const viewerBase = (url: string): Result.Result<string, ViewerUrlError> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Result.fail(new ViewerUrlError({ url, message: `${JSON.stringify(url)} is not a URL (give the one tau view printed, e.g. http://127.0.0.1:8420/)` }))
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    return Result.fail(new ViewerUrlError({ url, message: `the viewer's URL must be http(s), not ${parsed.protocol}` }))
  return Result.succeed(`${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, "")}`)
}

const enc = encodeURIComponent

/** The viewer page of one cell's value, or null (not linked). `run`: the row's run id, for a task. */
const viewerHref = (base: string, kind: Exclude<ColumnKind, "episodes">, value: string, run: string | undefined): string | null => {
  if (value === "" || value === "-") return null
  if (kind === "run") return `${base}/runs/${enc(value)}`
  if (kind === "episode") return `${base}/episodes/${enc(value)}`
  if (kind === "task") return run === undefined ? `${base}/episodes?task=${enc(value)}` : `${base}/runs/${enc(run)}?task=${enc(value)}`
  const turn = Number.parseInt(value, 10)
  return Number.isSafeInteger(turn) ? `${base}/episodes/${enc(kind.turnOf)}?turn=${turn}` : null
}

const link = (href: string | null, text: string): string => (href === null ? escapeXml(text) : `<a href="${escapeXml(href)}">${escapeXml(text)}</a>`)

/** One cell of an HTML table: escaped text, linked to the viewer where its column says what it is. */
const htmlCell = (s: Section, row: ReadonlyArray<string>, i: number, base: string | null): string => {
  const value = row[i] ?? ""
  const kind = s.kinds?.[i] ?? null
  if (base === null || kind === null) return escapeXml(value)
  if (kind === "episodes")
    return value === "-"
      ? "-"
      : value
          .split(" ")
          .map((id) => link(viewerHref(base, "episode", id, undefined), id))
          .join(" ")
  const runColumn = s.kinds?.indexOf("run") ?? -1
  return link(viewerHref(base, kind, value, runColumn >= 0 ? row[runColumn] : undefined), value)
}

const htmlTable = (s: Section, base: string | null): string =>
  `<table><thead><tr>${s.headers.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr></thead><tbody>${s.rows
    .map((r) => `<tr>${r.map((_, i) => `<td>${htmlCell(s, r, i, base)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`

const STYLE = `
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
th { background: #f3f3f3; }
.note { color: #555; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.chart { border: 1px solid #e3e3e3; max-width: 100%; height: auto; }
td { max-width: 28em; overflow-wrap: anywhere; vertical-align: top; }
a { color: #1f5fa8; }
.deep-cell { border-top: 1px solid #ddd; margin-top: 16px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
code { font-size: 12px; }
`

/** The page; its charts are rendered by vega, loaded here only (the CLI's other commands never load it). */
export const renderHtml = async (report: Report, options: RenderOptions = {}): Promise<string> => {
  const title = reportHeading(report)
  const { renderReportCharts } = await import("./charts.ts")
  const charts = await renderReportCharts(report)
  const base = options.viewerUrl === undefined ? null : Result.getOrNull(viewerBase(options.viewerUrl))
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeXml(title)}</h1>`,
    base === null
      ? ""
      : `<p class="note">Run, episode and task ids link to the viewer at <a href="${escapeXml(base)}/">${escapeXml(base)}</a> (open the URL tau view printed once, for its token).</p>`,
    charts.length ? `<section id="charts" class="charts">${charts.join("\n")}</section>` : "",
    ...reportSections(report).map((s) =>
      // The support-desk tables are the deep report's; it takes the place of the first.
      s.id === "support-desk"
        ? deepReport(report, s, base)
        : s.id.startsWith("support-desk-")
          ? ""
          : `<section id="${escapeXml(s.id)}"><h2>${escapeXml(s.title)}</h2>${s.note ? `<p class="note">${escapeXml(s.note)}</p>` : ""}${htmlTable(s, base)}</section>`,
    ),
    "</body></html>",
    "",
  ].join("\n")
}

/** Episode ids as code, linked to the viewer when there is one. */
const codes = (ids: ReadonlyArray<string>, base: string | null): string =>
  ids.length === 0 ? "-" : ids.map((id) => `<code>${base === null ? escapeXml(id) : link(viewerHref(base, "episode", id, undefined), id)}</code>`).join(" ")

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
const deepReport = (report: Report, overview: Section, base: string | null): string => {
  const ids = (xs: ReadonlyArray<string>) => codes(xs, base)
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
        ids(r.below_one),
        ids(r.episodes),
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
          ...Object.values(e.outcome_episodes).map(ids),
        ],
      ],
    )
    const tasks = rawTable(
      ["task", "trials", ...shown.map((c) => `${c} median [min, max]`), "episodes"],
      desk.tasks.map((t) => [escapeXml(t.task_id), String(t.trials), ...shown.map((c) => escapeXml(fmtSpread(t.components[c]))), ids(t.episodes)]),
    )
    const missing = [
      desk.not_scored.length > 0 ? `<p class="note">Not scored with support-desk: ${ids(desk.not_scored)}</p>` : "",
      ...desk.failed.map((f) => `<p class="note">Evaluator error on <code>${escapeXml(f.episode_id)}</code>: ${escapeXml(f.error)}</p>`),
    ].join("")
    return `<article class="deep-cell" id="deep-${escapeXml(cell.run_id)}"><h3>${escapeXml(cell.label)}</h3><p class="note">run <code>${escapeXml(cell.run_id)}</code>, ${desk.episodes.length} episodes with a verdict</p>${rates}${escalation}${tasks}${missing}</article>`
  })
  return `<section id="deep-report" class="deep-report"><h2>Deep report: support-desk</h2>${overview.note ? `<p class="note">${escapeXml(overview.note)}</p>` : ""}${chart}${perCell.join("\n")}</section>`
}

export const renderReport = async (report: Report, format: ReportFormat, options: RenderOptions = {}): Promise<string> => {
  switch (format) {
    case "table":
      return renderText(report, options)
    case "md":
      return renderMarkdown(report)
    case "json":
      return renderJson(report)
    case "html":
      return renderHtml(report, options)
  }
}
