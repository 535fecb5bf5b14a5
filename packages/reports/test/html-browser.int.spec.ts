/**
 * The HTML report in headless Chromium: it loads without any network request, every chart renders
 * its data (counted as coloured pixels in a screenshot of each chart: axes, grid and text are
 * grey, the data marks use the palette), and the charts are what a paper can show: no label
 * overlaps another or leaves its chart, every estimate has its interval as an error bar (the
 * bootstrap over tasks), and no two charts repeat the same numbers.
 *
 * Screenshots are written to TAU_REPORT_SHOTS (a folder) when it is set, to be looked at.
 *
 * Needs Debian's `chromium` (/usr/bin/chromium). When it is missing and we are root, the test
 * installs it with apt-get (as CI on a fresh machine must); it is skipped, saying why, only when
 * that is impossible, and never under CI=true (`headlessChromium` in browser.ts).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Page } from "playwright-core"
import { afterAll, describe, expect, it } from "vitest"
import { bootstrapMean, type CriticalReport, DEFAULT_BOOTSTRAP, loadReport, type Report, renderHtml } from "../src/index.ts"
import { countPixels, headlessChromium } from "./browser.ts"
import { type HandEpisode, type HandRun, withHandStore } from "./fixtures.ts"

const episodes = (task: string, rewards: ReadonlyArray<number>, reason: NonNullable<HandEpisode["reason"]>): HandEpisode[] =>
  rewards.map((reward, trial) => ({ task, trial, reward, reason, breakdown: { reward_breakdown: { DB: reward } } }))

const cell = (runId: string, mode: HandRun["mode"], user: string, index: number, t1: number[], t2: number[]): HandRun => ({
  runId,
  domain: "mock",
  mode,
  agent: "oracle",
  user,
  trials: 3,
  taskIds: ["t1", "t2"],
  experiment: "browser",
  cellIndex: index,
  episodes: [...episodes("t1", t1, "user_stop"), ...episodes("t2", t2, "user_stop")],
})

const RUNS = [cell("browser.default", "default", "scripted", 0, [1, 1, 0], [1, 0, 0]), cell("browser.solo", "no-user", "none", 1, [1, 1, 1], [0, 1, 0])]

/** Telecom's task ids and a model agent's spec: the labels that made the old charts overlap and cut off. */
const TELECOM_TASKS = [
  "[mobile_data_issue]airplane_mode_on|data_mode_off|user_abroad_roaming_disabled_on[PERSONA:Hard]",
  "[service_issue]break_apn_settings|lock_sim_card_pin[PERSONA:None]",
  "[mms_issue]bad_network_preference|bad_wifi_calling|break_app_sms_permission[PERSONA:Easy]",
]
const MODEL = "compat:gpt-4.1-mini-2025-04-14@http://127.0.0.1:8000/v1"
const telecom = (runId: string, mode: HandRun["mode"], user: string, index: number, rewards: number[][]): HandRun => ({
  runId,
  domain: "telecom",
  mode,
  agent: MODEL,
  user,
  trials: 4,
  taskIds: TELECOM_TASKS,
  experiment: "paper",
  cellIndex: index,
  episodes: TELECOM_TASKS.flatMap((t, i) => episodes(t, rewards[i], "user_stop")),
})
const PAPER = [
  telecom("paper.telecom.default.gpt-4.1-mini.scripted.a1b2c3", "default", `${MODEL}`, 0, [
    [1, 1, 0, 1],
    [1, 0, 0, 1],
    [1, 1, 1, 1],
  ]),
  telecom("paper.telecom.no-user.gpt-4.1-mini.none.d4e5f6", "no-user", "none", 1, [
    [1, 1, 1, 0],
    [0, 1, 0, 0],
    [1, 0, 1, 1],
  ]),
  telecom("paper.telecom.oracle-plan.gpt-4.1-mini.scripted.a7b8c9", "oracle-plan", `${MODEL}`, 2, [
    [1, 1, 1, 1],
    [1, 1, 0, 1],
    [1, 1, 1, 1],
  ]),
]
/** The same cells, the baseline with partial rewards: its average reward is not its pass^1, nor the Δs the same, so both are shown. */
const PARTIAL = PAPER.map((r, n) => ({
  ...r,
  experiment: "partial",
  episodes: r.episodes.map((e, i) => ({ ...e, reward: n === 0 && i % 3 === 0 ? 0.5 : e.reward })),
}))

/** A critical-turn analysis as the report model has it: 26 turns, lost at turn 15. */
const CRITICAL: CriticalReport = {
  run_id: "ep_6c2ecdc57aa4~critical-3f2a1b0c",
  episode_id: "ep_6c2ecdc57aa4",
  task_id: TELECOM_TASKS[0],
  agent: "noisy-oracle:0.3",
  user: "scripted",
  reward: 0,
  samples_per_turn: 20,
  confidence: 0.95,
  planned: 520,
  finished: 520,
  cost: { known: 0, unpriced: 0 },
  budget_usd: null,
  stopped_by: null,
  turns: Array.from({ length: 26 }, (_, i) => {
    const successes = i < 14 ? 10 + Math.floor(i / 5) : 0
    return {
      turn: i + 2,
      role: ["user", "assistant", "tool"][i % 3],
      kind: ["text", "call pay_fine", "tool pay_fine"][i % 3],
      samples: 20,
      successes,
      errored: 0,
      estimate: successes / 20,
      ci_low: Math.max(0, successes / 20 - 0.22),
      ci_high: Math.min(1, successes / 20 + 0.2),
    }
  }),
  critical_turn: 15,
  drop: 0.6,
  drop_ci_low: 0.35,
  drop_ci_high: 0.8,
}

const SHOTS = process.env.TAU_REPORT_SHOTS

interface TextBox {
  readonly text: string
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

interface ChartTexts {
  readonly cls: string
  readonly title: string
  readonly box: TextBox
  readonly texts: ReadonlyArray<TextBox>
  readonly points: number
  readonly errorBars: ReadonlyArray<string>
}

/** Runs in the page (DOM code, kept as text): every text of each chart with its box on the page, and the chart's box. */
const CHART_TEXTS = `() => [...document.querySelectorAll("svg.chart")].map((svg) => {
  const box = (r) => ({ x: r.x, y: r.y, width: r.width, height: r.height })
  return {
    cls: svg.getAttribute("class") ?? "",
    title: svg.getAttribute("aria-label") ?? "",
    box: { text: "", ...box(svg.getBoundingClientRect()) },
    texts: [...svg.querySelectorAll("text")]
      .filter((t) => (t.textContent ?? "").trim() !== "")
      .map((t) => ({ text: t.textContent ?? "", ...box(t.getBoundingClientRect()) })),
    points: svg.querySelectorAll('[aria-roledescription="point"]').length,
    errorBars: [...svg.querySelectorAll('[aria-roledescription="errorbar"]')].map((e) => e.getAttribute("aria-label") ?? ""),
  }
})`

const chartTexts = async (page: Page): Promise<ChartTexts[]> => (await page.evaluate(`(${CHART_TEXTS})()`)) as ChartTexts[]

const overlap = (a: TextBox, b: TextBox): number =>
  Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y))

/** Opens `html` in a fresh page (no request may leave it) and returns the page. */
const open = async (chromium: ReturnType<typeof headlessChromium>, dir: string, name: string, html: string) => {
  const file = path.join(dir, `${name}.html`)
  fs.writeFileSync(file, html)
  const page = await chromium.browser().newPage({ viewport: { width: 1400, height: 1000 } })
  const requests: string[] = []
  page.on("request", (r) => {
    if (!r.url().startsWith("file://")) requests.push(r.url())
  })
  await page.goto(`file://${file}`)
  expect(requests).toEqual([])
  if (SHOTS) {
    fs.mkdirSync(SHOTS, { recursive: true })
    fs.copyFileSync(file, path.join(SHOTS, `${name}.html`))
    await page.screenshot({ path: path.join(SHOTS, `${name}-page.png`), fullPage: true })
    const charts = page.locator("svg.chart")
    for (let i = 0; i < (await charts.count()); i++) await charts.nth(i).screenshot({ path: path.join(SHOTS, `${name}-chart${i}.png`) })
  }
  return page
}

describe("HTML report in headless Chromium", () => {
  const chromium = headlessChromium()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-report-html-"))

  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("loads offline and renders every chart", async (ctx) => {
    chromium.need(ctx)
    const report = await withHandStore(RUNS, loadReport({ experiment: "browser" }))
    const html = await renderHtml(report)
    // Self-contained: no scripts, no linked resources (the only URL is the SVG namespace).
    expect(html).not.toMatch(/<script|<link|<img|src=|href=/i)
    expect(html.replaceAll("http://www.w3.org/2000/svg", "")).not.toMatch(/https?:\/\//)
    const page = await open(chromium, dir, "browser", html)
    const charts = page.locator("svg.chart")
    // pass^k curves, pass^1 by run (= the average reward: every reward is 0 or 1), Δ pass^1.
    expect(await charts.count()).toBe(3)
    const shots: Buffer[] = []
    for (let i = 0; i < 3; i++) shots.push(await charts.nth(i).screenshot())

    // Decode each screenshot in the browser itself (no PNG library needed) and count pixels.
    const counts = await countPixels(page, shots)
    for (const c of counts) {
      expect(c.width).toBeGreaterThan(300)
      expect(c.height).toBeGreaterThan(100)
      expect(c.nonWhite).toBeGreaterThan(2000)
    }
    // Data marks: two pass^k lines with their error bars, two estimates with error bars, one delta with its own.
    expect(counts[0].coloured).toBeGreaterThan(800)
    expect(counts[1].coloured).toBeGreaterThan(300)
    expect(counts[2].coloured).toBeGreaterThan(150)
    await page.close()
  }, 120_000)

  it("charts a paper can show: labels that neither overlap nor leave the chart, error bars on every estimate, no chart twice", async (ctx) => {
    chromium.need(ctx)
    const paper = await withHandStore(PAPER, loadReport({ experiment: "paper" }))
    const report: Report = { ...paper, critical: [CRITICAL] }
    const page = await open(chromium, dir, "paper", await renderHtml(report))
    const charts = await chartTexts(page)
    // Every reward is 0 or 1: pass^1 is the average reward, and Δ pass^1 the Δ average reward, so each is charted once.
    expect(charts.map((c) => c.title)).toEqual(["pass^k by k", "pass^1 by run", "Δ pass^1 vs default", `Chance of success by turn: ${CRITICAL.episode_id}`])
    for (const chart of charts) {
      // Inside the chart (half a pixel of anti-aliasing allowed) and clear of every other text.
      for (const t of chart.texts) {
        expect(t.x, `${chart.title}: "${t.text}" leaves the chart on the left`).toBeGreaterThanOrEqual(chart.box.x - 0.5)
        expect(t.x + t.width, `${chart.title}: "${t.text}" leaves the chart on the right`).toBeLessThanOrEqual(chart.box.x + chart.box.width + 0.5)
        expect(t.y + t.height, `${chart.title}: "${t.text}" leaves the chart at the bottom`).toBeLessThanOrEqual(chart.box.y + chart.box.height + 0.5)
        expect(t.text, `${chart.title}: a label cut short`).not.toContain("…")
      }
      for (const [i, a] of chart.texts.entries())
        for (const b of chart.texts.slice(i + 1)) expect(overlap(a, b), `${chart.title}: "${a.text}" overlaps "${b.text}"`).toBeLessThan(1)
      expect(chart.errorBars.length, `${chart.title}: an error bar per estimate`).toBe(chart.points)
      expect(chart.points).toBeGreaterThan(0)
    }
    // The pass^1 bars are the bootstrap over tasks of the per-task pass^1 (3 tasks of 4 trials each).
    const perTask = paper.cells.map((c) => c.tasks.map((t) => t.pass_hat_k[1]))
    const bars = charts[1].errorBars.map((label) => ({
      low: Number(/(?:^|; )low: ([\d.]+)/.exec(label)?.[1]),
      high: Number(/(?:^|; )high: ([\d.]+)/.exec(label)?.[1]),
    }))
    expect(bars).toEqual(
      perTask.map((values) => {
        const ci = bootstrapMean(values, DEFAULT_BOOTSTRAP)
        return { low: expect.closeTo(ci.low, 9), high: expect.closeTo(ci.high, 9) }
      }),
    )
    // The critical turn is marked on its chart.
    expect(charts[3].texts.map((t) => t.text)).toContain("critical turn 15")
    await page.close()
  }, 120_000)

  it("shows the average reward beside pass^1 only where they differ", async (ctx) => {
    chromium.need(ctx)
    const report = await withHandStore(PARTIAL, loadReport({ experiment: "partial" }))
    const page = await open(chromium, dir, "partial", await renderHtml(report))
    const charts = await chartTexts(page)
    expect(charts.map((c) => c.title)).toEqual(["pass^k by k", "pass^1 and average reward by run", "Δ pass^1 and Δ average reward vs default"])
    const texts = charts[1].texts.map((t) => t.text)
    expect(texts).toContain("pass^1")
    expect(texts).toContain("average reward")
    for (const chart of charts)
      for (const [i, a] of chart.texts.entries())
        for (const b of chart.texts.slice(i + 1)) expect(overlap(a, b), `${chart.title}: "${a.text}" overlaps "${b.text}"`).toBeLessThan(1)
    await page.close()
  }, 120_000)
})
