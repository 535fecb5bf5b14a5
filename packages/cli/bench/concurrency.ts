/**
 * Concurrency (issue 13 target 4): 64 and 512 concurrent demo episodes, agent and user both model
 * participants, against a model server process on 127.0.0.1 that answers in the OpenAI wire format
 * after exactly 200 ms, on a SQLite store, as a percentage of the ideal (the longest episode's calls
 * back to back, every episode overlapped): targets ≥ 97% at 64 and ≥ 95% at 512. The episodes run
 * through the models bench's `concurrentThroughput` (the whole recording path), in two rounds in one
 * process: the first is cold (it opens the connections while V8 still compiles the path), the
 * second is the steady state of a run of many episodes; the target is read on the steady round.
 *
 * Every call takes exactly the same time and every episode is the same, so the episodes stay in
 * lock-step: all N answers arrive together and each waits for the CPU work of the ones before it.
 * That is the worst case for one event loop; it is what this bench measures.
 *
 * The ceiling: the same number of concurrent clients sending the same HTTP bodies the engine sent
 * (one episode's, captured), in order, with `node:http` and nothing else, after the same warm-up
 * round, as a percentage of the same ideal: what this machine allows for these requests before any
 * engine work. The tiny-body figure is the same with a one-message body.
 *   Run alone: node packages/cli/bench/concurrency.ts [episodes...]
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { concurrentThroughput, episodeRequestBodies, serverProcess } from "../../models/bench/overhead.ts"

const LATENCY_MS = 200
const TARGETS: Readonly<Record<number, number>> = { 64: 97, 512: 95 }
const TINY_BODY = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "Hi, I need help." }] })

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

/** `clients` concurrent loops each sending `bodies` in order, after a warm-up round: % of the ideal. */
const bareNode = async (clients: number, bodies: ReadonlyArray<string>): Promise<number> => {
  const server = await serverProcess(LATENCY_MS)
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })
  const url = new URL(`${server.baseURL}/chat/completions`)
  const call = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", authorization: "Bearer bench" } }, (res) => {
        res.resume()
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`model server answered ${res.statusCode}`))))
      })
      req.on("error", reject)
      req.end(body)
    })
  const round = () =>
    Promise.all(
      Array.from({ length: clients }, async () => {
        for (const body of bodies) await call(body)
      }),
    )
  try {
    await round()
    const t0 = performance.now()
    await round()
    return ((bodies.length * LATENCY_MS) / (performance.now() - t0)) * 100
  } finally {
    agent.destroy()
    server.stop()
  }
}

export const benchConcurrency = async ({ dir, episodes = [64, 512], runs = 3 }: { dir: string; episodes?: ReadonlyArray<number>; runs?: number }) => {
  const out: Record<string, unknown> = { latency_ms: LATENCY_MS }
  const bodies = await episodeRequestBodies(dir)
  out.request_bytes_per_episode = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0)
  for (const n of episodes) {
    const cold = []
    const steady = []
    for (let r = 0; r < runs; r++) {
      const runDir = fs.mkdtempSync(path.join(dir, `concurrency-${n}-`))
      const [first, second] = await concurrentThroughput(runDir, n, LATENCY_MS)
      cold.push(first)
      steady.push(second)
      fs.rmSync(runDir, { recursive: true, force: true })
    }
    const ceiling = []
    const tiny = []
    for (let r = 0; r < runs; r++) {
      ceiling.push(await bareNode(n, bodies))
      tiny.push(
        await bareNode(
          n,
          Array.from(bodies, () => TINY_BODY),
        ),
      )
    }
    const percent = median(steady.map((e) => e.percent_of_ideal))
    const ceilingPercent = Number(median(ceiling).toFixed(1))
    out[`episodes_${n}`] = {
      model_calls: steady[0].model_calls,
      ideal_s: steady[0].ideal_s,
      wall_s: median(steady.map((e) => e.wall_s)),
      percent_of_ideal: percent,
      runs: steady.map((e) => e.percent_of_ideal),
      cpu_ms_per_model_call: median(steady.map((e) => e.cpu_ms_per_model_call)),
      cold_round_percent_of_ideal: median(cold.map((e) => e.percent_of_ideal)),
      target_percent: TARGETS[n] ?? null,
      meets_target: TARGETS[n] === undefined ? null : percent >= (TARGETS[n] as number),
      bare_node_same_bodies_percent_of_ideal: ceilingPercent,
      percent_of_bare_node: Number(((percent / ceilingPercent) * 100).toFixed(1)),
      bare_node_tiny_body_percent_of_ideal: Number(median(tiny).toFixed(1)),
    }
  }
  return out
}

if (import.meta.main) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-bench-concurrency-"))
  try {
    const episodes = process.argv.slice(2).map(Number)
    process.stdout.write(`${JSON.stringify(await benchConcurrency({ dir, ...(episodes.length > 0 ? { episodes } : {}) }), null, 2)}\n`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
