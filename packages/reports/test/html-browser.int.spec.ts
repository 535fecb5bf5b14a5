/**
 * The HTML report in headless Chromium: it loads without any network request and every chart
 * renders its data (counted as coloured pixels in a screenshot of each chart: axes, grid and text
 * are grey, the data marks use the palette).
 *
 * Needs Debian's `chromium` (/usr/bin/chromium). When it is missing and we are root, the test
 * installs it with apt-get (as CI on a fresh machine must); it is skipped, saying why, only when
 * that is impossible.
 */
import { execSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type Browser, chromium } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadReport, renderHtml } from "../src/index.ts"
import { type HandEpisode, type HandRun, withHandStore } from "./fixtures.ts"

const CHROMIUM = process.env.TAU_CHROMIUM ?? "/usr/bin/chromium"
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

/** Installs Debian's chromium when missing; returns why it cannot be used, or null. */
const ensureChromium = (): string | null => {
  if (fs.existsSync(CHROMIUM)) return null
  if (process.getuid?.() !== 0) return `${CHROMIUM} is missing and installing it needs root (apt-get install -y chromium)`
  try {
    execSync("command -v apt-get", { stdio: "ignore" })
  } catch {
    return `${CHROMIUM} is missing and there is no apt-get to install it`
  }
  try {
    execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium", { stdio: "ignore", timeout: 600_000 })
  } catch (e) {
    return `apt-get install -y chromium failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`
  }
  return fs.existsSync(CHROMIUM) ? null : `apt-get installed chromium but ${CHROMIUM} does not exist`
}

interface PixelCounts {
  readonly width: number
  readonly height: number
  readonly nonWhite: number
  readonly coloured: number
}

/** Runs in the page (DOM code, kept as text): decodes PNGs through a canvas and counts pixels. */
const COUNT_PIXELS = `async (pngs) => {
  const out = []
  for (const b64 of pngs) {
    const img = new Image()
    img.src = "data:image/png;base64," + b64
    await img.decode()
    const canvas = document.createElement("canvas")
    canvas.width = img.width
    canvas.height = img.height
    const g = canvas.getContext("2d")
    g.drawImage(img, 0, 0)
    const data = g.getImageData(0, 0, img.width, img.height).data
    let nonWhite = 0
    let coloured = 0
    for (let p = 0; p < data.length; p += 4) {
      const r = data[p], gr = data[p + 1], b = data[p + 2]
      if (r < 235 || gr < 235 || b < 235) nonWhite++
      if (Math.max(r, gr, b) - Math.min(r, gr, b) > 60) coloured++
    }
    out.push({ width: img.width, height: img.height, nonWhite, coloured })
  }
  return out
}`

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
  let unavailable: string | null = null
  let browser: Browser | undefined
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-report-html-"))

  beforeAll(async () => {
    unavailable = ensureChromium()
    if (unavailable) return
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  }, 660_000)

  afterAll(async () => {
    await browser?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("loads offline and renders every chart", async (ctx) => {
    if (unavailable) {
      console.warn(`SKIPPED: ${unavailable}`)
      ctx.skip()
    }
    const report = await withHandStore(RUNS, loadReport({ experiment: "browser" }))
    const html = renderHtml(report)
    // Self-contained: no scripts, no linked resources (the only URL is the SVG namespace).
    expect(html).not.toMatch(/<script|<link|<img|src=|href=/i)
    expect(html.replaceAll("http://www.w3.org/2000/svg", "")).not.toMatch(/https?:\/\//)
    const file = path.join(dir, "report.html")
    fs.writeFileSync(file, html)

    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } })
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
    const counts = (await page.evaluate(`(${COUNT_PIXELS})(${JSON.stringify(shots.map((s) => s.toString("base64")))})`)) as PixelCounts[]
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
