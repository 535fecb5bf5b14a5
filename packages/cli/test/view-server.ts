/**
 * `tau view` as a child process for the viewer's tests: started on a free port, its URL read from
 * the first line of standard output (awaited, not slept for), stopped by a signal.
 */
import type { ChildProcess } from "node:child_process"
import { writeFileSync } from "node:fs"
import { expect } from "vitest"
import { finished, jsonLines, spawnTau, tau, type TauResult } from "./tau.ts"

export const RUN = "run_view"
export const HOSTILE_RUN = "run_hostile"

export interface ViewServer {
  /** The printed URL, token included. */
  readonly url: string
  /** `http://127.0.0.1:PORT` */
  readonly base: string
  readonly token: string
  readonly child: ChildProcess
  /** Everything the process printed, once it has exited. */
  readonly exited: Promise<TauResult>
  /** GET with the token header. */
  readonly get: (path: string, headers?: Record<string, string>) => Promise<Response>
  /** Sends `signal` and waits for the exit. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<TauResult>
}

export const startView = async (db: string, cwd: string, extra: ReadonlyArray<string> = []): Promise<ViewServer> => {
  const child = spawnTau(["view", "--db", db, "--port", "0", ...extra], cwd)
  const exited = finished(child)
  const firstLine = await new Promise<string>((resolve, reject) => {
    let out = ""
    const onData = (d: Buffer | string) => {
      out += d.toString()
      const nl = out.indexOf("\n")
      if (nl >= 0) {
        child.stdout?.off("data", onData)
        resolve(out.slice(0, nl))
      }
    }
    child.stdout?.on("data", onData)
    exited.then((r) => reject(new Error(`tau view exited (${r.code ?? r.signal}) before printing its URL: ${r.stderr}`)))
  })
  const url = new URL(firstLine)
  const token = url.searchParams.get("token") ?? ""
  const base = `${url.protocol}//${url.host}`
  return {
    url: firstLine,
    base,
    token,
    child,
    exited,
    get: (path, headers = { "x-tau-token": token }) => fetch(`${base}${path}`, { headers }),
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

export const HOSTILE_TEXT = `<img src=x onerror="window.__pwned='img'"> <script>window.__pwned='script'</script>`
export const HOSTILE_EMAIL = `<img src=x onerror=window.__pwned='tool'>`

/**
 * Writes the store the viewer tests read: a demo run, two forks of one of its episodes at the
 * same turn (one continued by the oracle, one by a scripted agent that gives up at once), and a
 * hostile scripted agent's run.
 */
export const writeViewStore = async (root: string, path: string) => {
  const run = await tau(["run", "--domain", "demo", "--trials", "2", "--run-id", RUN, "--json", "--db", path], root)
  expect(run.code, run.stderr).toBe(0)
  const rows = jsonLines(run.stdout)
  // Trial 0's, whichever finished first: forks keep their parent's trial, and a forks run's pass^k
  // goes up to its highest trial, so two stores must fork the same one to compare.
  const parent = String(rows.find((r) => r.task_id === "pay_fines_and_unblock" && r.trial === 0)?.episode_id)
  const fork = await tau(["fork", parent, "--at-turn", "4", "--json", "--db", path], root)
  expect(fork.code, fork.stderr).toBe(0)
  const quitter = `${root}/quitter-agent.json`
  writeFileSync(quitter, JSON.stringify([{ text: "Sorry, I cannot help with that. ###STOP###" }]))
  const sibling = await tau(["fork", parent, "--at-turn", "4", "--agent", `scripted:${quitter}`, "--json", "--db", path], root)
  expect(sibling.code, sibling.stderr).toBe(0)
  const agent = `${root}/hostile-agent.json`
  writeFileSync(
    agent,
    JSON.stringify([
      { text: HOSTILE_TEXT },
      { text: null, tool_calls: [{ name: "find_member_by_email", arguments: { email: HOSTILE_EMAIL } }] },
      { text: "###STOP###" },
    ]),
  )
  const hostile = await tau(
    ["run", "--domain", "demo", "--task-ids", "renew_loan", "--agent", `scripted:${agent}`, "--run-id", HOSTILE_RUN, "--json", "--db", path],
    root,
  )
  expect(hostile.code, hostile.stderr).toBe(0)
  return {
    rows,
    parent,
    fork: String(jsonLines(fork.stdout)[0].episode_id),
    sibling: String(jsonLines(sibling.stdout)[0].episode_id),
    hostile: String(jsonLines(hostile.stdout)[0].episode_id),
  }
}
