/**
 * Distributed runs (issue 17, ADR 0009) through the real CLI: `tau worker` processes on a throwaway
 * PostgreSQL, episodes against the local model server (`@tau-sim/models/testing`, which answers in
 * the provider wire format on 127.0.0.1), faults made with real signals:
 *
 * - an experiment of 60 episodes on three workers, one SIGKILLed while it is playing episodes and
 *   a fourth started after: the stored result is a single-process run's (same episodes, same kinds
 *   of events in the same order, one score each), no model call that was recorded is made
 *   again, every episode verifies, and the cluster's rows are gone after;
 * - the submitter stopped, then a worker drained with SIGTERM mid-run: the work goes on without
 *   the submitter, the drained worker hands its episodes over at a hop boundary, and `--follow`
 *   re-attaches and prints the rest;
 * - cluster-wide provider concurrency: two workers, a cap of 2 turns in flight, held at the server;
 * - a process with another shard count refuses to join, naming both counts;
 * - a model NL judge is refused with --distributed (not carried to the workers);
 * - a local --resume of a run the workers play is refused (naming --follow), and after a SIGKILL the
 *   submitter's model-call total is the stored calls of every delivery;
 * - --follow carries --retry-errors and --max-attempts to the workers;
 * - a bad TAU_CLUSTER_SHARDS is a clean error before a run is stored.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import { openPostgresStore } from "@tau-sim/store-pg"
import { needsPostgres } from "@tau-sim/store-pg/testing"
import { demoBrain, type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import { Effect } from "effect"
import { afterAll, afterEach, beforeAll, expect, it } from "vitest"
import { finished, readRun, spawnTau, type StoredRun, storedRun, tau, tempDir } from "./tau.ts"

const pg = needsPostgres()
const tmp = tempDir("cluster")
/** Every process this file starts, stopped at the end whatever happened. */
const children = new Set<ChildProcess>()
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
  children.clear()
})
afterAll(tmp.dispose)

/** A running `tau` process whose standard error is collected; `waitFor` resolves at the first line matching. */
const started = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env) => {
  const child = spawnTau(args, tmp.root, env)
  children.add(child)
  let stderr = ""
  let stdout = ""
  const waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = []
  const check = () => {
    for (const w of [...waiters]) {
      const line = stderr.split("\n").find((l) => w.re.test(l))
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  }
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d
    check()
  })
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })))
  return {
    child,
    exit,
    stderr: () => stderr,
    stdout: () => stdout,
    /** Resolves with the first line of standard error matching `re` (now or later); rejects if the process ends first. */
    waitFor: (re: RegExp) =>
      Promise.race([
        new Promise<string>((resolve) => {
          waiters.push({ re, resolve })
          check()
        }),
        exit.then((e) => {
          // A line written just before the exit still counts.
          const line = stderr.split("\n").find((l) => re.test(l))
          if (line !== undefined) return line
          throw new Error(`exited (${e.code ?? e.signal}) before a line matching ${re}:\n${stderr}`)
        }),
      ]),
  }
}
type Proc = ReturnType<typeof started>

const startWorker = async (db: string, concurrency: number, env?: NodeJS.ProcessEnv): Promise<Proc> => {
  const w = started(["worker", "--db", db, "--max-concurrency", String(concurrency)], env)
  await w.waitFor(/joined the cluster/)
  return w
}

/** Episodes a worker's log shows started or resumed and not yet ended. */
const inFlight = (log: string): Set<string> => {
  const open = new Set<string>()
  for (const line of log.split("\n")) {
    const id = /^episode (ep_\w+) /.exec(line)?.[1]
    if (!id) continue
    if (/: (started|resumed from event \d+)$/.test(line)) open.add(id)
    else if (/: \w+, reward /.test(line) || /handed over|interrupted \(its shard moved/.test(line)) open.delete(id)
  }
  return open
}

/** Episodes the workers' logs show ended. */
const ended = (procs: ReadonlyArray<Proc>): number => procs.reduce((n, p) => n + (p.stderr().match(/: user_stop, reward/g)?.length ?? 0), 0)

/** Resolves once the workers' logs show `n` ended episodes (checked as their output arrives). */
const untilEnded = (procs: ReadonlyArray<Proc>, n: number): Promise<void> =>
  new Promise((resolve) => {
    const check = () => {
      if (ended(procs) < n) return
      for (const p of procs) p.child.stderr?.off("data", check)
      resolve()
    }
    for (const p of procs) p.child.stderr?.on("data", check)
    check()
  })

const storedPgRun = async (url: string, runId: string): Promise<StoredRun> => {
  const { store, close } = await openPostgresStore(url, { mustExist: true })
  try {
    return await Effect.runPromise(readRun(store, runId))
  } finally {
    await close()
  }
}

/** What must be the same in two runs of one configuration: per (task, trial), the end, the reward, the event kinds in order (each model call one), and one score. */
const shape = (run: StoredRun) =>
  Object.fromEntries(
    run.rows.map((r) => [
      `${r.taskId}#${r.trial}`,
      {
        episode: r.episodeId,
        status: r.status,
        reason: r.terminationReason,
        reward: r.reward,
        scores: run.scores[r.episodeId].length,
        // Kinds, not request hashes: the model server numbers tool call ids in arrival order, so requests differ between any two runs.
        events: run.events[r.episodeId].map((e) => e.event._tag),
      },
    ]),
  )

const modelCalls = (run: StoredRun): number =>
  Object.values(run.events).reduce((n, events) => n + events.filter((e) => e.event._tag === "ModelCalled").length, 0)

let server: FakeLlmServer
beforeAll(async () => {
  // Latency so that a worker is caught with episodes in flight.
  server = await startFakeLlmServer({ brain: demoBrain, latencyMs: 60 })
})
afterAll(() => server.close())

const experimentFile = (name: string, trials: number): string => {
  const model = `compat:demo@${server.baseURL}`
  const file = tmp.file(`${name}.yaml`)
  fs.writeFileSync(
    file,
    [
      `name: ${name}`,
      "domains: [demo]",
      "modes: [default]",
      `agents: [${JSON.stringify(model)}]`,
      `users: [${JSON.stringify(model)}]`,
      `trials: ${trials}`,
      "tasks: {ids: [renew_loan, link_card_in_app]}",
      "max_concurrency: 8",
      "",
    ].join("\n"),
  )
  return file
}

pg.describe("distributed runs on tau worker", () => {
  it("an experiment of 60 episodes survives a SIGKILLed worker and a joining one, and equals a single-process run", async () => {
    const file = experimentFile("cluster-exp", 30)
    // The single-process run of the same experiment: what the cluster must store.
    const single = tmp.db()
    const local = await tau(["experiment", file, "--db", single, "--json"], tmp.root)
    expect(local.code, local.stderr).toBe(0)
    const cell = (JSON.parse(local.stdout) as { runs: Array<{ run_id: string }> }).runs[0].run_id
    const expected = await storedRun(single, cell)
    expect(expected.rows).toHaveLength(60)

    const db = pg.server().createDatabase("cluster_exp")
    const workers = [await startWorker(db, 3), await startWorker(db, 3), await startWorker(db, 3)]
    const callsBefore = server.calls.length
    const submit = started(["experiment", file, "--db", db, "--distributed", "--json"])
    // Mid-run: some episodes have ended, and the victim is playing some now.
    await submit.waitFor(/\[10\] /)
    const victim = workers.find((w) => inFlight(w.stderr()).size > 0) ?? workers[0]
    const lost = inFlight(victim.stderr())
    victim.child.kill("SIGKILL")
    const killed = await victim.exit
    expect(killed.signal).toBe("SIGKILL")
    const late = await startWorker(db, 3)
    const result = await submit.exit
    expect(result.code, submit.stderr()).toBe(0)
    expect((JSON.parse(submit.stdout()) as { runs: Array<{ episodes: number }> }).runs[0].episodes).toBe(60)
    // The same progress lines as a local run: one per episode.
    expect(submit.stderr().match(/^ {2}\[\d+\] \w+ trial \d+: user_stop, reward 1\.00/gm)).toHaveLength(60)

    const got = await storedPgRun(db, cell)
    // Nothing lost, nothing doubled: the same 60 episodes, each with the same events and requests and one score.
    expect(shape(got)).toEqual(shape(expected))
    // The killed worker's episodes were continued by the others from their last stored event.
    const survivors = [...workers.filter((w) => w !== victim), late].map((w) => w.stderr()).join("\n")
    // (One killed before its first append, just after its "started" line, starts afresh there; one
    // that ended just before the kill, its line unwritten, is only scored or checked there.)
    expect(lost.size).toBeGreaterThan(0)
    for (const id of lost) expect(survivors).toMatch(new RegExp(`episode ${id} .*: (resumed from event \\d+|started|scoring or checking \\(already ended\\))`))
    expect([...lost].some((id) => new RegExp(`episode ${id} .*: resumed from event \\d+`).test(survivors))).toBe(true)
    // No recorded call was made again: the server saw the recorded calls, plus at most one call per
    // redelivery of an episode (the one in flight, unrecorded, when its runner died or its shard moved
    // to the joining worker).
    const sent = server.calls.length - callsBefore
    const redeliveries = [...workers, late].reduce((n, w) => n + (w.stderr().match(/: resumed from event \d+/g)?.length ?? 0), 0)
    expect(modelCalls(got)).toBe(modelCalls(expected))
    expect(sent - modelCalls(got)).toBeGreaterThanOrEqual(0)
    expect(sent - modelCalls(got)).toBeLessThanOrEqual(redeliveries)

    const verify = await tau(["replay", "--all", "--verify", "--db", db], tmp.root)
    expect(verify.code, verify.stderr).toBe(0)
    expect(verify.stdout).toMatch(/60 episodes replayed, 60 verified, 0 with findings/)
    // The experiment leaves nothing in the cluster's tables.
    expect(pg.server().psql("cluster_exp", "SELECT count(*) FROM cluster_messages").trim()).toBe("0")
    expect(pg.server().psql("cluster_exp", "SELECT count(*) FROM cluster_replies").trim()).toBe("0")
    for (const w of [...workers, late]) if (w !== victim) w.child.kill("SIGTERM")
  }, 180_000)

  it("keeps running without its submitter, drains a SIGTERMed worker at a hop boundary, and --follow re-attaches", async () => {
    const db = pg.server().createDatabase("cluster_follow")
    const a = await startWorker(db, 4)
    const b = await startWorker(db, 4)
    const model = `compat:demo@${server.baseURL}`
    const args = ["run", "--domain", "demo", "--task-ids", "renew_loan,link_card_in_app", "--agent", model, "--user", model, "--trials", "12"]
    const submit = started([...args, "--run-id", "run_follow", "--db", db, "--distributed"])
    await submit.waitFor(/^\[2\/24\] /)
    submit.child.kill("SIGTERM")
    const stopped = await submit.exit
    expect(stopped.code).toBe(143)
    expect(submit.stderr()).toMatch(/continue with: tau run --follow run_follow/)
    // Work goes on without the submitter: the workers end more episodes after it stopped.
    const endedSoFar = ended([a, b])
    await untilEnded([a, b], endedSoFar + 1)
    // Drain the worker that is playing something: its episodes are handed over at their next turn.
    const drained = inFlight(a.stderr()).size > 0 ? a : b
    const other = drained === a ? b : a
    const playing = inFlight(drained.stderr())
    drained.child.kill("SIGTERM")
    const left = await drained.exit
    expect(left.code).toBe(143)
    expect(drained.stderr()).toMatch(/draining/)
    // Each episode it was playing ended, was handed over, or had gone with its shard to the other worker (a join rebalances).
    for (const id of playing)
      expect(drained.stderr()).toMatch(new RegExp(`episode ${id} .*(handed over after its current hop|user_stop, reward|interrupted \\(its shard moved)`))

    const follow = await tau(["run", "--follow", "run_follow", "--db", db], tmp.root)
    expect(follow.code, follow.stderr).toBe(0)
    expect(follow.stdout).toMatch(/run run_follow: 24 episodes, average reward 1\.00/)
    const got = await storedPgRun(db, "run_follow")
    expect(got.rows).toHaveLength(24)
    expect(got.rows.every((r) => r.status === "ended" && got.scores[r.episodeId].length === 1)).toBe(true)
    const handedOver = [...(drained.stderr().matchAll(/episode (ep_\w+) .*handed over/g) ?? [])].map((m) => m[1])
    for (const id of handedOver) expect(other.stderr()).toMatch(new RegExp(`episode ${id} .*: resumed from event \\d+`))
    const verify = await tau(["replay", "--all", "--verify", "--db", db], tmp.root)
    expect(verify.code, verify.stderr).toBe(0)
    other.child.kill("SIGTERM")
  }, 120_000)

  it("holds a provider's concurrency cap across workers", async () => {
    const db = pg.server().createDatabase("cluster_caps")
    let inflight = 0
    let most = 0
    server.setBrain(async (call, index) => {
      inflight++
      most = Math.max(most, inflight)
      await new Promise((r) => setTimeout(r, 30))
      inflight--
      return demoBrain(call, index)
    })
    try {
      const workers = [await startWorker(db, 4), await startWorker(db, 4)]
      const model = `compat:demo@${server.baseURL}`
      const run = await tau(
        ["run", "--domain", "demo", "--task-ids", "renew_loan,link_card_in_app", "--agent", model, "--user", model, "--trials", "6"].concat([
          "--db",
          db,
          "--distributed",
          "--provider-concurrency",
          "compat=2",
        ]),
        tmp.root,
      )
      expect(run.code, run.stderr).toBe(0)
      // Eight episodes could call at once; the cap let two, and two did (the limit was reached, not idle).
      expect(most).toBe(2)
      for (const w of workers) w.child.kill("SIGTERM")
    } finally {
      server.setBrain(demoBrain)
    }
  }, 120_000)

  it("refuses a model --nl-judge with --distributed (the workers would score every NL assertion as met), before anything is stored", async () => {
    const db = pg.server().createDatabase("cluster_judge")
    const model = `compat:demo@${server.baseURL}`
    const base = ["run", "--domain", "demo", "--task-ids", "renew_loan", "--agent", model, "--user", model, "--db", db, "--distributed"]
    const r = await tau([...base, "--run-id", "run_judged", "--nl-judge", model], tmp.root)
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain(`--nl-judge ${model} is not carried to the workers of a --distributed run`)
    expect(pg.server().psql("cluster_judge", "SELECT count(*) FROM runs WHERE run_id = 'run_judged'").trim()).toBe("0")
  }, 60_000)

  it("refuses a process whose shard count is not the cluster's", async () => {
    const db = pg.server().createDatabase("cluster_shards")
    const w = await startWorker(db, 1)
    const other = await finished(spawnTau(["worker", "--db", db], tmp.root, { ...process.env, TAU_CLUSTER_SHARDS: "7" }))
    expect(other.code).toBe(1)
    expect(other.stderr).toMatch(/the cluster in postgres:\/\/127\.0\.0\.1:\d+\/cluster_shards has 64 shards, this process 7/)
    expect(other.stderr).not.toContain(pg.server().password)
    w.child.kill("SIGTERM")
  }, 60_000)

  it("refuses a local --resume of a run the workers play, and totals every delivery's model calls after a SIGKILL", async () => {
    const db = pg.server().createDatabase("cluster_guard")
    const workers = [await startWorker(db, 3), await startWorker(db, 3)]
    const model = `compat:demo@${server.baseURL}`
    const args = ["run", "--domain", "demo", "--task-ids", "renew_loan,link_card_in_app", "--agent", model, "--user", model, "--trials", "6"]
    // The server holds every call after the first 16: the episodes are caught mid-play, with calls stored.
    let release = () => {}
    const gate = new Promise<void>((r) => (release = r))
    let holding = () => {}
    const held = new Promise<void>((r) => (holding = r))
    let n = 0
    let lost = new Set<string>()
    let dead = workers[0]
    let out = ""
    server.setBrain(async (call, index) => {
      if (++n > 16) {
        holding()
        await gate
      }
      return demoBrain(call, index)
    })
    try {
      const submit = started([...args, "--run-id", "run_guard", "--db", db, "--distributed"])
      await held
      // A plain resume here would play the episodes the workers play (version conflicts, repeated calls).
      const local = await tau(["run", "--resume", "run_guard", "--db", db], tmp.root)
      expect(local.code, local.stderr).toBe(1)
      expect(local.stderr).toMatch(
        /run run_guard has \d+ episodes? still queued or playing on the cluster's workers .*tau run --follow run_guard --db postgres:\/\//,
      )
      // Failover: the killed worker's stored calls count in the run's totals too.
      const victim = workers.find((w) => inFlight(w.stderr()).size > 0) ?? workers[0]
      lost = inFlight(victim.stderr())
      dead = victim
      victim.child.kill("SIGKILL")
      await victim.exit
      release()
      const result = await submit.exit
      expect(result.code, submit.stderr()).toBe(0)
      out = submit.stdout()
    } finally {
      server.setBrain(demoBrain)
    }
    const got = await storedPgRun(db, "run_guard")
    expect(got.rows).toHaveLength(12)
    const survivor = workers.find((w) => w !== dead)?.stderr() ?? ""
    // Some lost episode had model calls stored by the killed worker before it resumed elsewhere.
    const resumedAt = [...lost].map((id) => Number(new RegExp(`episode ${id} .*: resumed from event (\\d+)`).exec(survivor)?.[1] ?? 0))
    expect(Math.max(0, ...resumedAt)).toBeGreaterThanOrEqual(3)
    expect(out).toMatch(new RegExp(`model calls: ${modelCalls(got)},`))
    for (const w of workers) if (w !== dead) w.child.kill("SIGTERM")
  }, 120_000)

  it("re-attaching carries --retry-errors and --max-attempts to the workers", async () => {
    const db = pg.server().createDatabase("cluster_retry")
    const w = await startWorker(db, 2)
    const model = `compat:demo@${server.baseURL}`
    const run = (id: string, ...more: ReadonlyArray<string>) =>
      tau(
        ["run", "--domain", "demo", "--task-ids", "renew_loan", "--agent", model, "--user", model, "--model-retries", "0", "--run-id", id, "--db", db, ...more],
        tmp.root,
      )
    server.setBrain(() => ({ type: "error", status: 500 }))
    try {
      for (const id of ["run_retry_errors", "run_retry_attempts"]) {
        const failed = await run(id, "--distributed", "--max-attempts", "1")
        expect(failed.stdout + failed.stderr).toMatch(/infrastructure_error/)
      }
    } finally {
      server.setBrain(demoBrain)
    }
    const retried = await tau(["run", "--follow", "run_retry_errors", "--retry-errors", "--db", db], tmp.root)
    expect(retried.code, retried.stderr).toBe(0)
    expect(retried.stdout).toMatch(/run run_retry_errors: 1 episodes?, average reward 1\.00/)
    const more = await tau(["run", "--follow", "run_retry_attempts", "--max-attempts", "2", "--db", db], tmp.root)
    expect(more.code, more.stderr).toBe(0)
    expect(more.stdout).toMatch(/run run_retry_attempts: 1 episodes?, average reward 1\.00/)
    w.child.kill("SIGTERM")
  }, 120_000)

  it("a bad TAU_CLUSTER_SHARDS is a clean error before anything is stored", async () => {
    const db = pg.server().createDatabase("cluster_bad_shards")
    const model = `compat:demo@${server.baseURL}`
    const r = await finished(
      spawnTau(
        ["run", "--domain", "demo", "--task-ids", "renew_loan", "--agent", model, "--user", model, "--run-id", "run_bad", "--db", db, "--distributed"],
        tmp.root,
        {
          ...process.env,
          TAU_CLUSTER_SHARDS: "abc",
        },
      ),
    )
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toMatch(/^error: TAU_CLUSTER_SHARDS must be a whole number ≥ 1 .*got "abc"/m)
    expect(pg.server().psql("cluster_bad_shards", "SELECT count(*) FROM runs WHERE run_id = 'run_bad'").trim()).toBe("0")
  }, 60_000)
})
