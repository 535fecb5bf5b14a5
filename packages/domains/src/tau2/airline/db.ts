/**
 * The airline database (`db.json`) validated and shaped like the reference's pydantic `FlightDB`
 * (semantics §4.2): the JSON form of `model_dump()`. Keys come in model field order (the file has
 * e.g. `origin, destination, flight_number`; tool outputs show `flight_number, origin, ...`),
 * optional fields are present (`reservation.status: null`, `address.address2: null`), float
 * fields are floats (an int `amount` becomes `100.0`, as pydantic converts it), and keys unknown
 * to a nested model are dropped. Dict members keep the file's order (search results follow it).
 * Only the top level forbids extra keys (`DB` is a no-extra model).
 */
import * as path from "node:path"
import { float, isFloat, isObject, type PyFloat, PyJson, type PyObject, type PyValue, typeName } from "@tau-sim/engine"
import { DataFileError } from "../errors.ts"
import { deepFreeze, formatPath, type PathSegment, readJsonFile } from "../validate.ts"

export const CABIN_CLASSES = ["business", "economy", "basic_economy"] as const
export const FLIGHT_TYPES = ["round_trip", "one_way"] as const
export const INSURANCE = ["yes", "no"] as const
export const MEMBERSHIP_LEVELS = ["gold", "silver", "regular"] as const

type Path = ReadonlyArray<PathSegment>
type Validator = (v: PyValue | undefined, at: Path) => PyValue

interface Field {
  readonly name: string
  readonly validate: Validator
  /** Present for fields with a pydantic default. */
  readonly default?: PyValue
}

const required = (name: string, validate: Validator): Field => ({ name, validate })

/** Validators bound to one file, so that every failure names it. */
const validators = (file: string) => {
  const fail = (at: Path, expected: string, found: PyValue | undefined): never => {
    throw new DataFileError(file, formatPath(at), expected, found === undefined ? "missing" : `got ${typeName(found)} ${PyJson.dumps(found).slice(0, 60)}`)
  }
  const str: Validator = (v, at) => (typeof v === "string" ? v : fail(at, "a string", v))
  /** pydantic `int` (lax): ints, and floats without a fractional part. */
  const int: Validator = (v, at) => {
    if (typeof v === "number") return v
    if (isFloat(v) && Number.isInteger(v.value)) return v.value
    return fail(at, "an integer", v)
  }
  /** pydantic `float` (lax): ints become floats. */
  const flt: Validator = (v, at): PyFloat => {
    if (isFloat(v)) return v
    if (typeof v === "number") return float(v)
    return fail(at, "a number", v)
  }
  const literal =
    (values: ReadonlyArray<string>): Validator =>
    (v, at) =>
      typeof v === "string" && values.includes(v) ? v : fail(at, `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`, v)
  const optional =
    (inner: Validator): Validator =>
    (v, at) =>
      v === null ? null : inner(v, at)
  const list =
    (item: Validator): Validator =>
    (v, at) =>
      Array.isArray(v) ? v.map((x, i) => item(x, [...at, i])) : fail(at, "a list", v)
  const dict =
    (value: Validator, key?: ReadonlyArray<string>): Validator =>
    (v, at) => {
      if (!isObject(v)) return fail(at, "an object", v)
      const out: Record<string, PyValue> = {}
      for (const [k, x] of Object.entries(v)) {
        if (key !== undefined && !key.includes(k)) fail([...at, k], `a key among ${key.join(", ")}`, k)
        out[k] = value(x, [...at, k])
      }
      return out
    }
  const model =
    (fields: ReadonlyArray<Field>): Validator =>
    (v, at) => {
      if (!isObject(v)) return fail(at, "an object", v)
      const out: Record<string, PyValue> = {}
      for (const f of fields) {
        const present = Object.hasOwn(v, f.name)
        if (!present && f.default === undefined) fail([...at, f.name], "a value (required field)", undefined)
        out[f.name] = present ? f.validate(v[f.name], [...at, f.name]) : (f.default as PyValue)
      }
      return out
    }
  /** A non-discriminated pydantic union whose members differ by a `Literal` field. */
  const tagged =
    (tag: string, members: Readonly<Record<string, Validator>>): Validator =>
    (v, at) => {
      const value = isObject(v) ? v[tag] : undefined
      const member = typeof value === "string" && Object.hasOwn(members, value) ? members[value] : undefined
      if (member === undefined) return fail([...at, tag], `one of ${Object.keys(members).map((x) => JSON.stringify(x)).join(", ")}`, value)
      return member(v, at)
    }
  return { fail, str, int, flt, literal, optional, list, dict, model, tagged }
}

const flightDbValidator = (file: string): Validator => {
  const s = validators(file)
  const seats = s.dict(s.int, CABIN_CLASSES)
  const times = (a: string, b: string) => [required(a, s.str), required(b, s.str)]
  const status = (name: string, ...rest: Field[]) => s.model([required("status", s.literal([name])), ...rest])
  const flightDateStatus = s.tagged("status", {
    available: status("available", required("available_seats", seats), required("prices", seats)),
    landed: status("landed", ...times("actual_departure_time_est", "actual_arrival_time_est")),
    cancelled: status("cancelled"),
    delayed: status("delayed", ...times("estimated_departure_time_est", "estimated_arrival_time_est")),
    flying: status("flying", ...times("actual_departure_time_est", "estimated_arrival_time_est")),
    "on time": status("on time", ...times("estimated_departure_time_est", "estimated_arrival_time_est")),
  })
  const flight = s.model([
    required("flight_number", s.str),
    required("origin", s.str),
    required("destination", s.str),
    required("scheduled_departure_time_est", s.str),
    required("scheduled_arrival_time_est", s.str),
    required("dates", s.dict(flightDateStatus)),
  ])
  const passenger = s.model([required("first_name", s.str), required("last_name", s.str), required("dob", s.str)])
  const paymentMethod = s.tagged("source", {
    credit_card: s.model([required("source", s.str), required("id", s.str), required("brand", s.str), required("last_four", s.str)]),
    gift_card: s.model([required("source", s.str), required("id", s.str), required("amount", s.flt)]),
    certificate: s.model([required("source", s.str), required("id", s.str), required("amount", s.flt)]),
  })
  const user = s.model([
    required("user_id", s.str),
    required("name", s.model([required("first_name", s.str), required("last_name", s.str)])),
    required(
      "address",
      s.model([
        required("address1", s.str),
        { name: "address2", validate: s.optional(s.str), default: null },
        required("city", s.str),
        required("country", s.str),
        required("state", s.str),
        required("zip", s.str),
      ]),
    ),
    required("email", s.str),
    required("dob", s.str),
    required("payment_methods", s.dict(paymentMethod)),
    required("saved_passengers", s.list(passenger)),
    required("membership", s.literal(MEMBERSHIP_LEVELS)),
    required("reservations", s.list(s.str)),
  ])
  const reservation = s.model([
    required("reservation_id", s.str),
    required("user_id", s.str),
    required("origin", s.str),
    required("destination", s.str),
    required("flight_type", s.literal(FLIGHT_TYPES)),
    required("cabin", s.literal(CABIN_CLASSES)),
    required(
      "flights",
      s.list(
        s.model([
          required("flight_number", s.str),
          required("origin", s.str),
          required("destination", s.str),
          required("date", s.str),
          required("price", s.int),
        ]),
      ),
    ),
    required("passengers", s.list(passenger)),
    required("payment_history", s.list(s.model([required("payment_id", s.str), required("amount", s.int)]))),
    required("created_at", s.str),
    required("total_baggages", s.int),
    required("nonfree_baggages", s.int),
    required("insurance", s.literal(INSURANCE)),
    { name: "status", validate: s.optional(s.literal(["cancelled"])), default: null },
  ])
  const top = ["flights", "users", "reservations"]
  const db = s.model([required("flights", s.dict(flight)), required("users", s.dict(user)), required("reservations", s.dict(reservation))])
  return (v, at) => {
    if (isObject(v)) {
      const extra = Object.keys(v).find((k) => !top.includes(k))
      if (extra !== undefined) s.fail([...at, extra], "no such key (FlightDB forbids extra keys)", v[extra])
    }
    return db(v, at)
  }
}

/** Validates and shapes parsed `db.json` content. */
export const shapeFlightDb = (raw: PyValue, file: string): PyObject => flightDbValidator(file)(raw, []) as PyObject

export const AIRLINE_DB_FILE = "db.json"

/** Reads `<domainDir>/db.json` into the agent database (deeply frozen: every episode shares it). */
export const loadFlightDb = (domainDir: string): { readonly db: PyObject; readonly file: string } => {
  const file = path.join(domainDir, AIRLINE_DB_FILE)
  return { db: deepFreeze(shapeFlightDb(readJsonFile(file), file)), file }
}
