/**
 * The HTML deep report of support-desk verdicts in headless Chromium: it loads without any network
 * request, the rate chart draws every agent's components (coloured pixels in its screenshot), and
 * every agent has its block with the episodes behind its numbers. The screenshots are written to
 * the test's folder (printed) to be looked at.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { loadReport, renderHtml } from "../src/index.ts"
import { countPixels, headlessChromium } from "./browser.ts"
import { appendSupportDesk, type HandRun, type HandVerdict, withHandStore } from "./fixtures.ts"

const cell = (runId: string, agent: string, index: number): HandRun => ({
  runId,
  domain: "retail",
  mode: "default",
  agent,
  user: "scripted",
  trials: 3,
  taskIds: ["t1", "t2"],
  experiment: "deep",
  cellIndex: index,
  episodes: ["t1", "t2"].flatMap((task) => [0, 1, 2].map((trial) => ({ task, trial, reward: 1, breakdown: { reward_breakdown: { DB: 1 } } }))),
})

/** A careful agent (asks first, rarely hands over needlessly) and a hasty one. */
const VERDICTS: Record<string, ReadonlyArray<HandVerdict>> = {
  "deep.careful": [
    { confirm: 1, grounded: 1, unsafe: 1, outcome: "not_needed" },
    { confirm: 1, grounded: 0.75, unsafe: 1, outcome: "not_needed" },
    { confirm: 0.5, grounded: 1, unsafe: 1, outcome: "over_escalated" },
    { confirm: 1, grounded: null, unsafe: 1, outcome: "handed_over" },
    { confirm: null, grounded: 1, unsafe: 1, outcome: "handed_over" },
    { confirm: 1, grounded: 0.5, unsafe: 1, outcome: "missed" },
  ],
  "deep.hasty": [
    { confirm: 0, grounded: 0.5, unsafe: 0, outcome: "over_escalated" },
    { confirm: 0, grounded: 0.25, unsafe: 1, outcome: "not_needed" },
    { confirm: 0.5, grounded: 0.5, unsafe: 0, outcome: "over_escalated" },
    { confirm: 0, grounded: null, unsafe: 1, outcome: "missed" },
    { confirm: 1, grounded: 0, unsafe: 1, outcome: "handed_over" },
    { confirm: 0, grounded: 1, unsafe: 0, outcome: "missed" },
  ],
}
const RUNS = [cell("deep.careful", "openai:careful", 0), cell("deep.hasty", "openai:hasty", 1)]
const episodeIds = (run: string) => ["t1", "t2"].flatMap((task) => [0, 1, 2].map((trial) => `${run}/${task}/${trial}`))

describe("HTML deep report in headless Chromium", () => {
  const chromium = headlessChromium()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-deep-report-"))

  afterAll(async () => {
    if (!process.env.TAU_KEEP_SCREENSHOTS) fs.rmSync(dir, { recursive: true, force: true })
  })

  it("loads offline, charts every agent's rates with intervals, and lists the episodes behind them", async (ctx) => {
    chromium.need(ctx)
    const report = await withHandStore(
      RUNS,
      Effect.gen(function* () {
        for (const [run, verdicts] of Object.entries(VERDICTS)) for (const [i, v] of verdicts.entries()) yield* appendSupportDesk(episodeIds(run)[i], v)
        return yield* loadReport({ experiment: "deep" })
      }),
    )
    const html = await renderHtml(report)
    expect(html).not.toMatch(/<script|<link|<img|src=|href=/i)
    const file = path.join(dir, "report.html")
    fs.writeFileSync(file, html)

    const page = await chromium.browser().newPage({ viewport: { width: 1300, height: 1000 } })
    const requests: string[] = []
    page.on("request", (r) => {
      if (!r.url().startsWith("file://")) requests.push(r.url())
    })
    await page.goto(`file://${file}`)
    expect(requests).toEqual([])

    const deep = page.locator("#deep-report")
    expect(await deep.locator("h2").textContent()).toBe("Deep report: support-desk")
    const chart = deep.locator("svg.rate-chart")
    expect(await chart.count()).toBe(1)
    // Two agents × (reward + four components): a dot each, all of them applicable here.
    expect(await chart.locator("circle").count()).toBe(10)
    const shot = await chart.screenshot()
    fs.writeFileSync(path.join(dir, "rate-chart.png"), shot)
    await deep.screenshot({ path: path.join(dir, "deep-report.png") })
    console.log(`deep report screenshots in ${dir}`)
    const [counts] = await countPixels(page, [shot])
    expect(counts.width).toBeGreaterThan(600)
    expect(counts.coloured).toBeGreaterThan(1500)

    for (const run of Object.keys(VERDICTS)) {
      const block = deep.locator(`article[id="deep-${run}"]`)
      expect(await block.count()).toBe(1)
      const text = (await block.textContent()) ?? ""
      for (const id of episodeIds(run)) expect(text).toContain(id)
    }
    // The hasty agent's confirm_before_write row: mean 1.5/6, every episode below 1 but one.
    const hasty = deep.locator('article[id="deep-deep.hasty"] table').first()
    const row = hasty.locator("tr", { hasText: "confirm_before_write" })
    expect(await row.locator("td").nth(1).textContent()).toMatch(/^0\.250 \[0\.000, 0\.\d{3}\] n=6$/)
    expect(await row.locator("td").nth(2).textContent()).toBe(
      episodeIds("deep.hasty")
        .filter((_, i) => i !== 4)
        .join(" "),
    )
    await page.close()
  }, 120_000)
})
