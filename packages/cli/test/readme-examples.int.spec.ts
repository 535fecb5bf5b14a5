/**
 * Every `pnpm tau …` line of the README's ```sh blocks (issue 14: "every example in it runs in a
 * test"), run as the README writes it: the real `tau` executable in a temporary working folder, so
 * the default store `.tau/tau.db` is a temporary SQLite file; only the placeholders (`<run-id>`,
 * `<episode>`, `sk-...`, `<url>`, ...) are filled, from what the preparation and the earlier lines
 * stored. Model specs (`openai:gpt-4.1`, `anthropic:…`) reach the scripted model server on
 * 127.0.0.1 through OPENAI_BASE_URL / ANTHROPIC_BASE_URL with dummy keys; the τ² data is found as a
 * user finds it after `tau data fetch` (the fetch cache, in a temporary XDG_CACHE_HOME).
 *
 * `PLANS` lists the README's lines in order: each is run (exit code, and what its comment says it
 * prints) or mapped to the test that covers it (Postgres and the cluster), and that test must exist
 * and contain the line's distinctive flags. A README line without a plan, or a plan whose line is
 * gone, fails the first test, so neither can rot silently.
 */
import type { ChildProcess } from "node:child_process"
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import { needsData, TAU2_DATA_REF } from "@tau-sim/domains/testing"
import { type Brain, demoBrain, type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { gatedModelServer } from "./faults.ts"
import { finished, jsonLines, REPO, spawnTau, storedRun, type TauResult, tau, tempDir } from "./tau.ts"

const data = needsData("tau2")
const tmp = tempDir("readme-examples")
afterAll(tmp.dispose)

// ---------------------------------------------------------------------------------------------
// The README's command lines

/** Shell words of one line: '…' and "…" quote, an unquoted `#` word starts a comment. */
const shellWords = (line: string): string[] => {
  const words: string[] = []
  let word: string | null = null
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1)
      if (end < 0) throw new Error(`unbalanced ${c} in README line: ${line}`)
      word = (word ?? "") + line.slice(i + 1, end)
      i = end
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word)
      word = null
    } else if (c === "#" && word === null) break
    else word = (word ?? "") + c
  }
  if (word !== null) words.push(word)
  return words
}

interface Example {
  /** The line as the README writes it (continuations joined, the comment left off, spaces collapsed). */
  readonly line: string
  /** `NAME=value` words before `pnpm tau`. */
  readonly env: Record<string, string>
  readonly args: ReadonlyArray<string>
}

/** Every line of a ```sh block that runs `pnpm tau`; a line mentioning it in any other form is an error. */
const readmeExamples = (markdown: string): Example[] =>
  [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)].flatMap((block) =>
    block[1]
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .filter((l) => /\bpnpm tau\b/.test(l))
      .map((raw) => {
        const words = shellWords(raw)
        const env: Record<string, string> = {}
        while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
          const [name, ...value] = (words.shift() as string).split("=")
          env[name] = value.join("=")
        }
        if (words[0] !== "pnpm" || words[1] !== "tau") throw new Error(`README line runs pnpm tau in a form this test cannot run: ${raw}`)
        const line = raw
          .replace(/\s#\s.*$/, "")
          .replace(/\s+/g, " ")
          .trim()
        return { line, env, args: words.slice(2) }
      }),
  )

// ---------------------------------------------------------------------------------------------
// What each line needs and what it must print

/** What the preparation and the earlier lines stored, for the placeholders of later ones. */
interface State {
  cwd: string
  server: FakeLlmServer
  /** Line 1's demo run (oracle, scripted, 3 trials) and its renew_loan trial-0 episode. */
  demoRun: string
  demoEpisode: string
  taskId: string
  noisyRun: string
  /** A failed episode of the noisy-oracle run, and the run of its first critical-turn analysis. */
  noisyFailed: string
  criticalRun: string
  telecomModelRun: string
  demoModelRun: string
  retailRun: string
}

interface Run {
  readonly line: string
  /** Placeholder → value (longest first; every `<…>` must be filled). */
  readonly fill?: (s: State) => Record<string, string>
  /** Done just before the line runs (a file it reads, a score it lists). */
  readonly before?: (s: State) => Promise<void>
  /** The exit code the README promises (default 0). */
  readonly code?: number
  readonly check?: (r: TauResult, s: State) => void | Promise<void>
  /** A line that runs for long (rate-limited): started with the suite, in a folder and store of its own, awaited last. */
  readonly background?: true
  /** A server (`tau view`): its first line of standard output is read, then it gets SIGINT. */
  readonly serves?: (firstLine: string | null, r: TauResult) => void
}

interface Mapped {
  readonly line: string
  readonly why: string
  /** Test files (from the repository root) and what each must contain for this line. */
  readonly coveredBy: ReadonlyArray<{ readonly file: string; readonly contains: ReadonlyArray<string> }>
}

type Plan = Run | Mapped
const isMapped = (p: Plan): p is Mapped => "coveredBy" in p

/** `run X: …` or `resuming run X: …`, the first line `run` prints on standard error. */
const runIdOf = (r: TauResult): string => {
  const m = r.stderr.match(/^(?:resuming )?run (\S+): /m)
  if (!m) throw new Error(`no run id in: ${r.stderr.slice(0, 300)}`)
  return m[1]
}
const jsonRows = (r: TauResult) => jsonLines(r.stdout)
/** The first data row's first column of a text table (below its `----` line). */
const firstCell = (table: string): string => {
  const lines = table.split("\n")
  const rule = lines.findIndex((l) => /^-{2,}/.test(l))
  return lines[rule + 1].split(/\s+/)[0]
}
const file = (s: State, name: string) => join(s.cwd, name)
const KEY = "sk-readme-example-not-a-key"
const POSTGRES = "postgres-store.int.spec.ts"
const CLUSTER = "cluster.int.spec.ts"
const inCli = (name: string) => `packages/cli/test/${name}`

const PLANS: ReadonlyArray<Plan> = [
  // Using the CLI
  {
    line: "pnpm tau run --domain demo --agent oracle --user scripted --trials 3 --json",
    check: (r, s) => {
      const rows = jsonRows(r)
      expect(rows).toHaveLength(30)
      expect(existsSync(file(s, ".tau/tau.db"))).toBe(true)
      s.demoRun = String(rows[0].run_id)
      s.demoEpisode = String(rows.find((row) => row.task_id === "renew_loan" && row.trial === 0)?.episode_id)
    },
  },
  {
    line: "pnpm tau run --resume <run-id>",
    fill: () => ({ "<run-id>": "prep_stopped" }),
    check: async (r, s) => {
      expect(r.stderr).toMatch(/^resuming run prep_stopped: /m)
      const stored = await storedRun(file(s, ".tau/tau.db"), "prep_stopped")
      expect(stored.rows.map((row) => row.status)).toEqual(["ended", "ended"])
    },
  },
  { line: "pnpm tau replay --all --verify", check: (r) => expect(r.stdout).toMatch(/\d+ episodes replayed, (\d+) verified, 0 with findings/) },
  { line: "pnpm tau replay <episode> --at-turn 6", fill: (s) => ({ "<episode>": s.demoEpisode }), check: (r) => expect(r.stdout).toContain("world at turn 6") },
  {
    line: "pnpm tau fork <episode> --at-turn 4 --agent scripted:my-agent.json",
    fill: (s) => ({ "<episode>": s.demoEpisode }),
    check: (r, s) => expect(r.stdout).toContain(`forked ${s.demoEpisode} at turn 4`),
  },
  {
    line: "pnpm tau show <episode>",
    fill: (s) => ({ "<episode>": s.demoEpisode }),
    check: (r) => {
      for (const part of ["lineage:", "assistant calls", "world diff", "scores:"]) expect(r.stdout).toContain(part)
    },
  },
  { line: "pnpm tau rescore --run <run-id>", fill: (s) => ({ "<run-id>": s.demoRun }), check: (r) => expect(r.stdout).toContain("30 episodes re-scored") },
  // The download itself is data-fetch.int.spec.ts's (no network here): the cache holds the data, verified again.
  { line: "pnpm tau data fetch", check: (r) => expect(r.stdout).toMatch(/is already installed in .*\(\d+ files verified\)/) },
  {
    line: "pnpm tau tasks --domain airline --split base",
    check: (r, s) => {
      expect(r.stdout).toMatch(/^50 tasks /m)
      s.taskId = firstCell(r.stdout)
    },
  },
  {
    line: "pnpm tau tasks show <task-id> --domain airline",
    fill: (s) => ({ "<task-id>": s.taskId }),
    check: (r, s) => expect(r.stdout).toMatch(new RegExp(`^task ${s.taskId}\\n`)),
  },
  { line: "pnpm tau policy --domain telecom --policy-variant workflow", check: (r) => expect(r.stdout).toContain("Telecom Agent Policy") },
  // Your own domain, and generated tasks
  { line: "pnpm tau domain init ./my-domain", check: (_, s) => expect(existsSync(file(s, "my-domain/index.ts"))).toBe(true) },
  { line: "pnpm tau domain test ./my-domain", check: (r) => expect(r.stdout).toMatch(/fail 0/) },
  { line: "pnpm tau run --domain ./my-domain --agent oracle --user scripted", check: (r) => expect(r.stdout).toMatch(/: 2 episodes, average reward 1\.00/) },
  {
    line: "pnpm tau tasks generate --domain demo --subtasks 2-3 --count 20 --seed 1 --out tasks.json --report",
    check: (r, s) => {
      expect(r.stderr).toContain("each proved valid")
      expect(JSON.parse(readFileSync(file(s, "tasks.json"), "utf8"))).toHaveLength(20)
    },
  },
  {
    line: "pnpm tau run --domain demo --tasks tasks.json --agent oracle --user scripted",
    check: (r) => expect(r.stdout).toMatch(/: 20 episodes, average reward/),
  },
  // Listing runs and episodes
  {
    line: "pnpm tau list runs",
    check: (r, s) => {
      expect(r.stdout).toMatch(/^run\s+kind\s+domain\s+mode\s+agent\s+user\s+episodes\s+errored\s+avg reward\s+pass\^1/m)
      expect(r.stdout).toContain(s.demoRun)
    },
  },
  {
    line: "pnpm tau list runs --errored --json",
    check: (r) => {
      const rows = jsonRows(r)
      expect(rows.map((row) => row.run_id)).toContain("prep_err")
      for (const row of rows) expect(row.errored).toBeGreaterThan(0)
    },
  },
  {
    line: "pnpm tau list episodes --run <run-id> --failed",
    fill: () => ({ "<run-id>": "prep_cut" }),
    check: (r) => expect(r.stdout).toMatch(/prep_cut\s+renew_loan\s+0\s+max_steps\s+0\.00/),
  },
  { line: "pnpm tau list episodes --errored", check: (r) => expect(r.stdout).toMatch(/prep_err\s+renew_loan\s+0\s+infrastructure_error/) },
  {
    line: "pnpm tau list episodes --task renew --reward-max 0.5 --agent oracle --mode default",
    check: (r) => expect(r.stdout).toMatch(/prep_cut\s+renew_loan\s+0\s+max_steps\s+0\.00\s+oracle\s+default/),
  },
  {
    line: "pnpm tau list episodes --evaluator-version tau2@1-rescored --json",
    before: async (s) => {
      const r = await runIn(s, ["rescore", "--run", s.demoRun, "--evaluator-version", "1-rescored"])
      expect(r.code, r.stderr).toBe(0)
    },
    check: (r, s) => {
      const rows = jsonRows(r)
      expect(rows).toHaveLength(30)
      expect(new Set(rows.map((row) => row.run_id))).toEqual(new Set([s.demoRun]))
    },
  },
  // Where was it lost? Critical turns
  {
    line: "pnpm tau run --domain demo --agent noisy-oracle:0.3 --trials 4 --json",
    check: (r, s) => {
      const rows = jsonRows(r)
      expect(rows).toHaveLength(40)
      s.noisyRun = String(rows[0].run_id)
      // The first failed one by task and trial (the seeds fix which fail, not the order they end in).
      const failed = rows.filter((row) => row.reward === 0).sort((a, b) => `${a.task_id}/${a.trial}`.localeCompare(`${b.task_id}/${b.trial}`))
      s.noisyFailed = String(failed[0]?.episode_id)
    },
  },
  {
    line: "pnpm tau critical <episode> --samples 20",
    fill: (s) => ({ "<episode>": s.noisyFailed }),
    check: (r, s) => {
      expect(r.stdout).toMatch(/^turn\s+role\s+message\s+samples\s+successes\s+estimate\s+95% CI/m)
      expect(r.stdout).toMatch(/^critical turn \d+ /m)
      s.criticalRun = r.stdout.match(/ run (\S+~critical-[0-9a-f]+)/)?.[1] ?? "(no analysis run printed)"
    },
  },
  {
    line: "pnpm tau critical <episode> --turns 4..9 --max-samples 60 --agent openai:gpt-4.1",
    fill: (s) => ({ "<episode>": s.noisyFailed }),
    check: (r) => {
      expect(r.stdout).toContain("agent openai:gpt-4.1")
      expect(r.stdout).toMatch(/^60 of \d+ samples taken \(the sample budget\)/m)
    },
  },
  {
    line: "pnpm tau critical --run <run-id> --failed",
    fill: (s) => ({ "<run-id>": s.noisyRun }),
    check: (r) => {
      for (const part of ["where in the conversation:", "what the critical turn was:", "by task:"]) expect(r.stdout).toContain(part)
    },
  },
  {
    line: "pnpm tau critical <episode> --samples 30 --max-samples 90 --adaptive",
    fill: (s) => ({ "<episode>": s.noisyFailed }),
    check: (r) => expect(r.stdout).toMatch(/^critical turn \d+ /m),
  },
  {
    line: "pnpm tau critical <episode> --agent openai:gpt-4.1 --budget-usd 2",
    fill: (s) => ({ "<episode>": s.noisyFailed }),
    check: (r) => expect(r.stdout).toMatch(/samples taken \(the \$2 budget\)/),
  },
  {
    line: "pnpm tau report --run <episode>~critical-<hash> --format html --out critical.html",
    fill: (s) => ({ "<episode>~critical-<hash>": s.criticalRun }),
    check: (_, s) => expect(readFileSync(file(s, "critical.html"), "utf8")).toContain("<svg"),
  },
  // Model-backed runs
  {
    line: `pnpm tau run --domain airline --agent openai:gpt-4.1 --user openai:gpt-4.1 --agent-args '{"temperature": 0}' --user-args '{"temperature": 0}' --trials 4 --max-concurrency 8 --rate-limit openai=500`,
    // 500 requests a minute hold its 600 model calls for over a minute: it waits beside the other lines.
    background: true,
    check: (r, s) => {
      expect(r.stdout).toMatch(/: 200 episodes, average reward/)
      const sent = s.server.calls.filter((c) => c.system.includes("Airline Agent Policy"))
      expect(sent.length).toBeGreaterThan(0)
      for (const c of sent) expect(c.body.temperature).toBe(0)
    },
  },
  {
    line: "pnpm tau run --domain telecom --mode oracle-plan --agent anthropic:claude-sonnet-4-5 --user openai:gpt-4.1",
    check: (r, s) => {
      expect(r.stdout).toMatch(/: 114 episodes, average reward/)
      expect(s.server.calls.some((c) => c.api === "anthropic" && c.model === "claude-sonnet-4-5")).toBe(true)
      s.telecomModelRun = runIdOf(r)
    },
  },
  {
    line: "pnpm tau run --resume <run-id> --cache",
    fill: (s) => ({ "<run-id>": s.telecomModelRun }),
    check: (r, s) => expect(runIdOf(r)).toBe(s.telecomModelRun),
  },
  {
    line: "OPENAI_API_KEY=local OPENAI_BASE_URL=<url> pnpm tau run --domain demo --task-ids renew_loan,link_card_in_app --agent openai:demo --user openai:demo",
    fill: (s) => ({ "<url>": s.server.baseURL }),
    check: (r, s) => {
      expect(r.stdout).toMatch(/: 2 episodes, average reward 1\.00/)
      s.demoModelRun = runIdOf(r)
    },
  },
  // Ablations, experiments and reports
  { line: "pnpm tau run --domain telecom --mode no-user --agent oracle", check: (r) => expect(r.stdout).toMatch(/: 114 episodes, average reward 1\.00/) },
  { line: "pnpm tau experiment examples/experiment.yaml", check: (r) => expect(r.stdout).toContain("report: tau report --experiment demo-ablation") },
  {
    line: "pnpm tau report --experiment demo-ablation --format html --out report.html",
    check: (_, s) => expect(readFileSync(file(s, "report.html"), "utf8")).toContain("demo-ablation"),
  },
  {
    line: "pnpm tau counterfactual --run <run-id> --at-first-write --agent openai:gpt-4.1",
    fill: (s) => ({ "<run-id>": s.demoModelRun }),
    check: (r, s) => expect(r.stdout).toContain(`${s.demoModelRun}~cf-`),
  },
  {
    line: "pnpm tau report --run <run-a> --run <run-b>",
    fill: (s) => ({ "<run-a>": s.demoRun, "<run-b>": s.noisyRun }),
    check: (r, s) => {
      expect(r.stdout).toContain(`Run ${s.demoRun} vs ${s.noisyRun}`)
      expect(r.stdout).toContain(`Differences from ${s.demoRun}`)
    },
  },
  {
    line: "pnpm tau report --run <run-a> --run <run-b> --json",
    fill: (s) => ({ "<run-a>": s.demoRun, "<run-b>": s.noisyRun }),
    check: (r, s) => {
      const [report] = jsonRows(r)
      expect(jsonRows(r)).toHaveLength(1)
      expect((report.comparison as { baseline_run_id: string }).baseline_run_id).toBe(s.demoRun)
    },
  },
  {
    line: "pnpm tau report --run <run-id> --format html --viewer-url http://127.0.0.1:7474/ --out report.html",
    fill: (s) => ({ "<run-id>": s.demoRun }),
    check: (_, s) => {
      const html = readFileSync(file(s, "report.html"), "utf8")
      expect(html).toContain(`<a href="http://127.0.0.1:7474/runs/${s.demoRun}?task=renew_loan">`)
      expect(html).not.toContain("?token=")
    },
  },
  // τ² results
  {
    line: "pnpm tau evaluate-trajs results.json run-dir/ --json",
    // The files the README's export lines below write.
    before: async (s) => {
      for (const out of [
        ["--out", "results.json"],
        ["--layout", "dir", "--out", "run-dir/"],
      ]) {
        const r = await runIn(s, ["export", "tau2", "--run", s.demoRun, ...out])
        expect(r.code, r.stderr).toBe(0)
      }
    },
    check: (r) => {
      const rows = jsonRows(r)
      expect(rows.filter((row) => row.type === "episode")).toHaveLength(60)
      expect(rows.filter((row) => row.type === "summary").map((row) => row.results)).toEqual(["results.json", "run-dir/"])
    },
  },
  { line: "pnpm tau evaluate-trajs run-dir/ --fresh-tasks --out rescored/", check: (_, s) => expect(existsSync(file(s, "rescored/results.json"))).toBe(true) },
  { line: "pnpm tau import tau2 run-dir/", check: (r) => expect(r.stdout).toMatch(/^imported 30 of 30 simulations of demo as run /m) },
  {
    line: "pnpm tau export tau2 --run <run-id> --out results.json",
    fill: (s) => ({ "<run-id>": s.demoRun }),
    check: (_, s) => expect((JSON.parse(readFileSync(file(s, "results.json"), "utf8")) as { simulations: unknown[] }).simulations).toHaveLength(30),
  },
  {
    line: "pnpm tau export tau2 --run <run-id> --layout dir --out run-dir/",
    fill: (s) => ({ "<run-id>": s.demoRun }),
    check: (r) => expect(r.stdout).toContain("wrote run-dir/ (dir layout: results.json and 30 simulation files)"),
  },
  {
    line: "OPENAI_API_KEY=sk-... pnpm tau run --domain retail --agent openai:gpt-4.1 --user openai:gpt-4.1 --nl-judge openai:gpt-4.1",
    fill: () => ({ "sk-...": KEY }),
    check: (r, s) => {
      expect(r.stdout).toMatch(/: 114 episodes, average reward/)
      expect(r.stderr).toMatch(/^judge openai:gpt-4\.1: \d+ model calls/m)
      s.retailRun = runIdOf(r)
    },
  },
  {
    line: "pnpm tau rescore --run <run-id> --nl-judge openai:gpt-4.1 --json",
    fill: (s) => ({ "<run-id>": s.retailRun }),
    check: (r) => {
      const judged = jsonRows(r).filter((row) => "judge_calls" in row)
      expect(judged.length).toBeGreaterThan(0)
      for (const row of judged) expect(row).toMatchObject({ judge_calls: expect.any(Number), judge_reused: expect.any(Number), judge_cost: expect.anything() })
    },
  },
  // Behavioural evaluators
  {
    line: "pnpm tau rescore --run <run-id> --evaluator support-desk --json",
    fill: (s) => ({ "<run-id>": s.demoRun }),
    check: (r) => {
      const rows = jsonRows(r)
      expect(rows).toHaveLength(30)
      for (const row of rows) expect(row).toMatchObject({ evaluator: "support-desk", breakdown: expect.any(Object) })
    },
  },
  {
    line: "pnpm tau show <episode>",
    fill: (s) => ({ "<episode>": s.demoEpisode }),
    check: (r) => {
      for (const part of ["support-desk@1 (latest", "unconfirmed writes", "ungrounded claims", "unsafe actions"]) expect(r.stdout).toContain(part)
    },
  },
  {
    line: "pnpm tau report --run <run-id> --format html --out report.html",
    fill: (s) => ({ "<run-id>": s.demoRun }),
    check: (_, s) => expect(readFileSync(file(s, "report.html"), "utf8")).toContain("Support-desk"),
  },
  // The viewer
  {
    line: "pnpm tau view",
    // The default port may be taken (a viewer the developer runs): then the line must say so.
    serves: (first, r) => {
      if (first === null) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: expect.stringContaining("127.0.0.1:7474: the port is in use") })
      else {
        expect(first).toMatch(/^http:\/\/127\.0\.0\.1:7474\/\?token=[\w-]+$/)
        expect(r.code, r.stderr).toBe(130)
      }
    },
  },
  {
    line: "pnpm tau view --db other.db --port 0",
    before: async (s) => {
      const r = await runIn(s, ["run", "--domain", "demo", "--task-ids", "renew_loan", "--db", "other.db"])
      expect(r.code, r.stderr).toBe(0)
    },
    serves: (first, r) => {
      expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/)
      expect(new URL(first ?? "").port).not.toBe("0")
      expect(r.code, r.stderr).toBe(130)
    },
  },
  // A shared store on PostgreSQL; distributed runs
  {
    line: "pnpm tau run --domain demo --trials 3 --db postgres://tau@127.0.0.1:5433/tau",
    why: "needs a PostgreSQL server; the Postgres test starts a throwaway one",
    coveredBy: [{ file: inCli(POSTGRES), contains: ['"run", "--domain", "demo"', '"--trials"'] }],
  },
  {
    line: "PGPASSWORD=... pnpm tau replay --all --verify --db postgres://tau@db.internal:5432/tau",
    why: "needs a PostgreSQL server with a password",
    coveredBy: [{ file: inCli(POSTGRES), contains: ['"replay", "--all", "--verify"', "PGPASSWORD"] }],
  },
  {
    line: "pnpm tau worker --db postgres://tau@127.0.0.1:5433/tau --max-concurrency 8",
    why: "a worker serves until stopped, on a Postgres store",
    coveredBy: [{ file: inCli(CLUSTER), contains: ['"worker", "--db"', '"--max-concurrency"'] }],
  },
  {
    line: "pnpm tau worker --db postgres://tau@db.internal:5432/tau --host 10.0.0.7 --port 34431",
    // No test starts a worker on a given --host/--port (the cluster test's workers take the defaults);
    // the flags' existence is checked against `tau worker --help` below.
    why: "another machine's address and a Postgres store",
    coveredBy: [{ file: inCli(CLUSTER), contains: ['"worker", "--db"'] }],
  },
  {
    line: "pnpm tau run --domain demo --agent openai:gpt-4.1 --user openai:gpt-4.1 --trials 8 --db postgres://tau@127.0.0.1:5433/tau --distributed --rate-limit openai=500 --provider-concurrency openai=16",
    why: "workers on a Postgres store",
    coveredBy: [
      { file: inCli(CLUSTER), contains: ['"--distributed"', '"--provider-concurrency"'] },
      { file: "packages/cluster/test/config.unit.spec.ts", contains: ['"--rate-limit"'] },
    ],
  },
  {
    line: "pnpm tau experiment examples/experiment.yaml --db postgres://tau@127.0.0.1:5433/tau --distributed",
    why: "workers on a Postgres store",
    coveredBy: [{ file: inCli(CLUSTER), contains: ['["experiment", file, "--db", db, "--distributed"'] }],
  },
  {
    line: "pnpm tau run --follow <run-id> --db postgres://tau@127.0.0.1:5433/tau",
    why: "re-attaches to a distributed run on a Postgres store",
    coveredBy: [{ file: inCli(CLUSTER), contains: ['"run", "--follow"'] }],
  },
]

// ---------------------------------------------------------------------------------------------
// Running them

const examples = readmeExamples(readFileSync(join(REPO, "README.md"), "utf8"))

it("every pnpm tau line of the README is run or mapped to the test that covers it, in the README's order", () => {
  expect(examples.map((e) => e.line)).toEqual(PLANS.map((p) => p.line))
})

describe("README lines covered by other tests", () => {
  const mapped = PLANS.filter(isMapped)
  it.each(mapped.map((p) => [p.line, p] as const))("%s", async (_, plan) => {
    for (const { file: path, contains } of plan.coveredBy) {
      const text = readFileSync(join(REPO, path), "utf8")
      for (const part of contains) expect(text, `${path} covers ${plan.line}`).toContain(part)
    }
    // Every flag the line gives is one the command has.
    const example = examples.find((e) => e.line === plan.line)
    if (!example) throw new Error(`not in the README: ${plan.line}`)
    const [command] = example.args
    const help = await tau([command, "--help"], tmp.root)
    for (const flag of example.args.filter((a) => a.startsWith("--"))) expect(help.stdout, `${command} ${flag}`).toContain(`  ${flag} `)
  })
})

let state: State
/** A command of the preparation (not a README line), in the examples' folder and environment. */
const runIn = (s: State, args: ReadonlyArray<string>, env = childEnv(s.server)): Promise<TauResult> => tau(args, s.cwd, env)

const XDG = tmp.file("xdg")
/** The child's environment: dummy keys for the local model server, the data in the fetch cache, nothing from the caller's shell. */
const childEnv = (server: FakeLlmServer, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/API_KEY|BASE_URL|^TAU2_DATA_DIR$|^COLUMNS$/.test(k))),
  XDG_CACHE_HOME: XDG,
  OPENAI_API_KEY: KEY,
  OPENAI_BASE_URL: server.baseURL,
  ANTHROPIC_API_KEY: KEY,
  ANTHROPIC_BASE_URL: server.baseURL,
  ...extra,
})

/** The demo brain, with a price worth a budget (gpt-4.1: $0.10 a call) and the NL judge answered in its strict JSON. */
const brain: Brain = async (call, index) => {
  if (call.system.includes("expectedOutcome")) return { type: "message", text: JSON.stringify({ results: [] }) }
  const reply = await demoBrain(call, index)
  return reply.type === "message" ? { ...reply, usage: { input: 50_000, output: 500 } } : reply
}

/** A port nothing listens on (a provider that is down). */
const closedPort = async (): Promise<number> => {
  const server = createServer()
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok))
  const { port } = server.address() as { port: number }
  await new Promise((ok) => server.close(ok))
  return port
}

/** The args of an example with its placeholders filled; a placeholder left is an error naming it. */
const filled = (example: Example, plan: Run, s: State) => {
  const values = Object.entries(plan.fill?.(s) ?? {}).sort(([a], [b]) => b.length - a.length)
  const fill = (word: string) => values.reduce((w, [k, v]) => w.split(k).join(v), word)
  const args = example.args.map(fill)
  const env = Object.fromEntries(Object.entries(example.env).map(([k, v]) => [k, fill(v)]))
  const left = [...args, ...Object.values(env)].filter((w) => /<[a-z-]+>|\.\.\./.test(w))
  if (left.length > 0) throw new Error(`unfilled placeholder in ${example.line}: ${left.join(" ")}`)
  return { args, env }
}

/** Resolves with the first line of standard output, or null when the process exits first. */
const firstStdoutLine = (child: ChildProcess, exited: Promise<TauResult>): Promise<string | null> =>
  new Promise((resolve) => {
    let out = ""
    child.stdout?.on("data", (d: Buffer | string) => {
      out += d.toString()
      const nl = out.indexOf("\n")
      if (nl >= 0) resolve(out.slice(0, nl))
    })
    void exited.then(() => resolve(null))
  })

data.describe("README examples against the real CLI", () => {
  const background = new Map<string, Promise<TauResult>>()

  beforeAll(async () => {
    const cwd = tmp.file("cwd")
    mkdirSync(cwd)
    // The data where `tau data fetch` puts it.
    mkdirSync(join(XDG, "tau-sim", "tau2-data"), { recursive: true })
    symlinkSync(data.tau2, join(XDG, "tau-sim", "tau2-data", TAU2_DATA_REF))
    const server = await startFakeLlmServer({ brain })
    state = { cwd, server } as State
    writeFileSync(join(cwd, "my-agent.json"), JSON.stringify([{ text: "I cannot help with that today. ###STOP###" }]))
    mkdirSync(join(cwd, "examples"))
    cpSync(join(REPO, "examples/experiment.yaml"), join(cwd, "examples/experiment.yaml"))

    for (const plan of PLANS) {
      const example = examples.find((e) => e.line === plan.line)
      if (isMapped(plan) || !plan.background || !example) continue
      const own = tmp.file(`cwd-${background.size}`)
      mkdirSync(own)
      const { args, env } = filled(example, plan, state)
      background.set(plan.line, tau(args, own, childEnv(server, env)))
    }

    // A run that failed (max_steps, reward 0) and one whose every episode errored (the provider is down).
    const cut = await runIn(state, ["run", "--domain", "demo", "--task-ids", "renew_loan", "--max-steps", "3", "--run-id", "prep_cut"])
    expect(cut.code, cut.stderr).toBe(0)
    const down = `http://127.0.0.1:${await closedPort()}/v1`
    const errored = await runIn(
      state,
      ["run", "--domain", "demo", "--task-ids", "renew_loan", "--agent", "openai:demo", "--max-attempts", "1", "--model-retries", "0", "--run-id", "prep_err"],
      childEnv(server, { OPENAI_BASE_URL: down }),
    )
    expect(errored.code, errored.stderr).toBe(1)
    // An interrupted run: Ctrl-C while its third model call hangs.
    const gated = await gatedModelServer()
    try {
      const hang = gated.hangAt(3)
      const args = [
        "run",
        "--domain",
        "demo",
        "--task-ids",
        "renew_loan,link_card_in_app",
        "--agent",
        "openai:demo",
        "--user",
        "openai:demo",
        "--run-id",
        "prep_stopped",
      ]
      const child = spawnTau(args, cwd, childEnv(gated.server))
      const done = finished(child)
      await hang.reached
      child.kill("SIGINT")
      const stopped = await done
      hang.release()
      expect(stopped.code, stopped.stderr).toBe(130)
    } finally {
      await gated.close()
    }
  })
  afterAll(async () => {
    await Promise.allSettled(background.values())
    await state?.server.close()
  })

  // In the README's order; a background line last (nothing depends on it, so it runs beside all the others).
  const runs = PLANS.filter((p): p is Run => !isMapped(p))
  for (const plan of [...runs.filter((p) => !p.background), ...runs.filter((p) => p.background)]) {
    it(plan.line, async () => {
      const example = examples.find((e) => e.line === plan.line)
      if (!example) throw new Error(`not in the README: ${plan.line}`)
      await plan.before?.(state)
      const { args, env } = filled(example, plan, state)
      if (plan.serves) {
        const child = spawnTau(args, state.cwd, childEnv(state.server, env))
        const exited = finished(child)
        const first = await firstStdoutLine(child, exited)
        if (first !== null) child.kill("SIGINT")
        plan.serves(first, await exited)
        return
      }
      const r = await (background.get(plan.line) ?? tau(args, state.cwd, childEnv(state.server, env)))
      expect({ code: r.code, signal: r.signal }, r.stderr.slice(-2000)).toEqual({ code: plan.code ?? 0, signal: null })
      await plan.check?.(r, state)
    })
  }
})
