/**
 * The pydantic models the airline tools build from their (unvalidated) arguments: `FlightInfo`,
 * `Passenger`, `Payment`, `Certificate`, `ReservationFlight` and `Reservation`. Building one
 * validates in pydantic's lax mode and fails with pydantic's `ValidationError` text; a built model
 * is returned as its `model_dump()` (fields in declaration order, coerced values).
 */
import { float, isFloat, isObject, pyRepr, type PyObject, type PyValue } from "@tau-sim/engine"
import { type PydanticErrorDetail, PydanticValidationError } from "../pydantic.ts"

type Loc = ReadonlyArray<string | number>
/** Either the coerced value or the errors found (with their locations). */
type Checked = { readonly ok: true; readonly value: PyValue } | { readonly ok: false; readonly errors: ReadonlyArray<PydanticErrorDetail> }
type FieldCheck = (v: PyValue, loc: Loc) => Checked

const ok = (value: PyValue): Checked => ({ ok: true, value })
const bad = (loc: Loc, type: string, msg: string, input: PyValue): Checked => ({ ok: false, errors: [{ loc, type, msg, input }] })

export const str: FieldCheck = (v, loc) => (typeof v === "string" ? ok(v) : bad(loc, "string_type", "Input should be a valid string", v))

const I64_MAX = 9223372036854775807

/** pydantic `int`, lax mode. */
export const int: FieldCheck = (v, loc) => {
  if (typeof v === "number") return ok(v)
  if (typeof v === "boolean") return ok(v ? 1 : 0)
  if (isFloat(v)) {
    const x = v.value
    if (!Number.isFinite(x)) return bad(loc, "finite_number", "Input should be a finite number", v)
    if (!Number.isInteger(x)) return bad(loc, "int_from_float", "Input should be a valid integer, got a number with a fractional part", v)
    if (Math.abs(x) > I64_MAX) return bad(loc, "int_parsing_size", "Unable to parse input string as an integer, exceeded maximum size", v)
    return ok(x === 0 ? 0 : x)
  }
  if (typeof v === "string") {
    const m = /^\s*([+-]?\d+)(?:\.0*)?\s*$/.exec(v)
    if (m) return ok(Number(m[1]))
    return bad(loc, "int_parsing", "Input should be a valid integer, unable to parse string as an integer", v)
  }
  return bad(loc, "int_type", "Input should be a valid integer", v)
}

/** pydantic `float`, lax mode. */
export const flt: FieldCheck = (v, loc) => {
  if (isFloat(v)) return ok(v)
  if (typeof v === "number") return ok(float(v))
  if (typeof v === "boolean") return ok(float(v ? 1 : 0))
  if (typeof v === "string") {
    const t = v.trim()
    if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return ok(float(Number(t)))
    if (/^[+-]?(inf|infinity)$/i.test(t)) return ok(float(t.startsWith("-") ? -Infinity : Infinity))
    if (/^[+-]?nan$/i.test(t)) return ok(float(Number.NaN))
    return bad(loc, "float_parsing", "Input should be a valid number, unable to parse string as a number", v)
  }
  return bad(loc, "float_type", "Input should be a valid number", v)
}

/** pydantic `Literal[...]` of strings: "Input should be 'a', 'b' or 'c'". */
export const literal =
  (values: ReadonlyArray<string>): FieldCheck =>
  (v, loc) => {
    if (typeof v === "string" && values.includes(v)) return ok(v)
    const shown = values.map((x) => pyRepr(x))
    const expected = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(", ")} or ${shown.at(-1)}`
    return bad(loc, "literal_error", `Input should be ${expected}`, v)
  }

export const optional =
  (inner: FieldCheck): FieldCheck =>
  (v, loc) =>
    v === null ? ok(null) : inner(v, loc)

/** A model field list: name, check, and whether the field is required. */
interface ModelField {
  readonly name: string
  readonly check: FieldCheck
  readonly default?: PyValue
}

export interface ModelSpec {
  readonly name: string
  readonly fields: ReadonlyArray<ModelField>
}

/** Validates `input` (a dict) against a model: coerced dump or every error, in field order. */
const checkModel = (spec: ModelSpec, input: PyObject, loc: Loc): Checked => {
  const errors: PydanticErrorDetail[] = []
  const out: Record<string, PyValue> = {}
  for (const f of spec.fields) {
    if (!Object.hasOwn(input, f.name)) {
      if (f.default !== undefined) out[f.name] = f.default
      else errors.push({ loc: [...loc, f.name], type: "missing", msg: "Field required", input })
      continue
    }
    const r = f.check(input[f.name], [...loc, f.name])
    if (r.ok) out[f.name] = r.value
    else errors.push(...r.errors)
  }
  return errors.length > 0 ? { ok: false, errors } : ok(out)
}

/** `Model(**kwargs)`: the model dump, or pydantic's `ValidationError`. */
export const build = (spec: ModelSpec, kwargs: PyObject): PyObject => {
  const r = checkModel(spec, kwargs, [])
  if (!r.ok) throw new PydanticValidationError(spec.name, r.errors)
  return r.value as PyObject
}

/**
 * A nested model field. A value that already is a built model (marked by the caller) passes;
 * a dict is validated; anything else is `model_type`.
 */
export const nested =
  (spec: ModelSpec, isBuilt: (v: PyValue) => boolean): FieldCheck =>
  (v, loc) => {
    if (isBuilt(v)) return ok(v)
    if (isObject(v)) return checkModel(spec, v, loc)
    return bad(loc, "model_type", `Input should be a valid dictionary or instance of ${spec.name}`, v)
  }

/** `List[X]`: only lists pass in lax mode (JSON has no tuples or sets). */
export const listOf =
  (item: FieldCheck): FieldCheck =>
  (v, loc) => {
    if (!Array.isArray(v)) return bad(loc, "list_type", "Input should be a valid list", v)
    const errors: PydanticErrorDetail[] = []
    const out: PyValue[] = []
    v.forEach((x, i) => {
      const r = item(x, [...loc, i])
      if (r.ok) out.push(r.value)
      else errors.push(...r.errors)
    })
    return errors.length > 0 ? { ok: false, errors } : ok(out)
  }

const field = (name: string, check: FieldCheck, fieldDefault?: PyValue): ModelField =>
  fieldDefault === undefined ? { name, check } : { name, check, default: fieldDefault }

export const CABIN_CLASS = literal(["business", "economy", "basic_economy"])
export const FLIGHT_TYPE = literal(["round_trip", "one_way"])
export const INSURANCE = literal(["yes", "no"])

export const FlightInfo: ModelSpec = { name: "FlightInfo", fields: [field("flight_number", str), field("date", str)] }
export const Passenger: ModelSpec = { name: "Passenger", fields: [field("first_name", str), field("last_name", str), field("dob", str)] }
export const Payment: ModelSpec = { name: "Payment", fields: [field("payment_id", str), field("amount", int)] }
export const Certificate: ModelSpec = {
  name: "Certificate",
  fields: [field("source", literal(["certificate"])), field("id", str), field("amount", flt)],
}
export const ReservationFlight: ModelSpec = {
  name: "ReservationFlight",
  fields: [field("flight_number", str), field("origin", str), field("destination", str), field("date", str), field("price", int)],
}

/** `Reservation`; `isBuilt` recognises passengers/payments that were already built as models. */
export const reservationSpec = (isBuilt: (v: PyValue) => boolean): ModelSpec => ({
  name: "Reservation",
  fields: [
    field("reservation_id", str),
    field("user_id", str),
    field("origin", str),
    field("destination", str),
    field("flight_type", FLIGHT_TYPE),
    field("cabin", CABIN_CLASS),
    field("flights", listOf(nested(ReservationFlight, isBuilt))),
    field("passengers", listOf(nested(Passenger, isBuilt))),
    field("payment_history", listOf(nested(Payment, isBuilt))),
    field("created_at", str),
    field("total_baggages", int),
    field("nonfree_baggages", int),
    field("insurance", INSURANCE),
    field("status", optional(literal(["cancelled"])), null),
  ],
})
