/**
 * The viewer's API with 100,000 episodes in the store: how long the runs page, the first page of
 * episodes (plain, sorted, filtered), an episode and the world at a turn take to answer over
 * HTTP on 127.0.0.1 (median and slowest of several calls after a first one), and how long the
 * viewer takes to start over such a store (its catalog indexes the episodes once). The store is
 * filled through the store's append API (events, read models and scores in one transaction per
 * episode), not by running 100,000 episodes. With the page built and Chromium present, also the
 * first render of the runs page, a run's episodes page and an episode page in headless Chromium:
 * from navigation to usable content (the rows, the timeline), each in a fresh browser context.
 * Run alone: node packages/viewer/bench/api.ts [episodes]
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { builtinDomains } from "@tau-sim/domains"
import { makeDemoDomain } from "@tau-sim/domains/demo"
import { type EpisodeEvent, Events, layerSqlite, openSqliteStore } from "@tau-sim/engine"
import { ARGS, CHROMIUM, ensureChromium } from "@tau-sim/reports/testing/browser"
import { Effect, Layer } from "effect"
import { type Browser, chromium } from "playwright-core"
import { bundleDir, startViewer } from "../src/server/index.ts"

export interface ViewerBenchOptions {
  readonly episodes: number
  readonly dir?: string
}

const RUNS = 50
/** Tasks per run; with 100,000 episodes in 50 runs, 4 trials of each (as evaluations run them). */
const TASKS = 500
const AGENTS = ["openai:gpt-4.1", "anthropic:claude-sonnet-4-5", "oracle", "compat:qwen3@http://localhost:8000/v1", "openai:gpt-4.1-mini"]
const MODES = ["default", "no-user"] as const
const REASONS = ["user_stop", "agent_stop", "max_steps", "too_many_errors"] as const

/** An episode's events: start, a short conversation with a tool call (every 7th fails, every 3rd changes the world), end. */
const episodeEvents = (runId: string, episodeId: string, taskId: string, trial: number, i: number, agent: string, mode: string): EpisodeEvent[] => {
  const error = i % 7 === 0
  const writes = i % 3 === 0
  return [
    Events.episodeStarted({
      runId,
      episodeId,
      domain: "demo",
      taskId,
      trial,
      hashes: { task: "a".repeat(64), policy: "b".repeat(64), data: "c".repeat(64) },
      dataDir: null,
      policyVariant: "default",
      mode: mode as "default",
      agent,
      user: "scripted",
      seed: 300 + i,
      limits: { maxSteps: 200, maxErrors: 10 },
      engineVersion: "bench",
      parent: null,
    }),
    Events.messageSent({ role: "agent", text: "Hi! How can I help you today?", toolCalls: [], setup: true }),
    Events.messageSent({ role: "user", text: "I would like to pay my fines, please.", toolCalls: [] }),
    Events.messageSent({ role: "agent", text: null, toolCalls: [{ id: "c1", name: "pay_fine", argumentsJson: '{"member_id":"M001","amount":1.0}' }] }),
    Events.toolExecuted({
      callId: "c1",
      actor: "agent",
      name: "pay_fine",
      argumentsJson: '{"member_id":"M001","amount":1.0}',
      output: error ? "Error: no fines to pay" : "Payment of 1.00 accepted",
      error,
      patchJson: writes && !error ? '[{"op":"replace","path":"/agent/members/M001/fines","value":1.0}]' : "[]",
    }),
    Events.messageSent({ role: "agent", text: "Done: your fines are paid.", toolCalls: [] }),
    Events.messageSent({ role: "user", text: "Thanks! ###STOP###", toolCalls: [] }),
    Events.episodeEnded({ reason: REASONS[i % REASONS.length], steps: 5, errors: error ? 1 : 0, note: null }),
  ]
}

export const fillBenchStore = (path: string, episodes: number) => {
  const { store, close } = openSqliteStore(path)
  // The demo's task ids, and made-up ones past them (an episode's page does not read its task).
  const demo = makeDemoDomain().tasks.map((t) => t.id)
  const tasks = Array.from({ length: TASKS }, (_, i) => demo[i] ?? `task_${i}`)
  const perRun = Math.ceil(episodes / RUNS)
  try {
    for (let r = 0; r < RUNS; r++) {
      const runId = `bench_run_${r}`
      const agent = AGENTS[r % AGENTS.length]
      const mode = MODES[r % MODES.length]
      const trials = Math.ceil(perRun / tasks.length)
      Effect.runSync(
        store.putRun({
          runId,
          createdAt: "2026-01-01T00:00:00.000Z",
          config: { kind: "run", runId, domain: "demo", agent, user: "scripted", mode, trials, taskIds: tasks },
          experiment: null,
        }),
      )
      for (let k = 0; k < perRun && r * perRun + k < episodes; k++) {
        const i = r * perRun + k
        const episodeId = `ep_bench_${i}`
        const events = episodeEvents(runId, episodeId, tasks[k % tasks.length], Math.floor(k / tasks.length), i, agent, mode)
        const reward = i % 5 === 0 ? 0 : 1
        Effect.runSync(
          store.append(episodeId, 0, events, {
            scores: [
              {
                episodeId,
                evaluator: "tau2",
                evaluatorVersion: "1",
                reward,
                breakdown: { reward, db_check: { db_match: reward === 1, db_reward: reward }, reward_breakdown: { DB: reward } },
                recordedAt: "2026-01-01T00:00:00.000Z",
              },
            ],
          }),
        )
      }
    }
  } finally {
    close()
  }
}

const timed = async (url: string, token: string, calls: number) => {
  const once = async () => {
    const t0 = performance.now()
    const r = await fetch(url, { headers: { "x-tau-token": token } })
    const body = await r.text()
    if (!r.ok) throw new Error(`${url}: ${r.status} ${body}`)
    return { ms: performance.now() - t0, bytes: body.length }
  }
  const first = await once()
  const ms: number[] = []
  for (let i = 0; i < calls; i++) ms.push((await once()).ms)
  ms.sort((a, b) => a - b)
  const round = (x: number) => Number(x.toFixed(2))
  return { first_ms: round(first.ms), median_ms: round(ms[Math.floor(ms.length / 2)]), max_ms: round(ms[ms.length - 1]), bytes: first.bytes }
}

/** Targets (issue 12): the API answers under 50 ms, a page is usable under 1 s. */
const API_TARGET_MS = 50
const PAGE_TARGET_MS = 1000

/**
 * One page's first render: a fresh context (no cache; the token cookie from the printed URL),
 * then from navigation until `ready` is visible. First visit and median of `visits`.
 */
const renderTimes = async (browser: Browser, url: string, path: string | null, ready: string, visits: number) => {
  const once = async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } })
    try {
      const page = await context.newPage()
      if (path !== null) await page.goto(url)
      const t0 = performance.now()
      await page.goto(path === null ? url : new URL(path, url).href)
      await page.locator(ready).first().waitFor({ state: "visible", timeout: 30_000 })
      return performance.now() - t0
    } finally {
      await context.close()
    }
  }
  const first = await once()
  const ms: number[] = []
  for (let i = 0; i < visits; i++) ms.push(await once())
  ms.sort((a, b) => a - b)
  const round = (x: number) => Number(x.toFixed(1))
  const median = round(ms[Math.floor(ms.length / 2)])
  return {
    first_ms: round(first),
    median_ms: median,
    max_ms: round(ms[ms.length - 1]),
    target_ms: PAGE_TARGET_MS,
    within_target: round(first) < PAGE_TARGET_MS,
  }
}

const pageRenders = async (viewerUrl: string, episodeId: string, runId: string) => {
  const missing = ensureChromium()
  if (missing !== null) return { skipped: missing }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  try {
    return {
      runs_page: await renderTimes(browser, viewerUrl, null, '[data-testid="runs"] tbody tr', 5),
      run_episodes_page: await renderTimes(browser, viewerUrl, `/runs/${runId}`, '[data-testid="episodes"] tbody tr', 5),
      episode_page: await renderTimes(browser, viewerUrl, `/episodes/${episodeId}`, '[data-testid="timeline"] > [data-kind="message"]', 5),
    }
  } finally {
    await browser.close()
  }
}

export const benchViewer = async (options: ViewerBenchOptions) => {
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), "tau-viewer-bench-"))
  try {
    const db = join(dir, "store.db")
    const t0 = performance.now()
    fillBenchStore(db, options.episodes)
    const fillSeconds = (performance.now() - t0) / 1000
    // The API needs no page; a bench on a tree without the built page serves a stand-in (and renders nothing).
    const built = existsSync(join(bundleDir(), "index.html"))
    const page = built ? bundleDir() : join(dir, "page")
    if (!built) {
      mkdirSync(page)
      writeFileSync(join(page, "index.html"), "<!doctype html><title>bench</title>")
    }
    const token = "bench-token"
    const program = Effect.scoped(
      Effect.gen(function* () {
        const t1 = performance.now()
        // Starting builds the catalog's index of the episodes and the runs list: paid once.
        const viewer = yield* startViewer({ db, host: "127.0.0.1", port: 0, token, bundleDir: page })
        const startupMs = Number((performance.now() - t1).toFixed(1))
        const base = `http://127.0.0.1:${viewer.port}`
        const calls = 10
        const measure = (path: string) =>
          Effect.promise(() => timed(`${base}${path}`, token, calls)).pipe(
            Effect.map((t) => ({ ...t, target_ms: API_TARGET_MS, within_target: t.median_ms < API_TARGET_MS })),
          )
        const world = (yield* Effect.promise(() => fetch(`${base}/api/episodes/ep_bench_3`, { headers: { "x-tau-token": token } }).then((r) => r.json()))) as {
          timeline: Array<{ kind: string; turn: number | null }>
        }
        const toolTurn = world.timeline.find((i) => i.kind === "tool")?.turn ?? 0
        return {
          startup_ms: startupMs,
          runs_page: yield* measure("/api/runs"),
          facets: yield* measure("/api/facets"),
          episodes_first_page: yield* measure("/api/episodes?limit=50"),
          episodes_last_page: yield* measure(`/api/episodes?limit=50&offset=${options.episodes - 50}`),
          episodes_sorted_by_reward: yield* measure("/api/episodes?limit=50&sort=reward&order=desc"),
          episodes_filtered_task_and_termination: yield* measure("/api/episodes?limit=50&task=renew&termination=max_steps"),
          episodes_filtered_tool_errors: yield* measure("/api/episodes?limit=50&tool_errors=yes"),
          episodes_filtered_agent_and_mode: yield* measure(`/api/episodes?limit=50&agent=${encodeURIComponent(AGENTS[1])}&mode=no-user`),
          episode_page: yield* measure("/api/episodes/ep_bench_3"),
          // The episode page asks for its lineage; the branch list is the API's.
          episode_lineage: yield* measure("/api/episodes/ep_bench_3/tree"),
          episode_branches: yield* measure("/api/episodes/ep_bench_3/branches"),
          world_at_turn: yield* measure(`/api/episodes/ep_bench_3/world?turn=${toolTurn}`),
          page_render: built
            ? yield* Effect.promise(() => pageRenders(viewer.url, "ep_bench_3", "bench_run_0"))
            : { skipped: `the page is not built (${bundleDir()})` },
        }
      }),
    )
    const answers = await Effect.runPromise(program.pipe(Effect.provide(Layer.mergeAll(layerSqlite(db), builtinDomains()))))
    return {
      episodes: options.episodes,
      fill_s: Number(fillSeconds.toFixed(1)),
      api_target_ms: API_TARGET_MS,
      page_target_ms: PAGE_TARGET_MS,
      page_built: built,
      answers,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const episodes = Number(process.argv[2] ?? 100_000)
  process.stdout.write(`${JSON.stringify(await benchViewer({ episodes }), null, 2)}\n`)
}
