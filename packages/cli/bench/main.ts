/**
 * `pnpm bench`: performance numbers as one JSON document on stdout (progress on stderr).
 * Targets live here, never in timed unit tests.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { layerSqlite, ParticipantFactory, scriptedParticipant } from "@tau-sim/engine"
import { makeDemoDomain } from "@tau-sim/domains/demo"
import { forkEpisode } from "@tau-sim/runs"
import { builtinDomains } from "@tau-sim/domains"
import { playBenchEpisode } from "./bench-episode.ts"

const log = (s: string) => process.stderr.write(`${s}\n`)
const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, node: process.version } }
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tau-bench-"))
/** `pnpm bench <section>…` runs only the named sections (all when none is named). */
const only = process.argv.slice(2).filter((a) => a !== "--")
const wanted = (name: string) => only.length === 0 || only.includes(name)

const optional = async (name: string, file: string, run: (mod: Record<string, unknown>) => Promise<unknown> | unknown) => {
  if (!wanted(name)) return
  if (!fs.existsSync(new URL(file, import.meta.url))) {
    results[name] = { skipped: `${file} not present` }
    return
  }
  log(`bench: ${name}`)
  try {
    results[name] = await run(await import(file))
  } catch (e) {
    results[name] = { error: e instanceof Error ? e.message : String(e) }
  }
}

/** Fork latency at turn 20 over a demo database of the given size (base loaded once, like a real process). */
const forkLatency = async (members: number, label: string) => {
  const domain = { ...makeDemoDomain(members), name: `demo-${label}` }
  const bytes = JSON.stringify(domain.initialWorld).length
  const task = domain.tasks[0]
  const turns = Array.from({ length: 15 }, (_, i) => ({
    text: null,
    toolCalls: [
      { name: i % 3 === 0 ? "renew_loan" : "get_member_details", argumentsJson: i % 3 === 0 ? '{"loan_id":"L001"}' : `{"member_id":"M00${(i % 9) + 1}"}` },
    ],
  }))
  const agent = scriptedParticipant("bench-agent", [...turns, { text: "Done.", toolCalls: [] }])
  const user = scriptedParticipant(
    "bench-user",
    Array.from({ length: 40 }, () => ({ text: "ok", toolCalls: [] })),
  )
  const db = path.join(tmp, `fork-${label}.db`)
  const program = Effect.gen(function* () {
    yield* playBenchEpisode({ runId: "bench", episodeId: "parent", domain, task, agent, user })
    const n = 30
    yield* forkEpisode("parent", { atTurn: 20, noContinue: true })
    const t0 = performance.now()
    for (let i = 0; i < n; i++) yield* forkEpisode("parent", { atTurn: 20, noContinue: true })
    return (performance.now() - t0) / n
  })
  const ms = await Effect.runPromise(program.pipe(Effect.provide([layerSqlite(db), builtinDomains([domain]), ParticipantFactory.builtin])))
  return { database_bytes: bytes, fork_at_turn_20_ms: Number(ms.toFixed(3)) }
}

if (wanted("fork")) {
  log("bench: fork latency (1 MB and 50 MB databases)")
  const small = await forkLatency(3_200, "1mb")
  const large = await forkLatency(155_000, "50mb")
  results.fork = { small, large, ratio_large_over_small: Number((large.fork_at_turn_20_ms / small.fork_at_turn_20_ms).toFixed(2)) }
}

await optional("startup", "./startup.ts", (m) => (m.benchStartup as (o: object) => unknown)({ dir: tmp }))
await optional("evaluate_trajs_whole_process", "./evaluate-trajs.ts", (m) => (m.benchEvaluateTrajs as (o: object) => unknown)({ dir: tmp }))
await optional("event_store", "../../engine/bench/store.ts", (m) => (m.benchStore as (o: object) => unknown)({ events: 200_000, dir: tmp }))
await optional("domain_load_ms", "../../domains/bench/load.ts", (m) => (m.benchDomainLoad as () => unknown)())
await optional("retail_tool_calls_per_s", "../../domains/bench/retail.ts", (m) => (m.retailToolThroughput as () => unknown)())
await optional("models", "../../models/bench/overhead.ts", (m) => (m.benchModels as (o: object) => unknown)({ dir: tmp }))
await optional("stored_bytes", "./stored-bytes.ts", (m) => (m.benchStoredBytesEntry as (o: object) => unknown)({ dir: tmp }))
await optional("rescore_episodes_per_s", "../../evaluators/bench/rescore.ts", (m) => (m.benchRescore as () => unknown)())
await optional("viewer", "../../viewer/bench/api.ts", (m) => (m.benchViewer as (o: object) => unknown)({ episodes: 100_000, dir: tmp }))
await optional("critical", "./critical.ts", (m) => (m.benchCritical as (o: object) => unknown)({ dir: tmp }))
await optional("concurrency", "./concurrency.ts", (m) => (m.benchConcurrency as (o: object) => unknown)({ dir: tmp }))
await optional("big_records", "./big-records.ts", (m) => (m.benchBigRecords as (o: object) => unknown)({ dir: tmp }))
await optional("offline_run", "./offline-run.ts", (m) => (m.benchOfflineRun as (o: object) => unknown)({ dir: tmp }))
await optional("cluster", "../../cluster/bench/cluster.ts", (m) => (m.benchCluster as (o: object) => unknown)({ dir: tmp }))

fs.rmSync(tmp, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
