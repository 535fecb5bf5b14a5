/**
 * `pnpm bench` entry `critical`: critical-turn samples per second for a scripted 20-turn demo
 * episode (10 tool calls, each a call and its answer), over a 1 MB and a 50 MB database. A sample
 * at the last turn keeps the whole prefix (one start event folded onto the parent's state) and
 * plays one message: its cost should not depend on the database's size.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { Events, EventStore, foldHistory, layerSqlite, ParticipantFactory, playEpisode, setupEvents, taskHash } from "@tau-sim/engine"
import { builtinDomains } from "@tau-sim/domains"
import { makeDemoDomain } from "@tau-sim/domains/demo"
import { runCritical } from "@tau-sim/runs"

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
    const store = yield* EventStore
    const started = Events.episodeStarted({
      runId: "bench-critical",
      episodeId: "parent",
      domain: domain.name,
      taskId: task.id,
      trial: 0,
      hashes: { ...domain.hashes, task: taskHash(task) },
      dataDir: null,
      policyVariant: "default",
      mode: "default",
      agent,
      user,
      seed: 1,
      limits: { maxSteps: 200, maxErrors: 10 },
      engineVersion: "bench",
      parent: null,
    })
    const setup = setupEvents(started, domain, task)
    yield* store.append("parent", 0, setup)
    const participants = { agent: yield* (yield* ParticipantFactory).make(agent, "agent"), user: yield* (yield* ParticipantFactory).make(user, "user") }
    const final = yield* playEpisode("parent", foldHistory(domain, setup), domain, task, participants)
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

export const benchCritical = async (options: { readonly dir: string }) => {
  const small = await benchOne(options.dir, 3_200, "1mb")
  const large = await benchOne(options.dir, 155_000, "50mb")
  return { small, large, last_turn_ratio_large_over_small: Number((large.last_turn_sample_ms / small.last_turn_sample_ms).toFixed(2)) }
}
