/** Flags and plumbing shared by every command. */
import * as path from "node:path"
import { type EventStore, layerSqlite, PyJson, type StoreError } from "@tau-sim/engine"
import { redactText, rememberSecrets, urlSecrets } from "@tau-sim/models"
// Only the URL helpers: the store itself (and its driver) is imported when a postgres:// --db is given.
import { isPostgresUrl } from "@tau-sim/store-pg/url"
// Only the duration reader: the runs package is loaded by the commands that run episodes.
import { DURATION_FORMS, parseDurationMs } from "@tau-sim/runs/duration"
import { Effect, Layer, Option } from "effect"
import { Flag } from "effect/cli"

export const DEFAULT_DB = path.join(".tau", "tau.db")

/**
 * A flag's description with its default, the one way help shows one (effect/cli's `--help` does
 * not print `Flag.withDefault` values): `<description> (default: <value>)`. Used for flags with
 * `Flag.withDefault` (through `withShownDefault`) and for optional flags whose default is applied
 * later (a run's configuration flags, which `--resume` must be able to tell apart from absent).
 */
export const describedDefault = (description: string, shown: string | number): string => `${description}${description === "" ? "" : " "}(default: ${shown})`

/** `Flag.withDefault(value)` with the default shown in `--help` (`describedDefault`). */
export const withShownDefault =
  <const B extends string | number | boolean>(description: string, value: B, shown: string | number = String(value)) =>
  <A>(self: Flag.Flag<A>): Flag.Flag<A | B> =>
    self.pipe(Flag.withDescription(describedDefault(description, shown)), Flag.withDefault(value))

// An empty path would be SQLite's private temporary database: a run stored there keeps nothing.
export const dbFlag = Flag.String("db").pipe(
  Flag.filter(
    (p) => p.trim() !== "",
    () => "a file path (an empty one would store nothing)",
  ),
  withShownDefault("Event store: a SQLite file, or a PostgreSQL URL postgres://user@host:port/database (password from PGPASSWORD or the URL)", DEFAULT_DB),
)
export const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("Print machine-readable JSON"), Flag.withDefault(false))
/** Where `--data-dir` defaults to (resolved by the domains' `resolveDataDir` when the flag is absent). */
export const DATA_DIR_DEFAULT = "$TAU2_DATA_DIR, else the data `tau data fetch` installed"
export const dataDirFlag = Flag.String("data-dir").pipe(
  Flag.withDescription(describedDefault("τ² data folder (containing domains/<name>/) for the τ² domains", DATA_DIR_DEFAULT)),
  Flag.optional,
)

/** For commands over stored episodes: where a run's data is now, when it moved (checked by content hash). */
export const movedDataDirFlag = Flag.String("data-dir").pipe(
  Flag.withDescription(describedDefault("Read the τ² data from this folder instead of the one recorded (it must hash the same)", "the recorded folder")),
  Flag.optional,
)

/** For commands over stored episodes: where a domain given by path is now, when its folder moved (checked by content hash). */
export const movedDomainFlag = Flag.String("domain").pipe(
  Flag.withDescription(
    describedDefault(
      "Read a domain given by path from this file or folder instead of the one recorded (it must hash the same); others ignore it",
      "the recorded path",
    ),
  ),
  Flag.optional,
)

/**
 * Numeric flags, checked when the command line is parsed: a count or limit that is zero, negative or
 * fractional is a usage error naming the flag, before anything runs or is stored.
 */
const wholeNumber = (name: string, min: number) =>
  Flag.Int(name).pipe(
    Flag.filter(
      (n) => n >= min && Number.isSafeInteger(n),
      () => `a whole number ≥ ${min}`,
    ),
  )
/** 1, 2, ...: counts and limits (`--trials`, `--max-steps`, `--max-concurrency`, ...). */
export const positiveInt = (name: string) => wholeNumber(name, 1)
/** 0, 1, ...: where 0 means none (`--model-retries`, `--at-turn`). */
export const nonNegativeInt = (name: string) => wholeNumber(name, 0)
/** A duration flag (`parseDurationMs`), in milliseconds. */
export const durationFlag = (name: string) =>
  Flag.String(name).pipe(
    Flag.withMetavar("duration"),
    Flag.filterMap(
      (text) => Option.fromNullishOr(parseDurationMs(text)),
      () => DURATION_FORMS,
    ),
  )

/** A duration in milliseconds as `durationFlag` reads it back (`1h30m`, `90s`, `500ms`). */
export const formatDurationMs = (ms: number): string => {
  if (ms % 1000 !== 0) return `${ms}ms`
  let s = ms / 1000
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${s > 0 || ms === 0 ? `${s}s` : ""}`
}

/** A finite number > 0 (`--model-timeout` seconds). */
export const positiveNumber = (name: string) =>
  Flag.Finite(name).pipe(
    Flag.filter(
      (n) => n > 0,
      () => "a number > 0",
    ),
  )

export interface StoreOptions {
  /** For commands over stored records: a missing store is an error naming it, and nothing is created. */
  readonly mustExist?: boolean
}

/**
 * The store `--db` names. A Postgres store's package (and its driver) is imported only then: the
 * SQLite default starts without it (ADR 0006). The URL's password is remembered as a secret, so
 * that no output or error line shows it (messages name the store as postgres://***@host/...).
 */
export const storeLayer = (db: string, options: StoreOptions = {}): Layer.Layer<EventStore, StoreError> => {
  if (!isPostgresUrl(db)) return layerSqlite(db, options)
  rememberSecrets(urlSecrets(db))
  return Layer.unwrap(Effect.promise(() => import("@tau-sim/store-pg")).pipe(Effect.map((pg) => pg.layerPostgres(withPgPassword(db), options))))
}

/** The URL with PGPASSWORD as its password when it has none (libpq's convention), kept out of argv and shell history. */
const withPgPassword = (db: string): string => {
  const password = process.env.PGPASSWORD
  if (!password) return db
  try {
    const url = new URL(db)
    if (url.password !== "" || url.username === "") return db
    url.password = password
    rememberSecrets([password])
    return url.toString()
  } catch {
    return db
  }
}

/** Runs a command body with the store (the other services it needs come from the composition root, main.ts). */
export const withStore = <A, E, R>(db: string, body: Effect.Effect<A, E, R>, options: StoreOptions = {}) => body.pipe(Effect.provide(storeLayer(db, options)))

/** Runs a command body over an existing store (read-only commands, and those that add to stored runs). */
export const withExistingStore = <A, E, R>(db: string, body: Effect.Effect<A, E, R>) => withStore(db, body, { mustExist: true })

// Output is redacted like the record: URLs lose their credentials, known secret values are replaced.
export const print = (line: string) => Effect.sync(() => process.stdout.write(`${redactText(line)}\n`))
export const progress = (line: string) => Effect.sync(() => process.stderr.write(`${redactText(line)}\n`))
/** One JSON document on stdout; Python floats in it as floats (`-16.63`, `2.0`). */
export const printJson = (value: unknown) => print(PyJson.stringify(value))
