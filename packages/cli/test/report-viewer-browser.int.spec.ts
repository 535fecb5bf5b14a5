/**
 * The HTML report linked to a running `tau view` (issue 12 item 7), through the real CLI in
 * Chromium: `tau report --viewer-url <the URL tau view printed>` links run, task and turn cells to
 * the viewer's pages without ever writing its token into the file; opened after the viewer's own
 * URL (which sets its token cookie), a link in the report lands on the viewer's page for it. The
 * report of a critical-turn analysis is looked at as a screenshot (TAU_REPORT_SHOTS keeps them).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { headlessChromium } from "@tau-sim/reports/testing/browser"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, tau, tempDir } from "./tau.ts"
import { startView, type ViewServer } from "./view-server.ts"

const tmp = tempDir("report-viewer")
const shots = process.env.TAU_REPORT_SHOTS ?? tmp.file("shots")
fs.mkdirSync(shots, { recursive: true })
const db = tmp.db()
const chromium = headlessChromium()
let view: ViewServer
let episode = ""
let analysisRun = ""

beforeAll(async () => {
  if (chromium.unavailable()) return
  const run = await tau(
    [
      "run",
      "--domain",
      "demo",
      "--task-ids",
      "pay_unblock_and_borrow",
      "--trials",
      "4",
      "--agent",
      "noisy-oracle:0.3",
      "--run-id",
      "noisy",
      "--json",
      "--db",
      db,
    ],
    tmp.root,
  )
  expect(run.code, run.stderr).toBe(0)
  episode = String(jsonLines(run.stdout).find((r) => r.reward === 0)?.episode_id)
  const analysis = await tau(["critical", episode, "--samples", "12", "--json", "--db", db], tmp.root)
  expect(analysis.code, analysis.stderr).toBe(0)
  analysisRun = String(jsonLines(analysis.stdout)[0].run_id)
  view = await startView(db, tmp.root)
}, 660_000)

afterAll(async () => {
  await view?.stop()
  tmp.dispose()
})

const report = async (runId: string, name: string, ...args: string[]) => {
  const out = tmp.file(`${name}.html`)
  const result = await tau(["report", "--run", runId, "--format", "html", "--out", out, "--db", db, ...args], tmp.root)
  expect(result.code, result.stderr).toBe(0)
  return { out, html: fs.readFileSync(out, "utf8") }
}

describe("the HTML report linked to tau view", () => {
  it("links runs, tasks and turns to the viewer's pages, never writes its token, and a link opens the page", async (ctx) => {
    chromium.need(ctx)
    expect(view.token.length).toBeGreaterThan(8)
    const { out, html } = await report(analysisRun, "analysis", "--viewer-url", view.url)
    expect(html).not.toContain(view.token)
    expect(html).not.toContain("token=")
    expect(html).toContain(`href="${view.base}/runs/${encodeURIComponent(analysisRun)}"`)
    expect(html).toContain(`href="${view.base}/runs/${encodeURIComponent(analysisRun)}?task=pay_unblock_and_borrow"`)
    expect(html).toMatch(new RegExp(`href="${view.base}/episodes/${episode}\\?turn=\\d+"`))
    // Without --viewer-url the report links nothing.
    expect((await report(analysisRun, "plain")).html).not.toMatch(/href=/)

    const context = await chromium.browser().newContext({ viewport: { width: 1400, height: 1000 } })
    const page = await context.newPage()
    // The viewer's printed URL first (its token becomes the viewer's cookie), then the report.
    await page.goto(view.url)
    await page.goto(`file://${out}`)
    const chart = page.locator("svg.chart.critical-chart")
    await chart.screenshot({ path: path.join(shots, "critical-chart.png") })
    await page.screenshot({ path: path.join(shots, "critical-report.png"), fullPage: true })
    const marked = page.locator(`#critical-${CSS_ESCAPE(analysisRun)} td a`, { hasText: "<" })
    const turn = Number.parseInt((await marked.textContent()) ?? "", 10)
    await marked.click()
    await page.waitForURL(`${view.base}/episodes/${episode}?turn=${turn}`)
    const world = page.getByTestId("world")
    await world.waitFor()
    expect(await world.locator("h2").textContent()).toContain(`World at turn ${turn}`)
    await page.screenshot({ path: path.join(shots, "viewer-from-report.png") })
    await context.close()
  }, 180_000)

  it("refuses a viewer URL that is not http(s)", async () => {
    const bad = await tau(["report", "--run", "noisy", "--format", "html", "--viewer-url", "javascript:alert(1)", "--db", db], tmp.root)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("the viewer's URL must be http(s), not javascript:")
  })
})

/** An id as a CSS identifier (ids contain `~`). */
const CSS_ESCAPE = (id: string): string => id.replace(/[^A-Za-z0-9_-]/g, (c) => `\\${c}`)
