/**
 * Headless Chromium for the HTML report tests: Debian's `chromium` (/usr/bin/chromium, or
 * TAU_CHROMIUM), installed with apt-get when missing and we are root (as CI on a fresh machine
 * must), and a pixel count of chart screenshots decoded in the page itself (no PNG library).
 */
import { execFileSync, execSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, type TestContext } from "vitest"

export const CHROMIUM = process.env.TAU_CHROMIUM ?? "/usr/bin/chromium"
const REPO_ROOT = path.resolve(import.meta.dirname, "../../..")
export const ARGS = [
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
export const ensureChromium = (): string | null => {
  if (fs.existsSync(CHROMIUM)) return null
  if (process.getuid?.() !== 0) return `${CHROMIUM} is missing and installing it needs root (apt-get install -y chromium)`
  try {
    execSync("command -v apt-get", { stdio: "ignore" })
  } catch {
    return `${CHROMIUM} is missing and there is no apt-get to install it`
  }
  try {
    // One apt at a time across the suites that run in parallel (scripts/ensure-debian-package.sh).
    execFileSync("sh", [path.join(REPO_ROOT, "scripts/ensure-debian-package.sh"), CHROMIUM, "chromium"], { stdio: "ignore", timeout: 900_000 })
  } catch (e) {
    return `apt-get install -y chromium failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`
  }
  return fs.existsSync(CHROMIUM) ? null : `apt-get installed chromium but ${CHROMIUM} does not exist`
}

/**
 * Headless Chromium for one suite: launched before its tests (installed first when missing, as
 * `ensureChromium` does) and closed after them. A test that needs it starts with `need(ctx)`:
 * without Chromium it is skipped, saying why, except under CI=true, where it fails the run.
 */
export const headlessChromium = () => {
  let unavailable: string | null = null
  let browser: Browser | undefined
  beforeAll(async () => {
    unavailable = ensureChromium()
    if (unavailable) return
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  }, 660_000)
  afterAll(async () => {
    await browser?.close()
  })
  return {
    /** Why Chromium cannot be used (null: it can); known once the suite's first hook ran. */
    unavailable: (): string | null => unavailable,
    browser: (): Browser => browser as Browser,
    need: (ctx: TestContext): void => {
      if (!unavailable) return
      if (process.env.CI === "true") throw new Error(`${unavailable} (CI=true: a missing Chromium fails the run, never skips it)`)
      console.warn(`SKIPPED: ${unavailable}`)
      ctx.skip()
    },
  }
}

export interface PixelCounts {
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

/** Pixel counts of PNG screenshots, decoded by the browser of `page`. */
export const countPixels = async (page: Page, shots: ReadonlyArray<Buffer>): Promise<PixelCounts[]> =>
  (await page.evaluate(`(${COUNT_PIXELS})(${JSON.stringify(shots.map((s) => s.toString("base64")))})`)) as PixelCounts[]
