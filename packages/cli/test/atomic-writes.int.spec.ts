/**
 * Files the CLI writes (`export tau2 --out`, `report --out`) are replaced atomically (issue 9,
 * item 4): on a full disk (a small tmpfs, mounted when the test may), past a file-size limit
 * (`ulimit -f`), and when killed with SIGKILL while writing, the previous file stays whole, and
 * an error names the path.
 */
import { execFileSync, spawn } from "node:child_process"
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, watch, writeFileSync, writeSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { finished, MAIN, NODE, spawnTau, tau, type TauResult, tempDir } from "./tau.ts"

const tmp = tempDir("atomic-writes")
afterAll(tmp.dispose)
const db = tmp.db()
let big: string
let small: string
let smallReport: string

beforeAll(async () => {
  // A run whose export (~150 KB) does not fit the 64 KB disk, and one whose export does.
  for (const [runId, extra] of [
    ["big", ["--trials", "6"]],
    ["small", ["--num-tasks", "1"]],
  ] as const) {
    const r = await tau(["run", "--domain", "demo", ...extra, "--run-id", runId, "--db", db], tmp.root)
    expect(r.code).toBe(0)
  }
  big = (await tau(["export", "tau2", "--run", "big", "--db", db], tmp.root)).stdout
  small = (await tau(["export", "tau2", "--run", "small", "--db", db], tmp.root)).stdout
  smallReport = (await tau(["report", "--run", "small", "--format", "md", "--db", db], tmp.root)).stdout
  expect(big.length).toBeGreaterThan(100_000)
  expect(small.length).toBeLessThan(16_000)
})

const exportTo = (out: string, run: string) => tau(["export", "tau2", "--run", run, "--out", out, "--db", db], tmp.root)

/** Whether this process may mount a tmpfs (root in a container that allows it). */
const mountTmpfs = (dir: string, size: string): boolean => {
  mkdirSync(dir, { recursive: true })
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/** Fills the file system of `dir` until a write fails. */
const fill = (dir: string) => {
  const fd = openSync(join(dir, "filler"), "w")
  const block = Buffer.alloc(4096, 1)
  try {
    for (;;) writeSync(fd, block)
  } catch (e) {
    expect((e as NodeJS.ErrnoException).code).toBe("ENOSPC")
  } finally {
    closeSync(fd)
  }
}

describe("on a full disk (64 KB tmpfs)", () => {
  const mnt = join(tmp.root, "tmpfs")
  let mounted = false
  beforeAll(() => {
    mounted = mountTmpfs(mnt, "64k")
  })
  afterAll(() => {
    if (mounted) execFileSync("umount", [mnt])
  })

  it("export --out of a run bigger than the disk keeps the previous file whole and names the path", async (ctx) => {
    if (!mounted) return ctx.skip()
    const target = join(mnt, "results.json")
    expect((await exportTo(target, "small")).code).toBe(0)
    expect(readFileSync(target, "utf8")).toBe(small)
    const failed = await exportTo(target, "big")
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(new RegExp(`^error: cannot write ${target}: ENOSPC`))
    expect(readFileSync(target, "utf8")).toBe(small)
    // Nothing half-written is left beside it.
    expect(readdirSync(mnt)).toEqual(["results.json"])
    // Nor the folders made for a file that could not be written.
    const nested = join(mnt, "new", "deeper", "results.json")
    const failedNested = await exportTo(nested, "big")
    expect(failedNested.stderr).toMatch(new RegExp(`^error: cannot write ${nested}: ENOSPC`))
    expect(readdirSync(mnt)).toEqual(["results.json"])
  })

  it("report --out and export --out on a disk with no space left keep the previous files whole", async (ctx) => {
    if (!mounted) return ctx.skip()
    const report = join(mnt, "report.md")
    const results = join(mnt, "results.json")
    const wrote = await tau(["report", "--run", "small", "--format", "md", "--out", report, "--db", db], tmp.root)
    expect(wrote.code).toBe(0)
    fill(mnt)
    const failedReport = await tau(["report", "--run", "big", "--format", "md", "--out", report, "--db", db], tmp.root)
    expect(failedReport.code).toBe(1)
    expect(failedReport.stderr).toMatch(new RegExp(`^error: cannot write ${report}: ENOSPC`))
    expect(readFileSync(report, "utf8")).toBe(smallReport)
    const failedExport = await exportTo(results, "big")
    expect(failedExport.stderr).toMatch(new RegExp(`^error: cannot write ${results}: ENOSPC`))
    expect(readFileSync(results, "utf8")).toBe(small)
    expect(readdirSync(mnt).sort()).toEqual(["filler", "report.md", "results.json"])
  })
})

describe("past a file-size limit (ulimit -f)", () => {
  it("the previous file stays whole whether the process is killed (SIGXFSZ) or told (EFBIG)", async () => {
    const dir = join(tmp.root, "limited")
    mkdirSync(dir)
    const target = join(dir, "results.json")
    writeFileSync(target, small)
    // 96 blocks: 48 KB (dash) or 96 KB (bash): above SQLite's 32 KB shared-memory file, below the export.
    const child = spawn("sh", ["-c", 'ulimit -f 96 && exec "$0" "$@"', NODE, MAIN, "export", "tau2", "--run", "big", "--out", target, "--db", db], {
      cwd: tmp.root,
      stdio: ["ignore", "pipe", "pipe"],
    })
    const r = await finished(child)
    expect(readFileSync(target, "utf8")).toBe(small)
    const temps = readdirSync(dir).filter((f) => f.endsWith(".tmp"))
    if (r.signal !== null) {
      // Killed while writing the temporary file beside the target (which proves the write was reached).
      expect(r.signal).toBe("SIGXFSZ")
      expect(temps).toHaveLength(1)
    } else {
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(new RegExp(`^error: cannot write ${target}: `))
      expect(temps).toEqual([])
    }
  })
})

describe("killed with SIGKILL while writing", () => {
  it("leaves the previous file or the new one, each whole, never a mix", async () => {
    const dir = join(tmp.root, "killed")
    mkdirSync(dir)
    const target = join(dir, "results.json")
    for (let i = 0; i < 5; i++) {
      writeFileSync(target, small)
      for (const f of readdirSync(dir)) if (f.endsWith(".tmp")) rmSync(join(dir, f))
      const child = spawnTau(["export", "tau2", "--run", "big", "--out", target, "--db", db], tmp.root)
      const done = finished(child)
      // Killed at the first sign of writing in the folder (the temporary file, or the target itself).
      const watcher = watch(dir, () => child.kill("SIGKILL"))
      let r: TauResult
      try {
        r = await done
      } finally {
        watcher.close()
      }
      const now = readFileSync(target, "utf8")
      expect([small, big]).toContain(now)
      if (r.signal === null) expect(now).toBe(big)
    }
    expect(existsSync(target)).toBe(true)
  })
})
