/**
 * Loading `db.toml` and `user_db.toml` into the reference's JSON form (`model_dump(mode="json")`)
 * with the shared pydantic validator (`../pydantic.ts`).
 *
 * TOML gives JS numbers, so whether a value is a Python int or float comes from the model's field
 * type (pydantic converts `5` to `5.0` in a float field); TOML dates are dates, other values are as
 * parsed. Every failure is a `DataFileError`.
 */
import * as path from "node:path"
import type { PyObject } from "@tau-sim/engine"
import { parse as parseToml, TomlDate } from "smol-toml"
import { DataFileError } from "../errors.ts"
import type { Tau2Databases } from "../module.ts"
import type { ModelDef } from "../pydantic.ts"
import { decodeModel, readTextFile } from "../validate.ts"
import { TelecomDB, TelecomUserDB } from "./models.ts"

/** A TOML local date / local date-time as ISO text (offset date-times and times are no dates). */
const tomlDateText = (v: unknown): string | undefined =>
  v instanceof TomlDate && (v.isDate() || (v.isDateTime() && v.isLocal())) ? v.toISOString() : undefined

/** Parses one TOML file into the JSON form of `model`. */
const loadTomlModel = (file: string, model: ModelDef): PyObject => {
  const text = readTextFile(file)
  let raw: unknown
  try {
    raw = parseToml(text)
  } catch (e) {
    throw new DataFileError(file, "", "valid TOML", (e as Error).message.split("\n")[0])
  }
  return decodeModel(model, raw, file, { dateText: tomlDateText })
}

export const loadTelecomDatabases = (domainDir: string): Tau2Databases => {
  const agentFile = path.join(domainDir, "db.toml")
  const userFile = path.join(domainDir, "user_db.toml")
  return {
    agent: loadTomlModel(agentFile, TelecomDB),
    user: loadTomlModel(userFile, TelecomUserDB),
    files: [agentFile, userFile],
  }
}
