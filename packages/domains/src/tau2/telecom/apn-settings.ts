/**
 * `APNSettings(**apn_settings)` for the `set_apn_settings` tool: pydantic's lax validation of the
 * six fields (extra keys forbidden), with pydantic's `ValidationError` text on failure.
 */
import { isFloat, type PyValue } from "@tau-sim/engine"
import { type PydanticErrorDetail, PydanticValidationError } from "../pydantic.ts"
import { APN_NAMES, APNSettings, defaultsOf } from "./models.ts"
import type { Obj } from "./python.ts"

type Check = { ok: true; value: PyValue } | { ok: false; error: PydanticErrorDetail }

const fail = (loc: string, type: string, msg: string, input: PyValue): Check => ({ ok: false, error: { loc: [loc], type, msg, input } })

const TRUE_WORDS = ["1", "on", "t", "true", "y", "yes"]
const FALSE_WORDS = ["0", "off", "f", "false", "n", "no"]

const checkBool = (loc: string, v: PyValue): Check => {
  if (typeof v === "boolean") return { ok: true, value: v }
  const n = typeof v === "number" ? v : isFloat(v) ? v.value : undefined
  if (n === 0 || n === 1) return { ok: true, value: n === 1 }
  if (typeof v === "string") {
    const word = v.trim().toLowerCase()
    if (TRUE_WORDS.includes(word)) return { ok: true, value: true }
    if (FALSE_WORDS.includes(word)) return { ok: true, value: false }
  }
  if (typeof v === "string" || n !== undefined)
    return fail(loc, "bool_parsing", "Input should be a valid boolean, unable to interpret input", v)
  return fail(loc, "bool_type", "Input should be a valid boolean", v)
}

const checkOptionalStr = (loc: string, v: PyValue): Check =>
  v === null || typeof v === "string" ? { ok: true, value: v } : fail(loc, "string_type", "Input should be a valid string", v)

const checkOptionalInt = (loc: string, v: PyValue): Check => {
  if (v === null || typeof v === "number") return { ok: true, value: v }
  if (typeof v === "boolean") return { ok: true, value: Number(v) }
  if (isFloat(v)) {
    return Number.isInteger(v.value)
      ? { ok: true, value: v.value }
      : fail(loc, "int_from_float", "Input should be a valid integer, got a number with a fractional part", v)
  }
  if (typeof v === "string") {
    const text = v.trim().replaceAll("_", "")
    return /^[+-]?\d+$/.test(text) ? { ok: true, value: Number(text) } : fail(loc, "int_parsing", "Input should be a valid integer, unable to parse string as an integer", v)
  }
  return fail(loc, "int_type", "Input should be a valid integer", v)
}

const checkApnName = (loc: string, v: PyValue): Check =>
  typeof v === "string" && (APN_NAMES as ReadonlyArray<string>).includes(v)
    ? { ok: true, value: v }
    : fail(loc, "enum", `Input should be ${APN_NAMES.map((n) => `'${n}'`).join(" or ")}`, v)

const CHECKS: Readonly<Record<string, (loc: string, v: PyValue) => Check>> = {
  apn_name: checkApnName,
  reset_at_reboot: checkBool,
  mms_apn: checkOptionalStr,
  mmsc_url: checkOptionalStr,
  mms_proxy: checkOptionalStr,
  mms_port: checkOptionalInt,
}

/** The validated model (field order, defaults filled) or a `PydanticValidationError`. */
export const validateApnSettings = (input: Obj): Obj => {
  const out = defaultsOf(APNSettings) as Obj
  const errors: PydanticErrorDetail[] = []
  // pydantic reports field errors in declaration order, then extra keys in input order.
  for (const key of Object.keys(CHECKS)) {
    if (!Object.hasOwn(input, key)) continue
    const checked = CHECKS[key](key, input[key])
    if (checked.ok) out[key] = checked.value
    else errors.push(checked.error)
  }
  for (const [key, value] of Object.entries(input)) {
    if (!Object.hasOwn(CHECKS, key)) errors.push({ loc: [key], type: "extra_forbidden", msg: "Extra inputs are not permitted", input: value })
  }
  if (errors.length > 0) throw new PydanticValidationError("APNSettings", errors)
  return out
}
