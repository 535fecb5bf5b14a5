/**
 * `tau worker`: one runner of the cluster, until it is stopped. It joins (after the shard-count
 * check), takes its share of the shards, and plays the units the cluster delivers to it. A stop
 * (SIGTERM, Ctrl-C) drains it first: every episode finishes the hop it is in and parks, then the
 * runner leaves, and its shards and their unfinished units move to the other runners. A second
 * signal exits at once; a SIGKILL is the same as a crash: the others take over within seconds
 * (config.ts timings), from each episode's last stored event.
 */
import { Effect, Layer } from "effect"
import { layerRunner } from "./layers.ts"
import { makeRunner } from "./runner.ts"

export interface WorkerOptions {
  /** The store's Postgres URL (the cluster's tables are in the same database). */
  readonly url: string
  /** The address other runners reach this one at, and where it listens. */
  readonly host: string
  readonly port: number
  /** Units played at once here. */
  readonly maxConcurrency: number
  readonly log: (line: string) => void
}

export const runWorker = (options: WorkerOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const runner = `${options.host}:${options.port}`
      const { layer, drain } = yield* makeRunner({ runner, maxConcurrency: options.maxConcurrency, log: options.log })
      yield* Layer.build(layer.pipe(Layer.provide(layerRunner(options.url, { host: options.host, port: options.port }))))
      // Finalizers run last-added first: the drain runs before the runner leaves the cluster.
      yield* Effect.addFinalizer(() =>
        Effect.gen(function* () {
          options.log(`runner ${runner}: draining (${drain.busy()} episodes finish their current hop)`)
          yield* drain.drain
          options.log(`runner ${runner}: drained; leaving the cluster`)
        }),
      )
      options.log(`runner ${runner}: joined the cluster (at most ${options.maxConcurrency} episodes at once)`)
      return yield* Effect.never
    }),
  )
