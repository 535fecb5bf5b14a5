/**
 * Retail tool throughput: tool calls per second over the retail tasks' expected actions (the gold
 * calls: look-ups, order changes, returns, exchanges; 550 calls over 114 tasks), each task replayed
 * from the loaded database like an episode does. Database loading is not timed.
 *
 * Run alone: `node packages/domains/bench/retail.ts` (prints the number).
 */
import { fileURLToPath } from "node:url"
import { applyInitialState, type Domain, executeToolCall, type Node, type PyValue, type Requestor, seededRandom } from "@tau-sim/engine"
import { loadTau2Domain } from "../src/index.ts"
import { requireDataDir } from "../testing/locate.ts"

/** Replays every task's expected actions once; returns the number of calls made. */
const replayAll = (domain: Domain): number => {
  let calls = 0
  for (const task of domain.tasks) {
    let world: Node = applyInitialState(domain, task).world
    for (const action of task.evaluation_criteria?.actions ?? []) {
      const requestor: Requestor = action.requestor ?? "assistant"
      const call = { id: `bench_${calls}`, name: action.name, arguments: action.arguments as Record<string, PyValue>, requestor }
      world = executeToolCall(domain, world, call, { random: seededRandom(calls) }).world
      calls++
    }
  }
  return calls
}

/** Tool calls per second (rounded), measured over at least `minMs` of replays after a warm-up. */
export const retailToolThroughput = (minMs = 2000): number => {
  // Found like the tests find it (../testing/locate.ts); missing data throws the notice.
  const domain = loadTau2Domain("retail", requireDataDir("tau2"))
  replayAll(domain)
  let calls = 0
  const t0 = performance.now()
  let elapsed = 0
  while (elapsed < minMs) {
    calls += replayAll(domain)
    elapsed = performance.now() - t0
  }
  return Math.round((calls / elapsed) * 1000)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(retailToolThroughput())
