/**
 * `tau view` as a child process for the viewer's tests: started on a free port, its URL read from
 * the first line of standard output (awaited, not slept for), stopped by a signal.
 */
import type { ChildProcess } from "node:child_process"
import { finished, spawnTau, type TauResult } from "./tau.ts"

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
