/**
 * `tau view`: the local web viewer over a store. The first line of standard output is the URL to
 * open, with this start's token (as Jupyter prints it); every API call needs that token, and a
 * fork started from the page needs it as a header. Binds 127.0.0.1 unless `--host` says
 * otherwise. Ctrl-C or SIGTERM closes the server and exits 130/143 (signals.ts).
 */
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as path from "node:path"
import { describeUrl, isPostgresUrl } from "@tau-sim/store-pg/url"
import { ForkFailed, type Forker, startViewer } from "@tau-sim/viewer"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { jsonFlag } from "./common.ts"
import { dbFlag, progress, withExistingStore, withShownDefault } from "./common.ts"

const DEFAULT_PORT = 7474
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"])

const flags = {
  db: dbFlag,
  json: jsonFlag.pipe(Flag.withDescription('Print the address as one JSON line, {"url", "host", "port"}, instead of the URL alone')),
  port: Flag.Int("port").pipe(
    Flag.filter(
      (p) => Number.isInteger(p) && p >= 0 && p <= 65535,
      () => "a port number 0..65535",
    ),
    withShownDefault("Port to listen on (0: any free port)", DEFAULT_PORT),
  ),
  host: Flag.String("host").pipe(
    Flag.filter(
      (h) => h.trim() !== "",
      () => "a host name or address",
    ),
    withShownDefault("Address to bind (127.0.0.1: only this machine can connect)", "127.0.0.1"),
  ),
  allowHost: Flag.String("allow-host").pipe(
    Flag.withDescription(
      "A name or address other machines reach this viewer by, e.g. 192.168.1.20 or box.lan (repeatable; with --host 0.0.0.0; every other Host header is refused)",
    ),
    Flag.filter(
      (h) => /^[A-Za-z0-9.:[\]-]+$/.test(h) && !/^[^:]*:\d+$/.test(h) && !/\]:\d+$/.test(h),
      () => "a host name or address, without a port",
    ),
    Flag.atLeast(0),
  ),
}

/**
 * Forking from the page runs `tau fork` itself, as a child process of this one: the same command,
 * participants and records as on the command line, and the server keeps answering meanwhile.
 * Arguments go to the child as an argument list (no shell), the page's specs as `--agent=<spec>`.
 */
const forkWithCli =
  (db: string): Forker =>
  (request) =>
    Effect.callback<{ readonly episode_id: string }, ForkFailed>((resume, signal) => {
      // The viewer names the branch, so that it can follow the branch while it runs.
      const args = [process.argv[1], "fork", request.episodeId, "--at-turn", String(request.atTurn), `--episode-id=${request.childId}`, "--json", "--db", db]
      // `--flag=value`: a value can never be read as a flag of its own (the viewer also refuses a leading "-").
      if (request.agent !== undefined) args.push(`--agent=${request.agent}`)
      if (request.user !== undefined) args.push(`--user=${request.user}`)
      const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], signal })
      let stdout = ""
      let stderr = ""
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
      const fail = (reason: string) => resume(Effect.fail(new ForkFailed({ episodeId: request.episodeId, reason })))
      child.on("error", (e) => fail(e.message))
      child.on("close", (code) => {
        if (code !== 0)
          return fail(
            stderr
              .split("\n")
              .find((l) => l.startsWith("error: "))
              ?.slice(7) ?? `tau fork exited with ${code}`,
          )
        try {
          const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as { episode_id?: unknown }
          if (typeof out.episode_id === "string") return resume(Effect.succeed({ episode_id: out.episode_id }))
        } catch {}
        fail("tau fork printed no episode id")
      })
    })

export const viewCommand = Command.make("view", flags, (f) =>
  withExistingStore(
    f.db,
    Effect.scoped(
      Effect.gen(function* () {
        // A fresh secret per start: a page or process that did not see this output cannot use the API.
        const token = randomBytes(24).toString("base64url")
        // A postgres:// store is named as given (to the catalog and to `tau fork`); a file by its full path.
        const db = isPostgresUrl(f.db) ? f.db : path.resolve(f.db)
        const viewer = yield* startViewer({ db, host: f.host, allowedHosts: f.allowHost, port: f.port, token, fork: forkWithCli(db) })
        // Not through `print`: its redaction would hide the token the URL must carry.
        yield* Effect.sync(() =>
          process.stdout.write(`${f.json ? JSON.stringify({ url: viewer.url, host: f.host, port: Number(new URL(viewer.url).port) }) : viewer.url}\n`),
        )
        if (!LOOPBACK.has(f.host))
          yield* progress(
            `warning: listening on ${f.host}: other machines can reach this viewer (the token still guards it)${
              f.allowHost.length === 0 ? "; they must address it by a name given with --allow-host, else they get 403" : ""
            }`,
          )
        yield* progress(`tau view: serving ${isPostgresUrl(f.db) ? describeUrl(f.db) : f.db} (Ctrl-C stops)`)
        return yield* Effect.never
      }),
    ),
  ),
).pipe(Command.withDescription("Start the local web viewer: runs, episodes, timelines, the world at each turn, branches"))
