/**
 * Live progress (issue 14 item 5), with the real CLI: on a terminal (a pseudo-terminal from
 * util-linux `script`) a bar redrawn in place, a summary table with pass^k at the end and tables
 * cut to the terminal's width; Ctrl-C typed on that terminal (the pty's interrupt character, so the
 * kernel sends SIGINT) takes the bar off and prints the exact resume command, which finishes the run.
 * Not on a terminal: one plain line per episode and no escape sequences.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { describe, expect, it } from "vitest"
import { finished, jsonLines, MAIN, NODE, storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("progress-tty")

const hasScript = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" })
    return true
  } catch {
    if (process.env.CI === "true") throw new Error("util-linux `script` is needed for the terminal tests (CI=true: it fails the run)")
    console.warn("util-linux `script` not found: the terminal progress tests are skipped")
    return false
  }
})()
const onTerminal = hasScript ? it : it.skip

const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`

/** `tau <args>` on a pseudo-terminal of `cols` columns; what the terminal showed comes out of `script`'s stdout. */
const spawnOnTerminal = (args: ReadonlyArray<string>, cols: number): ChildProcess =>
  spawn("script", ["-qfec", `stty cols ${cols} rows 50; exec ${[NODE, MAIN, ...args].map(quote).join(" ")}`, "/dev/null"], {
    cwd: tmp.root,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", COLUMNS: undefined },
  })

const ERASE = "\r\x1b[2K"
// biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape sequences are what is tested
const ESCAPES = /\x1b\[[0-9;]*[A-Za-z]/g
/** The lines the terminal ends up showing (each redraw replaces its line). */
const screenLines = (raw: string) => raw.split(/\r?\n/).map((l) => (l.split("\r").at(-1) ?? "").replace(ESCAPES, ""))

describe("progress", () => {
  onTerminal("on a terminal: a bar redrawn in place, the summary with pass^k, tables cut to the width", async () => {
    const db = tmp.db()
    const shown = await finished(spawnOnTerminal(["run", "--domain", "demo", "--trials", "2", "--db", db], 56))
    expect(shown.code, shown.stdout).toBe(0)
    const raw = shown.stdout
    expect(raw).toContain(`${ERASE}█`)
    expect(raw).toContain("20/20 episodes")
    expect(raw).not.toMatch(/\[1\/20\] /)
    const lines = screenLines(raw)
    // The summary table: episodes, evaluated, errored, average reward, pass^1..2.
    const header = lines.findIndex((l) => /^episodes\s+evaluated\s+errored\s+avg reward\s+pass\^1\s+pass\^2$/.test(l.trimEnd()))
    expect(header, lines.join("\n")).toBeGreaterThan(0)
    expect(lines[header + 2]).toMatch(/^20\s+20\s+0\s+1\.00\s+1\.000\s+1\.000$/)
    // The episode table fits 56 columns; the long task ids are cut with an ellipsis.
    const rows = lines.filter((l) => /^ep_[0-9a-f]/.test(l))
    expect(rows).toHaveLength(20)
    for (const r of rows) expect(r.length, r).toBeLessThanOrEqual(56)
    expect(rows.some((r) => r.includes("…"))).toBe(true)
  })

  onTerminal("Ctrl-C on the terminal: the bar is taken off, the exact resume command printed, exit 130; the command finishes the run", async () => {
    const db = tmp.db()
    const child = spawnOnTerminal(["run", "--domain", "demo", "--trials", "40", "--max-concurrency", "1", "--run-id", "R", "--db", db], 100)
    let raw = ""
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      raw += d
      // Once the bar shows episodes, type Ctrl-C (the pty's VINTR: the kernel signals the foreground process).
      if (/\d+\/400 episodes/.test(raw) && child.stdin?.writable) {
        child.stdin.write("\x03")
        child.stdin.end()
      }
    })
    const stopped = await finished(child)
    const output = raw + stopped.stdout
    expect(stopped.code, output).toBe(130)
    const command = `tau run --resume R --db ${db}`
    // The stop message is on a line of its own, not after the bar.
    expect(output).toMatch(
      new RegExp(`${ERASE.replace("[", "\\[")}stopped by SIGINT: finished work is stored; continue with: ${command.replaceAll("/", "\\/")}`),
    )
    const done = (await storedRun(db, "R")).rows.filter((r) => r.status === "ended").length
    expect(done).toBeGreaterThan(0)
    expect(done).toBeLessThan(400)
    const resumed = await tau([...command.split(" ").slice(1), "--json"], tmp.root)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect((await storedRun(db, "R")).rows.filter((r) => r.status === "ended")).toHaveLength(400)
    expect(jsonLines(resumed.stdout).length).toBeGreaterThan(0)
  })

  it("not on a terminal: one plain line per episode, no escape sequences, the summary table", async () => {
    const ran = await tau(["run", "--domain", "demo", "--trials", "2", "--db", tmp.db()], tmp.root)
    expect(ran.code, ran.stderr).toBe(0)
    expect(ran.stderr).not.toContain("\x1b[")
    expect(ran.stderr.match(/^\[\d+\/20\] \S+ trial \d: user_stop, reward 1\.00$/gm)).toHaveLength(20)
    expect(ran.stdout).toMatch(/^episodes\s+evaluated\s+errored\s+avg reward\s+pass\^1\s+pass\^2\n[- ]+\n20\s+20\s+0\s+1\.00\s+1\.000\s+1\.000$/m)
  })
})
