/**
 * `pnpm bench` entry `critical`: critical-turn samples per second for a scripted 20-turn demo
 * episode (10 tool calls, each a call and its answer), over a 1 MB and a 50 MB database. A sample
 * at the last turn keeps the whole prefix (one start event folded onto the parent's state) and
 * plays one message: its cost should not depend on the database's size.
 *
 * `adaptive`: on a `noisy-oracle:0.3` demo episode lost at a skip, what `--adaptive` makes of the
 * same sample budget as a uniform analysis (8 a turn): samples beside the drop, the drop's interval
 * width, whether the critical turn is the skip's; and, unbudgeted, how many samples it takes
 * before no rival drop is left, against K at every turn.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { layerSqlite, mutates, NOISY_ORACLE_SKIP, ParticipantFactory, type TrajectoryMessage } from "@tau-sim/engine"
import { builtinDomains } from "@tau-sim/domains"
import { makeDemoDomain } from "@tau-sim/domains/demo"
import { type CriticalResult, runCritical } from "@tau-sim/runs"
import { playBenchEpisode } from "./bench-episode.ts"

const SAMPLES = 4
const TAIL_SAMPLES = 30

const benchOne = async (dir: string, members: number, label: string) => {
  const domain = { ...makeDemoDomain(members), name: `demo-critical-${label}` }
  // A task whose gold changes nothing, and reads only: scoring replays the gold's and the episode's
  // calls, and the demo's write tools copy a whole table (renew_loan: ~100 ms at 50 MB), which
  // would measure the demo's tools rather than the samples.
  const task = domain.tasks.find((t) => t.id === "checkout_unavailable") ?? domain.tasks[0]
  const agentFile = path.join(dir, `critical-agent-${label}.json`)
  const userFile = path.join(dir, `critical-user-${label}.json`)
  const calls = Array.from({ length: 10 }, (_, i) => ({ name: "get_member_details", arguments: { member_id: `M00${(i % 9) + 1}` } }))
  fs.writeFileSync(agentFile, JSON.stringify([...calls.map((c) => ({ tool_calls: [c] })), { text: "All done." }]))
  fs.writeFileSync(userFile, JSON.stringify([{ text: "Hi, I need some help." }, { text: "###STOP###" }]))
  const agent = `scripted:${agentFile}`
  const user = `scripted:${userFile}`
  const db = path.join(dir, `critical-${label}.db`)
  const program = Effect.gen(function* () {
    const factory = yield* ParticipantFactory
    const participants = { agent: yield* factory.make(agent, "agent"), user: yield* factory.make(user, "user") }
    const final = yield* playBenchEpisode({ runId: "bench-critical", episodeId: "parent", domain, task, ...participants })
    const t0 = performance.now()
    const result = yield* runCritical({ episodeId: "parent", samples: SAMPLES, maxConcurrency: 1 })
    const seconds = (performance.now() - t0) / 1000
    // Samples at the last turn: the whole prefix is kept and one message is played, so this is the prefix's cost (plus scoring).
    const last = final.trajectory.length - 1
    const t1 = performance.now()
    const tail = yield* runCritical({ episodeId: "parent", samples: TAIL_SAMPLES, turns: { from: last, to: last }, maxConcurrency: 1 })
    const tailMs = (performance.now() - t1) / tail.finished
    return { turns: result.turns.length, samples: result.finished, seconds, tailMs }
  })
  const r = await Effect.runPromise(program.pipe(Effect.provide([layerSqlite(db), builtinDomains([domain]), ParticipantFactory.builtin])))
  return {
    database_bytes: JSON.stringify(domain.initialWorld).length,
    analysed_turns: r.turns,
    samples: r.samples,
    samples_per_s: Number((r.samples / r.seconds).toFixed(1)),
    last_turn_sample_ms: Number(r.tailMs.toFixed(2)),
  }
}

/** The turn of the first skip, when a write was performed before it (so the estimate moves before it drops). */
const skipAfterWrite = (trajectory: ReadonlyArray<TrajectoryMessage>, writes: ReadonlySet<string>): number | null => {
  const calls = trajectory.flatMap((m, turn) => (m.role === "assistant" ? (m.toolCalls ?? []).map((c) => ({ turn, name: c.name })) : []))
  const skip = calls.findIndex((c) => c.name === NOISY_ORACLE_SKIP)
  return skip > 0 && calls.slice(0, skip).some((c) => writes.has(c.name)) ? calls[skip].turn : null
}

const benchAdaptive = async (dir: string) => {
  const domain = makeDemoDomain()
  const task = domain.tasks.find((t) => t.id === "pay_unblock_and_borrow") ?? domain.tasks[0]
  const agent = "noisy-oracle:0.3"
  const user = "scripted"
  const db = path.join(dir, "critical-adaptive.db")
  const K = 30
  const writes = new Set(domain.agentToolkit.tools.filter(mutates).map((t) => t.name))
  const program = Effect.gen(function* () {
    const factory = yield* ParticipantFactory
    // The first seed whose episode is lost at a skip after a write (the seeds are fixed: the same episode every time).
    for (let seed = 1; seed < 200; seed++) {
      const episodeId = `parent-${seed}`
      const participants = { agent: yield* factory.make(agent, "agent"), user: yield* factory.make(user, "user") }
      const final = yield* playBenchEpisode({ runId: "bench-adaptive", episodeId, domain, task, ...participants, seed })
      const skipTurn = skipAfterWrite(final.trajectory, writes)
      if (skipTurn === null) continue
      const turns = final.trajectory.filter((m) => !m.setup).length
      const budget = turns * 8
      const uniform = yield* runCritical({ episodeId, samples: K, maxSamples: budget })
      const adaptive = yield* runCritical({ episodeId, samples: K, maxSamples: budget, adaptive: true })
      const t0 = performance.now()
      const settled = yield* runCritical({ episodeId, samples: K, adaptive: true })
      const settledSeconds = (performance.now() - t0) / 1000
      return { seed, turns, skipTurn, budget, uniform, adaptive, settled, settledSeconds }
    }
    return null
  })
  const r = await Effect.runPromise(program.pipe(Effect.provide([layerSqlite(db), builtinDomains([domain]), ParticipantFactory.builtin])))
  if (r === null) return { error: "no seed below 200 gave an episode lost at a skip after a write" }
  const next = (a: CriticalResult) => a.turns[a.turns.findIndex((t) => t.turn === r.skipTurn) + 1]?.turn
  const beside = (a: CriticalResult) => a.turns.filter((t) => t.turn === r.skipTurn || t.turn === next(a)).reduce((n, t) => n + t.samples, 0)
  const width = (a: CriticalResult) => (a.drop_ci_high === null || a.drop_ci_low === null ? null : Number((a.drop_ci_high - a.drop_ci_low).toFixed(3)))
  const summary = (a: CriticalResult) => ({
    samples: a.finished,
    samples_beside_the_drop: beside(a),
    drop_ci_width: width(a),
    critical_turn_is_the_skip: a.critical_turn === r.skipTurn,
  })
  return {
    episode: { seed: r.seed, analysed_turns: r.turns, skip_turn: r.skipTurn },
    same_budget: { max_samples: r.budget, uniform: summary(r.uniform), adaptive: summary(r.adaptive) },
    unbudgeted_adaptive: { ...summary(r.settled), of_all: r.turns * K, samples_per_s: Number((r.settled.finished / r.settledSeconds).toFixed(1)) },
  }
}

export const benchCritical = async (options: { readonly dir: string }) => {
  const small = await benchOne(options.dir, 3_200, "1mb")
  const large = await benchOne(options.dir, 155_000, "50mb")
  const adaptive = await benchAdaptive(options.dir)
  return { small, large, last_turn_ratio_large_over_small: Number((large.last_turn_sample_ms / small.last_turn_sample_ms).toFixed(2)), adaptive }
}
