/**
 * Concurrency (issue 13 target 4): 64 and 512 concurrent demo episodes, agent and user both model
 * participants, against a model server process on 127.0.0.1 that answers in the OpenAI wire format
 * after 200 ms, on a SQLite store, as a percentage of the ideal (the longest episode's calls back
 * to back, every episode overlapped): targets ≥ 97% at 64 and ≥ 95% at 512. The episodes run
 * through the models bench's `concurrentThroughput` (the whole recording path).
 *
 * The bare-Node baseline: the same number of concurrent clients making the same number of
 * sequential calls to the same server with `node:http` and nothing else, as a percentage of the
 * same ideal — what this machine allows before any engine work.
 *   Run alone: node packages/cli/bench/concurrency.ts [episodes...]
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { concurrentThroughput, serverProcess } from "../../models/bench/overhead.ts"

const LATENCY_MS = 200
const TARGETS: Readonly<Record<number, number>> = { 64: 97, 512: 95 }

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

/** `clients` concurrent loops of `calls` sequential chat completions, as % of the ideal. */
const bareNode = async (clients: number, calls: number): Promise<number> => {
  const server = await serverProcess(LATENCY_MS)
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })
  const url = new URL(`${server.baseURL}/chat/completions`)
  const body = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "Hi, I need help." }] })
  const call = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", authorization: "Bearer bench" } }, (res) => {
        res.resume()
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`model server answered ${res.statusCode}`))))
      })
      req.on("error", reject)
      req.end(body)
    })
  try {
    await call()
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = 0; i < calls; i++) await call()
      }),
    )
    return ((calls * LATENCY_MS) / (performance.now() - t0)) * 100
  } finally {
    agent.destroy()
    server.stop()
  }
}

export const benchConcurrency = async ({ dir, episodes = [64, 512], runs = 3 }: { dir: string; episodes?: ReadonlyArray<number>; runs?: number }) => {
  const out: Record<string, unknown> = { latency_ms: LATENCY_MS }
  for (const n of episodes) {
    const engine = []
    for (let r = 0; r < runs; r++) {
      const runDir = fs.mkdtempSync(path.join(dir, `concurrency-${n}-`))
      engine.push(await concurrentThroughput(runDir, n, LATENCY_MS))
      fs.rmSync(runDir, { recursive: true, force: true })
    }
    const calls = Math.round(engine[0].model_calls / n)
    const bare = []
    for (let r = 0; r < runs; r++) bare.push(await bareNode(n, calls))
    const percent = median(engine.map((e) => e.percent_of_ideal))
    out[`episodes_${n}`] = {
      model_calls: engine[0].model_calls,
      ideal_s: engine[0].ideal_s,
      wall_s: median(engine.map((e) => e.wall_s)),
      percent_of_ideal: percent,
      runs: engine.map((e) => e.percent_of_ideal),
      target_percent: TARGETS[n] ?? null,
      meets_target: TARGETS[n] === undefined ? null : percent >= (TARGETS[n] as number),
      bare_node_percent_of_ideal: Number(median(bare).toFixed(1)),
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
