/**
 * `tau worker --db postgres://…`: one runner of the cluster (ADR 0009). It plays the episodes that
 * `tau run|experiment --distributed` submit, logs each one it starts, resumes, hands over and ends
 * (standard error), and runs until it is stopped: SIGTERM or Ctrl-C drain it (each episode ends its
 * current hop, then the others take over), a second signal exits at once.
 */
import { createServer } from "node:net"
import { describeUrl, isPostgresUrl } from "@tau-sim/store-pg/url"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { usage } from "../usage-error.ts"
import { dbFlag, positiveInt, progress, storeLayer, withShownDefault } from "./common.ts"

const flags = {
  db: dbFlag,
  host: Flag.String("host").pipe(
    withShownDefault(
      "The address the other runners reach this one at, and listen on (give the machine's address for runners on several machines)",
      "127.0.0.1",
    ),
  ),
  port: positiveInt("port").pipe(Flag.withDescription("The TCP port of runner-to-runner messages (default: a free one)"), Flag.optional),
  maxConcurrency: positiveInt("max-concurrency").pipe(withShownDefault("Episodes played at once by this worker", 8)),
}

/** A TCP port free on `host` now (the runner binds it right after). */
const freePort = (host: string) =>
  Effect.callback<number, Error>((resume) => {
    const server = createServer()
    server.on("error", (e) => resume(Effect.fail(e)))
    server.listen(0, host, () => {
      const address = server.address()
      server.close(() => resume(typeof address === "object" && address ? Effect.succeed(address.port) : Effect.fail(new Error(`no free port on ${host}`))))
    })
  })

export const workerCommand = Command.make("worker", flags, (f) =>
  Effect.gen(function* () {
    if (!isPostgresUrl(f.db)) return yield* usage(`tau worker needs a PostgreSQL store (--db postgres://user@host:port/database), not ${f.db}`)
    const port = Option.isSome(f.port) ? f.port.value : yield* freePort(f.host)
    yield* progress(`tau worker on ${describeUrl(f.db)}: runner ${f.host}:${port}`)
    const { runWorker } = yield* Effect.promise(() => import("@tau-sim/cluster"))
    return yield* runWorker({
      url: f.db,
      host: f.host,
      port,
      maxConcurrency: f.maxConcurrency,
      log: (line) => Effect.runSync(progress(line)),
    }).pipe(Effect.provide(storeLayer(f.db)))
  }),
).pipe(Command.withDescription("Run one worker of a cluster on a PostgreSQL store: it plays the episodes of tau run|experiment --distributed"))
