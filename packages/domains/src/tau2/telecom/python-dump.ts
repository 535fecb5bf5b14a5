/**
 * The reference's *Python-mode* dump of a telecom database (`model_dump()`, as hashed by
 * `get_db_hash` and rendered in tool outputs with `default=str`): identical to the JSON form except
 * that datetimes print as `YYYY-MM-DD HH:MM:SS`.
 */
import type { PyValue } from "@tau-sim/engine"
import { datetimeStr } from "./calendar.ts"
import type { FieldType, ModelDef } from "../pydantic.ts"
import { TelecomDB, TelecomUserDB } from "./models.ts"
import { isObj } from "./python.ts"

const dumpValue = (type: FieldType, v: PyValue): PyValue => {
  switch (type.kind) {
    case "datetime":
      return typeof v === "string" ? datetimeStr(v) : v
    case "optional":
      return v === null ? v : dumpValue(type.inner, v)
    case "list":
      return Array.isArray(v) ? v.map((x) => dumpValue(type.item, x)) : v
    case "dict":
      return isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, dumpValue(type.value, x)])) : v
    case "model":
      return pythonModeDump(type.model, v)
    default:
      return v
  }
}

/** `model_dump()` of one model value. */
export const pythonModeDump = (model: ModelDef, v: PyValue): PyValue => {
  if (!isObj(v)) return v
  const out: Record<string, PyValue> = { ...v }
  for (const f of model.fields) if (Object.hasOwn(v, f.name)) out[f.name] = dumpValue(f.type, v[f.name])
  return out
}

export const telecomPythonDump = (db: PyValue): PyValue => pythonModeDump(TelecomDB, db)
export const telecomUserPythonDump = (db: PyValue): PyValue => pythonModeDump(TelecomUserDB, db)
