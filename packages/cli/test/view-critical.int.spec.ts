/**
 * `tau view` of an episode analysed by `tau critical`: the API gives the analysis as the CLI
 * printed it, and in headless Chromium the episode page charts the estimate per turn with its
 * interval (SVG) and marks the critical turn on the chart and on the timeline. Screenshot in
 * $TAU_VIEW_SCREENSHOTS (else the test's temp folder, printed), to be looked at.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { headlessChromium } from "@tau-sim/reports/testing/browser"
import type { EpisodeCritical } from "@tau-sim/viewer"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, tau, tempDir } from "./tau.ts"
import { startView, type ViewServer } from "./view-server.ts"

const tmp = tempDir("cli-view-critical")
const db = tmp.db()
const shots = process.env.TAU_VIEW_SCREENSHOTS ?? tmp.file("screenshots")
fs.mkdirSync(shots, { recursive: true })

const chromium = headlessChromium()
let view: ViewServer
let episode: string
let analysis: {
  run_id: string
  critical_turn: number | null
  drop: number | null
  turns: Array<{ turn: number; estimate: number | null; ci_low: number; ci_high: number }>
}

beforeAll(async () => {
  const run = await tau(
    [
      "run",
      "--domain",
      "demo",
      "--task-ids",
      "pay_unblock_and_borrow",
      "--agent",
      "noisy-oracle:0.3",
      "--trials",
      "8",
      "--run-id",
      "parents",
      "--json",
      "--db",
      db,
    ],
    tmp.root,
  )
  expect(run.code, run.stderr).toBe(0)
  // A failed episode (the noisy oracle skipped a write): its estimate must drop somewhere.
  const failed = jsonLines(run.stdout).find((r) => r.reward === 0)
  expect(failed, "a trial of the fixed seeds fails").toBeDefined()
  episode = String(failed?.episode_id)
  const critical = await tau(["critical", episode, "--samples", "6", "--json", "--db", db], tmp.root)
  expect(critical.code, critical.stderr).toBe(0)
  analysis = jsonLines(critical.stdout)[0] as typeof analysis
  expect(analysis.critical_turn).not.toBeNull()
  view = await startView(db, tmp.root)
}, 300_000)

afterAll(async () => {
  await view?.stop()
  console.log(`tau view screenshots in ${shots}`)
  if (!process.env.TAU_VIEW_SCREENSHOTS && !process.env.TAU_KEEP_SCREENSHOTS) tmp.dispose()
})

describe("tau view: a critical-turn analysis", () => {
  it("gives the episode's analysis as tau critical printed it; an episode without one has none", async () => {
    const body = (await (await view.get(`/api/episodes/${episode}/critical`)).json()) as EpisodeCritical
    expect(body.analyses).toHaveLength(1)
    const [a] = body.analyses
    expect(a).toMatchObject({ run_id: analysis.run_id, episode_id: episode, critical_turn: analysis.critical_turn, drop: analysis.drop })
    expect(a.turns.map((t) => [t.turn, t.estimate, t.ci_low, t.ci_high])).toEqual(analysis.turns.map((t) => [t.turn, t.estimate, t.ci_low, t.ci_high]))
    // A sample (a branch of the analysed episode) is not analysed itself.
    const runs = (await (await view.get("/api/runs")).json()) as { runs: Array<{ run_id: string; kind: string; branches_of: string | null }> }
    expect(runs.runs.find((r) => r.run_id === analysis.run_id)).toMatchObject({ kind: "critical", branches_of: episode })
    const sample = (await (await view.get(`/api/episodes?run=${encodeURIComponent(analysis.run_id)}&limit=1`)).json()) as {
      episodes: Array<{ episode_id: string }>
    }
    const none = (await (await view.get(`/api/episodes/${sample.episodes[0].episode_id}/critical`)).json()) as EpisodeCritical
    expect(none.analyses).toEqual([])
  })

  it("charts the estimate per turn with its interval and marks the critical turn on the chart and the timeline", async (ctx) => {
    chromium.need(ctx)
    const context = await chromium.browser().newContext({ viewport: { width: 1400, height: 1100 } })
    const page = await context.newPage()
    const errors: string[] = []
    page.on("pageerror", (e) => errors.push(e.message))
    await page.goto(view.url)
    await page.goto(`${view.base}/episodes/${episode}`)
    const chart = page.getByTestId("critical")
    await chart.waitFor()
    // One mark per analysed turn, each with its interval; the critical one is marked.
    expect(await chart.locator("g.turn-mark").count()).toBe(analysis.turns.length)
    expect(await chart.locator("g.turn-mark line.interval").count()).toBe(3 * analysis.turns.length)
    expect(await chart.locator("g.turn-mark.critical").getAttribute("data-turn")).toBe(String(analysis.critical_turn))
    expect(await chart.getByTestId("critical-band").count()).toBe(1)
    // The estimate's height on the chart is the estimate (y = top + (1 − p) · height).
    const critical = analysis.turns.find((t) => t.turn === analysis.critical_turn)
    const cy = Number(await chart.locator("g.turn-mark.critical circle.estimate").getAttribute("cy"))
    expect(cy).toBeCloseTo(16 + (1 - (critical?.estimate ?? 0)) * (240 - 16 - 40), 6)
    expect(await chart.getByTestId("critical-summary").textContent()).toContain(
      `critical turn ${analysis.critical_turn}: estimate drops ${analysis.drop?.toFixed(2)}`,
    )
    // On the timeline: the critical turn is marked, and analysed turns say their estimate.
    const marked = page.getByTestId("timeline").getByTestId("critical-turn")
    expect(await marked.count()).toBe(1)
    expect(await marked.getAttribute("data-turn")).toBe(String(analysis.critical_turn))
    expect(await page.getByTestId("timeline").getByTestId("estimate-note").count()).toBe(analysis.turns.filter((t) => t.estimate !== null).length)
    // The samples (branches of one run) are folded in the lineage tree, not listed one by one.
    const folded = page.getByTestId("lineage-folded")
    expect(await folded.count()).toBe(1)
    expect(await folded.getAttribute("data-run")).toBe(analysis.run_id)
    const sampleCount = analysis.turns.reduce((n, t) => n + ((t as { samples?: number }).samples ?? 0), 0)
    expect(await folded.locator("summary").textContent()).toContain(`${sampleCount} branches of run ${analysis.run_id}`)
    expect(await folded.locator("details").getAttribute("open")).toBeNull()
    expect(await folded.locator("li[data-episode]").first().isVisible()).toBe(false)
    await chart.screenshot({ path: path.join(shots, "critical-chart.png") })
    await marked.scrollIntoViewIfNeeded()
    await page.screenshot({ path: path.join(shots, "critical-timeline.png") })
    expect(errors).toEqual([])
    await context.close()
  }, 120_000)
})
