/**
 * Input checks of the real `tau` (issue 9, item 8): numeric flags that make no sense are usage
 * errors at parse time (one line on stderr, exit 2 like every usage error, nothing created), `--db ""` is one too, and
 * commands over stored records never create a database file (or its folder) at a mistyped path.
 */
import { existsSync, mkdirSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { jsonLines, tau, tempDir } from "./tau.ts"

const tmp = tempDir("input-checks")
afterAll(tmp.dispose)

let n = 0
/** Runs `tau` in a fresh empty folder (the default store `.tau/tau.db` would land there). */
const inEmptyDir = async (args: ReadonlyArray<string>) => {
  const cwd = join(tmp.root, `case-${n++}`)
  mkdirSync(cwd)
  const result = await tau(args, cwd)
  return { ...result, left: readdirSync(cwd) }
}

/** [arguments, the flag named in the error] */
const badNumbers: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
  [["run", "--domain", "demo", "--trials", "0"], "--trials"],
  [["run", "--domain", "demo", "--trials", "-2"], "--trials"],
  [["run", "--domain", "demo", "--trials", "1.5"], "--trials"],
  [["run", "--domain", "demo", "--trials", "1e20"], "--trials"],
  [["run", "--domain", "demo", "--num-tasks", "-2"], "--num-tasks"],
  [["run", "--domain", "demo", "--num-tasks", "0"], "--num-tasks"],
  [["run", "--domain", "demo", "--max-concurrency", "0"], "--max-concurrency"],
  [["run", "--domain", "demo", "--max-steps", "0"], "--max-steps"],
  [["run", "--domain", "demo", "--max-steps", "2.5"], "--max-steps"],
  // The episode ends when its errors reach the limit: 0 would end it before the first turn.
  [["run", "--domain", "demo", "--max-errors", "0"], "--max-errors"],
  [["run", "--domain", "demo", "--model-retries", "-1"], "--model-retries"],
  [["run", "--domain", "demo", "--model-timeout", "0"], "--model-timeout"],
  [["run", "--domain", "demo", "--model-timeout", "-5"], "--model-timeout"],
  [["run", "--domain", "demo", "--rate-limit", "openai=0"], "--rate-limit"],
  [["run", "--domain", "demo", "--rate-limit", "openai"], "--rate-limit"],
  [["replay", "ep_x", "--at-turn", "-1"], "--at-turn"],
  [["fork", "ep_x", "--at-turn", "-1"], "--at-turn"],
  [["counterfactual", "--run", "r", "--at-turn", "-1"], "--at-turn"],
  [["counterfactual", "--run", "r", "--at-first-write", "--max-concurrency", "0"], "--max-concurrency"],
  [["report", "--run", "r", "--bootstrap-resamples", "0"], "--bootstrap-resamples"],
]

describe("numeric flags", () => {
  it.concurrent.each(badNumbers)("tau %j is a usage error naming %s", async (args, flag) => {
    const r = await inEmptyDir(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    // One line: what was wrong, and where the flags are described.
    expect(r.stderr).toMatch(new RegExp(`^error: Invalid value for flag ${flag}: .*Expected.* \\(see tau [a-z ]+ --help\\)\\n$`))
    expect(r.left).toEqual([])
  })

  it("accepts 0 where it means none (--model-retries 0, --at-turn 0)", async () => {
    const db = tmp.db()
    const run = await tau(["run", "--domain", "demo", "--num-tasks", "1", "--model-retries", "0", "--json", "--db", db], tmp.root)
    expect(run.stderr).not.toContain("error:")
    expect(run.code).toBe(0)
    const [episode] = jsonLines(run.stdout)
    const replay = await tau(["replay", String(episode.episode_id), "--at-turn", "0", "--json", "--db", db], tmp.root)
    expect(replay.code).toBe(0)
    expect(jsonLines(replay.stdout)[0]).toMatchObject({ episode_id: episode.episode_id, at_turn: 0 })
  })
})

describe("--db", () => {
  it.concurrent.each([[["run", "--domain", "demo"]], [["show", "ep_x"]], [["import", "tau2", "results.json", "--data-dir", "."]]])(
    'tau %j --db "" is an error and stores nothing',
    async (args) => {
      const r = await inEmptyDir([...args, "--db", ""])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^error: .*flag --db.*a file path/)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(r.left).toEqual([])
    },
  )
})

describe("commands over stored records, given a store that does not exist", () => {
  const ran = join(tmp.root, "missing")
  const commands: ReadonlyArray<ReadonlyArray<string>> = [
    ["show", "ep_x"],
    ["replay", "ep_x"],
    ["replay", "--all", "--verify"],
    ["report", "--run", "r"],
    ["export", "tau2", "--run", "r"],
    ["rescore", "--all"],
    ["fork", "ep_x", "--at-turn", "1"],
    ["counterfactual", "--run", "r", "--at-turn", "1"],
    ["run", "--resume", "r"],
  ]
  it.concurrent.each(commands.map((c) => [c]))("tau %j says so and creates neither the file nor its folder", async (args) => {
    const db = join(ran, args.join("-"), "nonexistent", "dir", "tau.db")
    const r = await inEmptyDir([...args, "--db", db])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`error: no event store at ${db}\n`)
    expect(existsSync(join(ran, args.join("-")))).toBe(false)
    expect(r.left).toEqual([])
  })
})
