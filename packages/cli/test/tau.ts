/**
 * Running the real `tau` command line as a child process (Node 24 from the workspace), and reading
 * what it stored through the engine's SQLite store.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { type EpisodeRow, type EventStoreShape, openSqliteStore, type ScoreRecord, type StoredEvent, type StoreHandle } from "@tau-sim/engine"
import { Effect } from "effect"

const here = dirname(fileURLToPath(import.meta.url))
export const REPO = resolve(here, "../../..")
export const NODE = join(REPO, "node_modules/.bin/node")
/** The `tau` executable's entry: the bundle when it is current, else the sources (bin/tau.mjs decides). */
export const MAIN = join(REPO, "packages/cli/bin/tau.mjs")

export const tempDir = (prefix: string) => {
  const root = mkdtempSync(join(tmpdir(), `tau-sim-${prefix}-`))
  let n = 0
  return {
    root,
    db: () => join(root, `store-${n++}.db`),
    file: (name: string) => join(root, name),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  }
}

export interface TauResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Starts `tau <args>`; the working directory is a temp dir so nothing lands in the repository. */
export const spawnTau = (args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv = process.env): ChildProcess =>
  spawn(NODE, [MAIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...env, NO_COLOR: "1" } })

/** Collects a child's output until it exits. */
export const finished = (child: ChildProcess): Promise<TauResult> =>
  new Promise((resolvePromise, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }))
  })

export const tau = (args: ReadonlyArray<string>, cwd: string, env?: NodeJS.ProcessEnv): Promise<TauResult> => finished(spawnTau(args, cwd, env))

/** Seedable randomness for kill points (print the seed to replay a failure): the reports' PRNG. */
export { seededRandom } from "@tau-sim/reports"

/** `tau ... --json` output: one JSON value per line. */
export const jsonLines = (stdout: string): Array<Record<string, unknown>> =>
  stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)

/** Opens the store, runs `f`, closes it. */
export const readStore = async <A>(path: string, f: (handle: StoreHandle) => Promise<A>): Promise<A> => {
  const handle = openSqliteStore(path)
  try {
    return await f(handle)
  } finally {
    handle.close()
  }
}

export interface StoredRun {
  readonly rows: ReadonlyArray<EpisodeRow>
  readonly events: Record<string, ReadonlyArray<StoredEvent>>
  readonly scores: Record<string, ReadonlyArray<ScoreRecord>>
}

/** Every episode of a run with its own stream and scores, read from any store. */
export const readRun = (store: EventStoreShape, runId: string) =>
  Effect.gen(function* () {
    const rows = yield* store.listEpisodes({ runId })
    const events: Record<string, ReadonlyArray<StoredEvent>> = {}
    const scores: Record<string, ReadonlyArray<ScoreRecord>> = {}
    for (const row of rows) {
      events[row.episodeId] = yield* store.read(row.episodeId)
      scores[row.episodeId] = yield* store.listScores(row.episodeId)
    }
    return { rows, events, scores } satisfies StoredRun
  })

/** Every episode of a run with its own stream and scores, from a SQLite store file. */
export const storedRun = (path: string, runId: string): Promise<StoredRun> => readStore(path, ({ store }) => Effect.runPromise(readRun(store, runId)))

/** `tau run` of the demo domain with offline participants, one episode at a time (the kill and fault tests' run). */
export const demoRunArgs = (db: string, runId: string, trials: number): Array<string> => [
  "run",
  "--domain",
  "demo",
  "--agent",
  "oracle",
  "--user",
  "scripted",
  "--trials",
  String(trials),
  "--max-concurrency",
  "1",
  "--run-id",
  runId,
  "--json",
  "--db",
  db,
]
