/** Flags and plumbing shared by every command. */
import * as path from "node:path"
import { type EventStore, layerSqlite, type StoreError } from "@tau-sim/engine"
import { Effect, type Layer } from "effect"
import { Flag } from "effect/cli"

export const DEFAULT_DB = path.join(".tau", "tau.db")

export const dbFlag = Flag.String("db").pipe(Flag.withDescription("SQLite event store file"), Flag.withDefault(DEFAULT_DB))
export const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("Print machine-readable JSON"), Flag.withDefault(false))
export const dataDirFlag = Flag.String("data-dir").pipe(
  Flag.withDescription("τ² data folder (containing domains/<name>/) for the τ² domains"),
  Flag.optional,
)

export const storeLayer = (db: string): Layer.Layer<EventStore, StoreError> => layerSqlite(db)

/** Runs a command body with the store. */
export const withStore = <A, E>(db: string, body: Effect.Effect<A, E, EventStore>) => body.pipe(Effect.provide(storeLayer(db)))

export const print = (line: string) => Effect.sync(() => process.stdout.write(`${line}\n`))
export const progress = (line: string) => Effect.sync(() => process.stderr.write(`${line}\n`))
export const printJson = (value: unknown) => print(JSON.stringify(value))
