/**
 * The scripted model server as its own process, playing the demo brain:
 *
 *   node packages/models/testing/serve.ts [--latency MS] [--port N]
 *
 * prints its base URL on the first line of stdout and serves until it is interrupted (SIGINT or
 * SIGTERM). Point a run at it to try model-backed episodes without a provider:
 *
 *   OPENAI_API_KEY=local OPENAI_BASE_URL=<printed URL> tau run --domain demo \
 *     --task-ids renew_loan,link_card_in_app --agent openai:demo --user openai:demo
 */
import { demoBrain } from "./demo-brain.ts"
import { startFakeLlmServer } from "./fake-llm-server.ts"

const flag = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : undefined
}

const port = flag("port")
const server = await startFakeLlmServer({ brain: demoBrain, latencyMs: flag("latency") ?? 0, ...(port === undefined ? {} : { port }) })
process.stdout.write(`${server.baseURL}\n`)
const stop = () => void server.close().then(() => process.exit(0))
process.on("SIGINT", stop).on("SIGTERM", stop)
