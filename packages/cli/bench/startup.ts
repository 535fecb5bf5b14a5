/**
 * Start-up of whole `tau` processes beside a bare `node -e 0` on the same machine, in the same
 * sitting (issue 13 targets: `tau --help` ≤ 8×, `tau show <episode>` ≤ 12× the bare figure).
 * Each figure is the median wall time of `runs` processes, after one warm-up that fills the OS
 * file cache and V8's compile cache. The executable (bin/tau.mjs) is measured after a fresh build,
 * and the sources (src/main.ts, what `pnpm tau` runs) beside it.
 *   Run alone: node packages/cli/bench/startup.ts
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const cli = path.resolve(import.meta.dirname, "..")
const node = path.resolve(cli, "../../node_modules/.bin/node")
const executable = path.join(cli, "bin/tau.mjs")
const sources = path.join(cli, "src/main.ts")

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

/** Median seconds of `runs` runs of `node <args>`, after a warm-up; a failing run is an error. */
const timed = (args: ReadonlyArray<string>, cwd: string, runs: number): number => {
  const once = () => {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(node, args, { cwd, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" })
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`)
    return seconds
  }
  once()
  return median(Array.from({ length: runs }, once))
}

const ratio = (x: number, bare: number) => Number((x / bare).toFixed(1))
const ms = (s: number) => Number((s * 1000).toFixed(1))

export const benchStartup = async ({ dir, runs = 9 }: { dir: string; runs?: number }) => {
  execFileSync(node, [path.join(cli, "build.ts")], { stdio: "ignore" })
  // @ts-expect-error: plain JavaScript without declarations
  const { chooseEntry } = (await import("../bin/entry.mjs")) as { chooseEntry: (cliDir: string) => string }
  const db = path.join(dir, "startup.db")
  const ran = execFileSync(node, [executable, "run", "--domain", "demo", "--agent", "oracle", "--user", "scripted", "--trials", "1", "--db", db, "--json"], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  })
  const episode = String(JSON.parse(ran.split("\n")[0] as string).episode_id)
  const before = chooseEntry(cli)
  const bare = timed(["-e", "0"], dir, runs)
  const figures = {
    help: { executable: timed([executable, "--help"], dir, runs), sources: timed([sources, "--help"], dir, runs), target_ratio: 8 },
    show: {
      executable: timed([executable, "show", episode, "--db", db], dir, runs),
      sources: timed([sources, "show", episode, "--db", db], dir, runs),
      target_ratio: 12,
    },
  }
  return {
    runs_per_figure: runs,
    // The executable ran the bundle only if no source changed during the bench.
    executable_ran: before === chooseEntry(cli) ? path.relative(cli, before) : "the bundle, then the sources (a source changed during the bench)",
    bare_node_ms: ms(bare),
    ...Object.fromEntries(
      Object.entries(figures).map(([command, f]) => [
        command,
        {
          executable_ms: ms(f.executable),
          executable_ratio: ratio(f.executable, bare),
          target_ratio: f.target_ratio,
          meets_target: f.executable / bare <= f.target_ratio,
          sources_ms: ms(f.sources),
          sources_ratio: ratio(f.sources, bare),
        },
      ]),
    ),
  }
}

if (import.meta.main) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-bench-startup-"))
  try {
    process.stdout.write(`${JSON.stringify(await benchStartup({ dir }), null, 2)}\n`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
