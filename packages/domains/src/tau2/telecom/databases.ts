/**
 * Loading `db.toml` and `user_db.toml` into the reference's JSON form (`model_dump(mode="json")`).
 *
 * TOML gives JS numbers, so whether a value is a Python int or float comes from the model's field
 * type (pydantic converts `5` to `5.0` in a float field); missing keys take the model defaults;
 * dates render as `YYYY-MM-DD` and datetimes as `YYYY-MM-DDTHH:MM:SS`. Models forbid extra keys,
 * like the reference's `BaseModelNoExtra`. Every failure is a `DataFileError`.
 */
import * as path from "node:path"
import { float, type PyValue } from "@tau-sim/engine"
import { parse as parseToml, TomlDate } from "smol-toml"
import { DataFileError } from "../errors.ts"
import type { Tau2Databases } from "../module.ts"
import { formatPath, type PathSegment, readTextFile } from "../validate.ts"
import { type FieldType, type ModelDef, TelecomDB, TelecomUserDB } from "./models.ts"

const DATE = /^\d{4}-\d{2}-\d{2}$/
const DATETIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/

const describe = (v: unknown): string => {
  if (v === null || v === undefined) return "nothing"
  if (v instanceof Date) return "a TOML date"
  if (Array.isArray(v)) return "an array"
  if (typeof v === "object") return "a table"
  return `${typeof v} ${JSON.stringify(v)}`
}

/** A TOML local date / local date-time as ISO text (offset date-times and times are refused). */
const tomlDateText = (v: TomlDate): string | undefined => (v.isDate() || (v.isDateTime() && v.isLocal()) ? v.toISOString() : undefined)

const validDate = (text: string): boolean => {
  const d = new Date(`${text.slice(0, 10)}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text.slice(0, 10)
}

class Validator {
  readonly file: string
  constructor(file: string) {
    this.file = file
  }

  fail(at: ReadonlyArray<PathSegment>, expected: string, found: unknown): never {
    throw new DataFileError(this.file, formatPath(at), expected, `got ${describe(found)}`)
  }

  value(type: FieldType, raw: unknown, at: ReadonlyArray<PathSegment>): PyValue {
    switch (type.kind) {
      case "str":
        return typeof raw === "string" ? raw : this.fail(at, "a string", raw)
      case "bool":
        return typeof raw === "boolean" ? raw : this.fail(at, "a boolean", raw)
      case "int":
        if (typeof raw === "number" && Number.isInteger(raw)) return raw
        if (typeof raw === "bigint") return this.fail(at, "an integer within ±2^53", raw.toString())
        return this.fail(at, "an integer", raw)
      case "float":
        if (typeof raw === "number" && Number.isFinite(raw)) return float(raw)
        return this.fail(at, "a number", raw)
      case "date": {
        const text = raw instanceof TomlDate ? (raw.isDate() ? tomlDateText(raw) : undefined) : raw
        if (typeof text === "string" && DATE.test(text) && validDate(text)) return text
        return this.fail(at, "a date YYYY-MM-DD", raw)
      }
      case "datetime": {
        const text = raw instanceof TomlDate ? tomlDateText(raw) : raw
        const m = typeof text === "string" ? DATETIME.exec(text.replace(/\.000$/, "")) : null
        if (!m || !validDate(m[1])) return this.fail(at, "a local date-time YYYY-MM-DDTHH:MM:SS", raw)
        // A date alone means midnight (pydantic accepts it for a datetime field).
        return `${m[1]}T${m[2] ?? "00"}:${m[3] ?? "00"}:${m[4] ?? "00"}`
      }
      case "enum":
        if (typeof raw === "string" && type.values.includes(raw)) return raw
        return this.fail(at, `a ${type.name} (${type.values.map((v) => JSON.stringify(v)).join(", ")})`, raw)
      case "optional":
        return raw === null || raw === undefined ? null : this.value(type.inner, raw, at)
      case "list":
        if (!Array.isArray(raw)) return this.fail(at, "an array", raw)
        return raw.map((item, i) => this.value(type.item, item, [...at, i]))
      case "dict": {
        if (raw === null || typeof raw !== "object" || Array.isArray(raw) || raw instanceof Date) return this.fail(at, "a table", raw)
        const out: Record<string, PyValue> = {}
        for (const [k, v] of Object.entries(raw)) {
          const key = this.value(type.key, k, [...at, k])
          out[key as string] = this.value(type.value, v, [...at, k])
        }
        return out
      }
      case "model":
        return this.model(type.model, raw, at)
    }
  }

  model(model: ModelDef, raw: unknown, at: ReadonlyArray<PathSegment>): PyValue {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw) || raw instanceof Date)
      return this.fail(at, `a table (${model.name})`, raw)
    const table = raw as Record<string, unknown>
    const known = new Set(model.fields.map((f) => f.name))
    for (const key of Object.keys(table)) {
      if (!known.has(key))
        throw new DataFileError(this.file, formatPath([...at, key]), `one of the ${model.name} keys ${[...known].join(", ")}`, `unexpected key ${JSON.stringify(key)}`)
    }
    const out: Record<string, PyValue> = {}
    for (const f of model.fields) {
      if (Object.hasOwn(table, f.name)) out[f.name] = this.value(f.type, table[f.name], [...at, f.name])
      else if (f.default) out[f.name] = f.default()
      else throw new DataFileError(this.file, formatPath([...at, f.name]), `a value (required ${model.name} field)`, "key is missing")
    }
    return out
  }
}

/** Parses one TOML file into the JSON form of `model`. */
export const loadTomlModel = (file: string, model: ModelDef): PyValue => {
  const text = readTextFile(file)
  let raw: unknown
  try {
    raw = parseToml(text)
  } catch (e) {
    throw new DataFileError(file, "", "valid TOML", (e as Error).message.split("\n")[0])
  }
  return new Validator(file).model(model, raw, [])
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
