/**
 * Every typed failure of the real `tau` is one line on standard error saying what is wrong, with
 * exit code 2 for a command line that does not say what to do (UsageError) and 1 for the rest:
 * no τ² data (DomainUnavailable, with the `tau data fetch` hint), an unknown domain or
 * participant, a results file that cannot be read.
 */
import { mkdirSync } from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { tau, tempDir } from "./tau.ts"

const tmp = tempDir("error-lines")
afterAll(tmp.dispose)

const emptyData = tmp.file("empty-data")
const emptyCache = tmp.file("empty-cache")
mkdirSync(emptyData)
mkdirSync(emptyCache)

/** The environment of a machine without the τ² data: nothing fetched, and TAU2_DATA_DIR as given (unset when undefined). */
const withoutData = (dataDir: string | undefined): NodeJS.ProcessEnv => {
  const { TAU2_DATA_DIR: _ignored, ...env } = process.env
  return { ...env, XDG_CACHE_HOME: emptyCache, ...(dataDir === undefined ? {} : { TAU2_DATA_DIR: dataDir }) }
}

const HINT = "error: domain airline needs the τ² data: run `tau data fetch` once (or give --data-dir / set TAU2_DATA_DIR to a folder with domains/airline/)"

describe("tau run --domain airline without the τ² data", () => {
  it.concurrent.each([
    ["TAU2_DATA_DIR is an empty folder", emptyData, `${HINT}; ${emptyData} has no domains/airline/\n`],
    ["TAU2_DATA_DIR is not set", undefined, `${HINT}\n`],
  ])("%s: exit 1 with the tau data fetch hint as the only line", async (_case, dataDir, line) => {
    const r = await tau(["run", "--domain", "airline", "--db", tmp.db()], tmp.root, withoutData(dataDir))
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toBe(line)
  })
})

describe("typed failures are one line naming what is wrong", () => {
  const missing = tmp.file("missing-results.json")
  /** `--db <fresh store>`, for the commands that take one. */
  const DB = "--db=DB"
  it.concurrent.each([
    // UsageError: flags that do not say what to do, or name nothing.
    [["report", DB], 2, "error: give --run ID (more than once to compare runs) or --experiment NAME"],
    [["rescore", DB], 2, "error: give exactly one of --run ID, --episode ID or --all"],
    [["counterfactual", "--run", "r", DB], 2, "error: give exactly one of --at-turn N or --at-first-write"],
    [["replay", DB], 2, "error: give an episode id, --run ID or --all"],
    [["run", DB], 2, "error: --domain is required (or --resume RUN)"],
    [["tasks", "show", "no_such_task"], 2, "error: task no_such_task not found in demo"],
    [
      ["evaluate-trajs", missing, "--nl-judge", "llm:judge"],
      2,
      'error: unknown NL judge "llm:judge" (offline: scripted:all-met; or a model, e.g. openai:gpt-4.1)',
    ],
    // DomainUnavailable, ParticipantSpecError, ResultsFileError: exit 1 with their message.
    [["tasks", "--domain", "nope"], 1, 'error: unknown domain "nope" (known: demo, mock, airline, retail, telecom)'],
    [["run", "--domain", "demo", "--agent", "nope", DB], 1, 'error: unknown participant "nope" (known: oracle, scripted, scripted:<file.json>)'],
    [["import", "tau2", missing, DB], 1, `error: ${missing}: cannot read: ENOENT`],
    [["evaluate-trajs", missing], 1, `error: ${missing}: cannot read: ENOENT`],
  ] as const)("tau %j exits %i: %s", async (args, code, start) => {
    const r = await tau(
      args.map((a) => (a === DB ? `--db=${tmp.db()}` : a)),
      tmp.root,
      withoutData(undefined),
    )
    expect(r.code).toBe(code)
    expect(r.stdout).toBe("")
    expect(r.stderr.startsWith(start)).toBe(true)
    expect(r.stderr.split("\n")).toHaveLength(2)
  })
})
