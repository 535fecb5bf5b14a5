/**
 * The HTML report in headless Chromium: it loads without any network request and every chart
 * renders its data (counted as coloured pixels in a screenshot of each chart: axes, grid and text
 * are grey, the data marks use the palette).
 *
 * Needs Debian's `chromium` (/usr/bin/chromium). When it is missing and we are root, the test
 * installs it with apt-get (as CI on a fresh machine must); it is skipped, saying why, only when
 * that is impossible, and never under CI=true (`headlessChromium` in browser.ts).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { loadReport, renderHtml } from "../src/index.ts"
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

describe("HTML report in headless Chromium", () => {
  const chromium = headlessChromium()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-report-html-"))

  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("loads offline and renders every chart", async (ctx) => {
    chromium.need(ctx)
    const report = await withHandStore(RUNS, loadReport({ experiment: "browser" }))
    const html = renderHtml(report)
    // Self-contained: no scripts, no linked resources (the only URL is the SVG namespace).
    expect(html).not.toMatch(/<script|<link|<img|src=|href=/i)
    expect(html.replaceAll("http://www.w3.org/2000/svg", "")).not.toMatch(/https?:\/\//)
    const file = path.join(dir, "report.html")
    fs.writeFileSync(file, html)

    const page = await chromium.browser().newPage({ viewport: { width: 1400, height: 1000 } })
    const requests: string[] = []
    page.on("request", (r) => {
      if (!r.url().startsWith("file://")) requests.push(r.url())
    })
    await page.goto(`file://${file}`)
    expect(requests).toEqual([])
    const charts = page.locator("svg.chart")
    // pass^k curves, average reward by mode, pass^1 by mode, the delta intervals.
    expect(await charts.count()).toBe(4)
    const shots: Buffer[] = []
    for (let i = 0; i < 4; i++) shots.push(await charts.nth(i).screenshot())
    fs.writeFileSync(path.join(dir, "chart0.png"), shots[0])

    // Decode each screenshot in the browser itself (no PNG library needed) and count pixels.
    const counts = await countPixels(page, shots)
    for (const c of counts) {
      expect(c.width).toBeGreaterThan(300)
      expect(c.height).toBeGreaterThan(100)
      expect(c.nonWhite).toBeGreaterThan(2000)
    }
    // Data marks: two pass^k lines, two bars per group (default 0.5 and no-user 0.667 avg reward), interval bars.
    expect(counts[0].coloured).toBeGreaterThan(800)
    expect(counts[1].coloured).toBeGreaterThan(5000)
    expect(counts[2].coloured).toBeGreaterThan(5000)
    expect(counts[3].coloured).toBeGreaterThan(300)
    await page.close()
  }, 120_000)
})
