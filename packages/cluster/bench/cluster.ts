/**
 * The cluster's numbers (issue 17): episodes per second of a distributed run on 1, 2 and 4
 * `tau worker` processes against a model server answering after 200 ms (target: near-linear,
 * each worker plays 4 episodes at once), and the failover time after a SIGKILL: from the kill of
 * a worker playing episodes to the first of them resumed by another worker.
 *
 *   node_modules/.bin/node packages/cli/bench/main.ts cluster
 */
import type { ChildProcess } from "node:child_process"
import { demoBrain, startFakeLlmServer } from "@tau-sim/models/testing"
import { postgresBinDir, startPostgres } from "@tau-sim/store-pg/testing"
import { spawnTau } from "../../cli/test/tau.ts"

const PER_WORKER = 4

interface Proc {
  readonly child: ChildProcess
  readonly stderr: () => string
  readonly until: (re: RegExp) => Promise<number>
  readonly exit: Promise<number | null>
}

/** A `tau` process; `until(re)` resolves with the time (ms) its standard error first showed a line matching. */
const start = (args: ReadonlyArray<string>, cwd: string): Proc => {
  const child = spawnTau(args, cwd)
  let stderr = ""
  const waiters: Array<{ re: RegExp; resolve: (t: number) => void }> = []
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d
    const now = performance.now()
    for (const w of [...waiters])
      if (w.re.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(now)
      }
  })
  child.stdout?.resume()
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
  return {
    child,
    stderr: () => stderr,
    until: (re) => (re.test(stderr) ? Promise.resolve(performance.now()) : new Promise((resolve) => waiters.push({ re, resolve }))),
    exit,
  }
}

const inFlight = (log: string): Set<string> => {
  const open = new Set<string>()
  for (const line of log.split("\n")) {
    const id = /^episode (ep_\w+) /.exec(line)?.[1]
    if (!id) continue
    if (/: (started|resumed from event \d+)$/.test(line)) open.add(id)
    else if (/: \w+, reward /.test(line)) open.delete(id)
  }
  return open
}

export const benchCluster = async (options: { readonly dir: string }) => {
  const found = postgresBinDir()
  if ("missing" in found) return { skipped: found.missing }
  const pg = await startPostgres(found.bin)
  const server = await startFakeLlmServer({ brain: demoBrain, latencyMs: 200 })
  const model = `compat:demo@${server.baseURL}`
  const runArgs = (db: string, runId: string, trials: number) => [
    "run",
    "--domain",
    "demo",
    "--task-ids",
    "renew_loan,link_card_in_app",
    "--agent",
    model,
    "--user",
    model,
    "--trials",
    String(trials),
    "--run-id",
    runId,
    "--db",
    db,
    "--distributed",
  ]
  const procs: Proc[] = []
  try {
    const throughput: Record<string, unknown> = {}
    for (const n of [1, 2, 4]) {
      const db = pg.createDatabase(`bench_${n}`)
      const workers = Array.from({ length: n }, () => start(["worker", "--db", db, "--max-concurrency", String(PER_WORKER)], options.dir))
      procs.push(...workers)
      await Promise.all(workers.map((w) => w.until(/joined the cluster/)))
      // Each worker's share: 8 episodes, two rounds of its 4 slots.
      const episodes = 8 * n
      const t0 = performance.now()
      const submit = start(runArgs(db, `bench_${n}`, episodes / 2), options.dir)
      procs.push(submit)
      const code = await submit.exit
      const seconds = (performance.now() - t0) / 1000
      if (code !== 0) throw new Error(`distributed run on ${n} workers failed:\n${submit.stderr()}`)
      throughput[`workers_${n}`] = { episodes, seconds: Number(seconds.toFixed(2)), episodes_per_s: Number((episodes / seconds).toFixed(2)) }
      for (const w of workers) w.child.kill("SIGTERM")
      await Promise.all(workers.map((w) => w.exit))
    }

    // Failover: two workers; kill the one playing episodes, time until another resumes one of them.
    const db = pg.createDatabase("bench_failover")
    const workers = [0, 1].map(() => start(["worker", "--db", db, "--max-concurrency", String(PER_WORKER)], options.dir))
    procs.push(...workers)
    await Promise.all(workers.map((w) => w.until(/joined the cluster/)))
    const submit = start(runArgs(db, "bench_failover", 8), options.dir)
    procs.push(submit)
    await submit.until(/^\[2\/16\] /m)
    const victim = workers.find((w) => inFlight(w.stderr()).size > 0) ?? workers[0]
    const survivor = workers.find((w) => w !== victim) as Proc
    const lost = [...inFlight(victim.stderr())]
    const killedAt = performance.now()
    victim.child.kill("SIGKILL")
    const resumedAt = await survivor.until(new RegExp(`episode (${lost.join("|")}) .*: resumed from event`))
    const code = await submit.exit
    if (code !== 0) throw new Error(`failover run failed:\n${submit.stderr()}`)
    survivor.child.kill("SIGTERM")
    await survivor.exit
    return {
      model_latency_ms: 200,
      episodes_at_once_per_worker: PER_WORKER,
      throughput,
      failover_after_sigkill_s: Number(((resumedAt - killedAt) / 1000).toFixed(2)),
      failover_episodes_in_flight: lost.length,
    }
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL")
    await server.close()
    pg.stop()
  }
}
