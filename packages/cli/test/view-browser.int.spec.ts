/**
 * `tau view` in headless Chromium (Debian's, launched as the report tests do): the runs list, a
 * filter of the episodes list, an episode's timeline, the world at a turn, and a hostile
 * message shown as text without running, also with the CSP bypassed (so the rendering itself is what keeps it text). Every request goes to the viewer itself (no CDN).
 * Screenshots of each view are written to $TAU_VIEW_SCREENSHOTS (else the test's temp folder,
 * printed) to be looked at. Without Chromium they are skipped, saying why; under CI=true they fail.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { demoBrain, startFakeLlmServer } from "@tau-sim/models/testing"
import { headlessChromium } from "@tau-sim/reports/testing/browser"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { tempDir } from "./tau.ts"
import { HOSTILE_EMAIL, HOSTILE_RUN, HOSTILE_TEXT, RUN, startView, type ViewServer, writeViewStore } from "./view-server.ts"

const tmp = tempDir("cli-view-browser")
const db = tmp.db()
const shots = process.env.TAU_VIEW_SCREENSHOTS ?? tmp.file("screenshots")
fs.mkdirSync(shots, { recursive: true })

// Launched before the hooks below (they run in order); `chromium.need(ctx)` starts each test.
const chromium = headlessChromium()
let view: ViewServer
let written: Awaited<ReturnType<typeof writeViewStore>>

beforeAll(async () => {
  if (chromium.unavailable()) return
  written = await writeViewStore(tmp.root, db)
  view = await startView(db, tmp.root)
}, 660_000)

afterAll(async () => {
  await view?.stop()
  console.log(`tau view screenshots in ${shots}`)
  if (!process.env.TAU_VIEW_SCREENSHOTS && !process.env.TAU_KEEP_SCREENSHOTS) tmp.dispose()
})

/**
 * A page that records every request and every script error, opened on the printed URL.
 * `bypassCSP`: the page's own policy is not applied, so inline handlers would run.
 */
const open = async (options: { readonly bypassCSP?: boolean } = {}): Promise<{ page: Page; requests: string[]; errors: string[] }> => {
  const context = await chromium.browser().newContext({ viewport: { width: 1400, height: 1000 }, bypassCSP: options.bypassCSP ?? false })
  const page = await context.newPage()
  page.on("close", () => void context.close())
  const requests: string[] = []
  const errors: string[] = []
  page.on("request", (r) => requests.push(r.url()))
  page.on("pageerror", (e) => errors.push(e.message))
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text())
  })
  await page.goto(view.url)
  return { page, requests, errors }
}

const onlyViewer = (requests: ReadonlyArray<string>) => {
  for (const r of requests) expect(r.startsWith(`${view.base}/`), r).toBe(true)
}

describe("tau view in Chromium", () => {
  it("lists the runs, filters episodes, and links to an episode", async (ctx) => {
    chromium.need(ctx)
    const { page, requests, errors } = await open()
    const runs = page.getByTestId("runs")
    await runs.locator(`tr[data-run="${RUN}"]`).waitFor()
    // The token went into the cookie and out of the address bar.
    expect(page.url()).toBe(`${view.base}/`)
    const row = await runs.locator(`tr[data-run="${RUN}"]`).textContent()
    expect(row).toContain("demo")
    expect(row).toContain("oracle")
    expect(row).toContain("scripted")
    expect(row).toContain(String(written.rows.length))
    expect(row).toContain("done")
    expect(await runs.locator(`tr[data-run="${RUN}~forks"]`).textContent()).toContain(`forks of ${RUN}`)
    await page.screenshot({ path: path.join(shots, "runs.png"), fullPage: true })

    await page.getByRole("link", { name: RUN, exact: true }).first().click()
    await page.waitForURL(`${view.base}/runs/${RUN}`)
    const count = page.getByTestId("episode-count")
    await count.filter({ hasText: `of ${written.rows.length} episodes` }).waitFor()
    await page.locator('select[name="tool_errors"]').selectOption("yes")
    await page.waitForURL(/tool_errors=yes/)
    await count.filter({ hasNotText: `of ${written.rows.length} episodes` }).waitFor()
    const shown = await page.getByTestId("episodes").locator("tbody tr").count()
    expect(shown).toBeGreaterThan(0)
    expect(shown).toBeLessThan(written.rows.length)
    for (const cell of await page.getByTestId("episodes").locator("tbody tr td:nth-child(8)").allInnerTexts()) expect(Number(cell)).toBeGreaterThan(0)
    expect(await count.textContent()).toBe(`1–${shown} of ${shown} episodes`)
    await page.screenshot({ path: path.join(shots, "episodes-filtered.png"), fullPage: true })

    // The filtered list is a link: loading it again gives the same rows.
    await page.reload()
    await count.filter({ hasText: `of ${shown} episodes` }).waitFor()
    expect(await page.getByTestId("episodes").locator("tbody tr").count()).toBe(shown)
    onlyViewer(requests)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it("shows an episode's timeline and the world at a turn with what it changed", async (ctx) => {
    chromium.need(ctx)
    const { page, requests, errors } = await open()
    await page.goto(`${view.base}/episodes/${written.fork}`)
    const timeline = page.getByTestId("timeline")
    await timeline.waitFor()
    expect(await page.getByTestId("lineage").textContent()).toContain(written.parent)
    // Setup (the greeting) is collapsed; the conversation and the tool calls are there.
    expect(await timeline.locator("details.setup").count()).toBeGreaterThan(0)
    expect(await timeline.locator('[data-kind="message"]').count()).toBeGreaterThan(2)
    expect(await timeline.locator('[data-kind="tool"]').count()).toBeGreaterThan(0)
    await page.screenshot({ path: path.join(shots, "episode-timeline.png"), fullPage: true })

    // A tool call that changed the world: its turn's world and change.
    const changing = timeline.locator('[data-kind="tool"]', { hasText: "world change" }).first()
    const turnButton = changing.locator("button.turn")
    const turn = await turnButton.getAttribute("data-turn")
    await turnButton.click()
    await page.waitForURL(new RegExp(`\\?turn=${turn}$`))
    const world = page.getByTestId("world")
    await world.waitFor()
    expect(await world.locator("h2").textContent()).toContain(`World at turn ${turn}`)
    const changes = await world.getByTestId("changes").locator("li").allInnerTexts()
    expect(changes.length).toBeGreaterThan(0)
    // The changed value is opened and marked in the tree.
    expect(await world.locator(".tree .changed").count()).toBeGreaterThan(0)
    await page.screenshot({ path: path.join(shots, "episode-world.png"), fullPage: false })
    onlyViewer(requests)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it("says why a failed episode failed: the database paths that differ from the gold, gold against actual, and the failed checks", async (ctx) => {
    chromium.need(ctx)
    const { page, requests, errors } = await open()
    // The branch whose agent gives up before paying the fines and unblocking the card.
    await page.goto(`${view.base}/episodes/${written.sibling}`)
    const why = page.getByTestId("why-failed")
    await why.waitFor()
    const rows = await why
      .getByTestId("db-differences")
      .locator("tbody tr")
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)))
    expect(rows).toContainEqual(["/agent/members/M005/card_status", '"active"', '"blocked"'])
    expect(rows.every(([path]) => path?.startsWith("/agent/"))).toBe(true)
    expect(await why.getByTestId("failed-checks").textContent()).toContain("action not matched: assistant pay_fine(")
    await why.screenshot({ path: path.join(shots, "why-failed.png") })
    onlyViewer(requests)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it("shows the lineage tree and compares two branches side by side", async (ctx) => {
    chromium.need(ctx)
    const { page, requests, errors } = await open()
    await page.goto(`${view.base}/episodes/${written.fork}`)
    const tree = page.getByTestId("lineage-tree")
    await tree.waitFor()
    const members = await tree.locator("li[data-episode]").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-episode")))
    expect(members).toEqual([written.parent, written.fork, written.sibling])
    await page.screenshot({ path: path.join(shots, "lineage-tree.png") })
    await tree.locator(`li[data-episode="${written.sibling}"] > a`, { hasText: "compare" }).click()
    await page.waitForURL(`${view.base}/compare?a=${written.fork}&b=${written.sibling}`)
    const compare = page.getByTestId("compare")
    await compare.waitFor()
    expect(await compare.getByTestId(`side-${written.fork}`).locator(".item").count()).toBeGreaterThan(3)
    const quitter = compare.getByTestId(`side-${written.sibling}`)
    expect(await quitter.textContent()).toContain("Sorry, I cannot help with that.")
    expect(await quitter.textContent()).toContain("agent_stop")
    // Where they differ is marked: the agent, the end, the reward, and the final worlds.
    expect(await quitter.locator(".differs").count()).toBeGreaterThanOrEqual(3)
    expect(await compare.getByTestId("world-diff").locator("li").count()).toBeGreaterThan(0)
    expect(await compare.getByTestId("shared").textContent()).toMatch(/shared history: \d+ events/)
    await page.screenshot({ path: path.join(shots, "compare.png"), fullPage: true })
    onlyViewer(requests)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it("forks from the page at a chosen turn: the branch's turns stream in while it runs, and it lands in the lineage tree", async (ctx) => {
    chromium.need(ctx)
    // The branch's agent is a model whose second answer waits until the page has shown the first:
    // what the page shows meanwhile can only have come from the store while the fork runs.
    const release = Promise.withResolvers<void>()
    const llm = await startFakeLlmServer({
      brain: async (call, index) => (index === 0 ? demoBrain(call, index) : release.promise.then(() => demoBrain(call, index))),
    })
    try {
      const { page, requests, errors } = await open()
      await page.goto(`${view.base}/episodes/${written.parent}`)
      const tree = page.getByTestId("lineage-tree")
      await tree.waitFor()
      const before = await tree.locator("li[data-episode]").count()
      await page.getByTestId("timeline").locator('button.turn[data-turn="6"]').click()
      const form = page.getByTestId("fork-form")
      await form.waitFor()
      expect(await form.locator('input[name="agent"]').inputValue()).toBe("oracle")
      await form.locator('input[name="agent"]').fill(`compat:demo-model@${llm.baseURL}`)
      await page.screenshot({ path: path.join(shots, "fork-form.png") })
      await form.getByRole("button", { name: "fork at turn 6" }).click()
      const live = form.getByTestId("fork-live")
      // The model's first turn, shown while the fork still runs (its second call is held).
      await live.locator('[data-kind="message"]').first().waitFor({ timeout: 60_000 })
      expect(await live.getAttribute("data-state")).toBe("running")
      expect(await live.locator('[data-kind="model"]').count()).toBe(1)
      const child = (await live.locator("a").first().textContent()) ?? ""
      expect(child).toMatch(/^ep_/)
      // Already in the lineage tree, as running.
      await tree.locator(`li[data-episode="${child}"]`).waitFor()
      expect(await tree.locator("li[data-episode]").count()).toBe(before + 1)
      await page.screenshot({ path: path.join(shots, "fork-running.png") })
      release.resolve()
      await form.locator('[data-testid="fork-live"][data-state="done"]').waitFor({ timeout: 60_000 })
      expect(await live.locator('[data-kind="model"]').count()).toBeGreaterThan(1)
      expect(await live.textContent()).toMatch(/reward \d/)
      await tree.locator(`li[data-episode="${child}"]`, { hasText: "reward" }).filter({ hasNotText: "running" }).waitFor()
      await page.screenshot({ path: path.join(shots, "forked.png") })
      onlyViewer(requests)
      expect(errors).toEqual([])
      await page.close()
    } finally {
      release.resolve()
      await llm.close()
    }
  }, 120_000)

  // Also without the CSP: with inline handlers allowed, only the rendering keeps the text from becoming markup.
  for (const { csp, bypassCSP } of [
    { csp: "under the page's CSP", bypassCSP: false },
    { csp: "with the CSP bypassed", bypassCSP: true },
  ])
    it(`shows a hostile message and tool call as text, and runs none of it, ${csp}`, async (ctx) => {
      chromium.need(ctx)
      const { page, requests, errors } = await open({ bypassCSP })
      await page.goto(`${view.base}/runs/${HOSTILE_RUN}`)
      await page.getByTestId("episodes").locator("tbody tr a").first().click()
      const timeline = page.getByTestId("timeline")
      await timeline.waitFor()
      const text = await timeline.textContent()
      expect(text).toContain(HOSTILE_TEXT)
      expect(text).toContain(HOSTILE_EMAIL)
      // Nothing of it became markup, and nothing ran.
      expect(await page.locator("main img, main script").count()).toBe(0)
      expect(await page.evaluate("window.__pwned")).toBeUndefined()
      await page.screenshot({ path: path.join(shots, bypassCSP ? "hostile-message-no-csp.png" : "hostile-message.png"), fullPage: true })
      onlyViewer(requests)
      expect(errors).toEqual([])
      await page.close()
    }, 120_000)

  it("asks for the token when the page is opened without it", async (ctx) => {
    chromium.need(ctx)
    const page = await chromium.browser().newPage()
    await page.goto(`${view.base}/`)
    await page.getByRole("alert").waitFor()
    expect(await page.getByRole("alert").textContent()).toContain("open the URL that `tau view` printed")
    await page.close()
  }, 60_000)
})
