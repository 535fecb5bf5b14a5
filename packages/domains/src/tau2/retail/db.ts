/**
 * The retail database (`db.json`) validated and shaped like the reference's pydantic `RetailDB`
 * (semantics §4.3): the JSON form of `model_dump()`, i.e. keys in model field order, optional
 * fields present as `null`, float fields as floats (ints converted, as pydantic does), and keys
 * unknown to a nested model dropped. Only the top level forbids extra keys (`DB` is no-extra).
 */
import * as path from "node:path"
import { float, isFloat, isObject, type PyFloat, PyJson, type PyObject, type PyValue, typeName } from "@tau-sim/engine"
import { DataFileError } from "../errors.ts"
import { deepFreeze, formatPath, parseJsonText, type PathSegment, readTextFile } from "../validate.ts"
import { integerKeyedObjectOrders, rememberKeyOrder } from "./key-order.ts"

export const ORDER_STATUSES = [
  "processed",
  "pending",
  "pending (item modified)",
  "delivered",
  "cancelled",
  "exchange requested",
  "return requested",
] as const
export const CANCEL_REASONS = ["no longer needed", "ordered by mistake"] as const

type Path = ReadonlyArray<PathSegment>
type Validator = (v: PyValue | undefined, at: Path) => PyValue

interface Field {
  readonly name: string
  readonly validate: Validator
  /** Present for optional fields (pydantic default). */
  readonly default?: PyValue
}

/** Validation of one file: knows the file name and the file order of integer-keyed objects. */
class Shaper {
  readonly file: string
  readonly keyOrders: ReadonlyMap<string, ReadonlyArray<string>>
  constructor(file: string, keyOrders: ReadonlyMap<string, ReadonlyArray<string>>) {
    this.file = file
    this.keyOrders = keyOrders
  }

  fail(at: Path, expected: string, found: PyValue | undefined): never {
    throw new DataFileError(this.file, formatPath(at), expected, found === undefined ? "missing" : `got ${typeName(found)} ${PyJson.dumps(found).slice(0, 60)}`)
  }

  readonly str: Validator = (v, at) => (typeof v === "string" ? v : this.fail(at, "a string", v))

  /** pydantic `float` in lax mode: ints, bools and numeric strings become floats. */
  readonly float: Validator = (v, at): PyFloat => {
    if (isFloat(v)) return v
    if (typeof v === "number") return float(v)
    if (typeof v === "boolean") return float(v ? 1 : 0)
    if (typeof v === "string" && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return float(Number(v))
    return this.fail(at, "a number", v)
  }

  /** pydantic `bool` in lax mode. */
  readonly bool: Validator = (v, at) => {
    if (typeof v === "boolean") return v
    if (v === 0 || v === 1) return v === 1
    if (typeof v === "string") {
      const s = v.toLowerCase()
      if (["0", "off", "f", "false", "n", "no"].includes(s)) return false
      if (["1", "on", "t", "true", "y", "yes"].includes(s)) return true
    }
    return this.fail(at, "a boolean", v)
  }

  literal =
    (values: ReadonlyArray<string>): Validator =>
    (v, at) =>
      typeof v === "string" && values.includes(v) ? v : this.fail(at, `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`, v)

  list =
    (item: Validator): Validator =>
    (v, at) =>
      Array.isArray(v) ? v.map((x, i) => item(x, [...at, i])) : this.fail(at, "a list", v)

  optional =
    (inner: Validator): Validator =>
    (v, at) =>
      v === null ? null : inner(v, at)

  /** `Dict[str, X]`, keeping the file's key order for the rendering of tool outputs. */
  dict =
    (value: Validator): Validator =>
    (v, at) => {
      if (!isObject(v)) return this.fail(at, "an object", v)
      const out: Record<string, PyValue> = {}
      for (const [k, x] of Object.entries(v)) out[k] = value(x, [...at, k])
      const fileOrder = this.keyOrders.get(at.map(String).join("\u0000"))
      if (fileOrder !== undefined) rememberKeyOrder(out, fileOrder)
      return out
    }

  /** A pydantic model: fields in declaration order, unknown keys ignored. */
  model =
    (fields: ReadonlyArray<Field>): Validator =>
    (v, at) => {
      if (!isObject(v)) return this.fail(at, "an object", v)
      const out: Record<string, PyValue> = {}
      for (const f of fields) {
        const present = Object.hasOwn(v, f.name)
        if (!present && f.default === undefined) this.fail([...at, f.name], "a value (required field)", undefined)
        out[f.name] = present ? f.validate(v[f.name], [...at, f.name]) : (f.default as PyValue)
      }
      return out
    }
}

const required = (name: string, validate: Validator): Field => ({ name, validate })
const optionalField = (name: string, validate: Validator): Field => ({ name, validate, default: null })

const retailDbValidator = (s: Shaper): Validator => {
  const variant = s.model([required("item_id", s.str), required("options", s.dict(s.str)), required("available", s.bool), required("price", s.float)])
  const product = s.model([required("name", s.str), required("product_id", s.str), required("variants", s.dict(variant))])
  const address = s.model(["address1", "address2", "city", "country", "state", "zip"].map((n) => required(n, s.str)))
  const paymentMethods: Record<string, Validator> = {
    credit_card: s.model([required("source", s.str), required("id", s.str), required("brand", s.str), required("last_four", s.str)]),
    gift_card: s.model([required("source", s.str), required("id", s.str), required("balance", s.float)]),
    paypal: s.model([required("source", s.str), required("id", s.str)]),
  }
  // `Union[CreditCard, GiftCard, Paypal]`: the `source` literal decides which model validates.
  const paymentMethod: Validator = (v, at) => {
    const source = isObject(v) ? v.source : undefined
    const shape = typeof source === "string" && Object.hasOwn(paymentMethods, source) ? paymentMethods[source] : undefined
    if (shape === undefined) return s.fail([...at, "source"], `one of ${Object.keys(paymentMethods).map((x) => JSON.stringify(x)).join(", ")}`, source)
    return shape(v, at)
  }
  const user = s.model([
    required("user_id", s.str),
    required("name", s.model([required("first_name", s.str), required("last_name", s.str)])),
    required("address", address),
    required("email", s.str),
    required("payment_methods", s.dict(paymentMethod)),
    required("orders", s.list(s.str)),
  ])
  const order = s.model([
    required("order_id", s.str),
    required("user_id", s.str),
    required("address", address),
    required(
      "items",
      s.list(s.model([required("name", s.str), required("product_id", s.str), required("item_id", s.str), required("price", s.float), required("options", s.dict(s.str))])),
    ),
    required("status", s.literal(ORDER_STATUSES)),
    required("fulfillments", s.list(s.model([required("tracking_id", s.list(s.str)), required("item_ids", s.list(s.str))]))),
    required(
      "payment_history",
      s.list(s.model([required("transaction_type", s.literal(["payment", "refund"])), required("amount", s.float), required("payment_method_id", s.str)])),
    ),
    optionalField("cancel_reason", s.optional(s.literal(CANCEL_REASONS))),
    optionalField("exchange_items", s.optional(s.list(s.str))),
    optionalField("exchange_new_items", s.optional(s.list(s.str))),
    optionalField("exchange_payment_method_id", s.optional(s.str)),
    optionalField("exchange_price_difference", s.optional(s.float)),
    optionalField("return_items", s.optional(s.list(s.str))),
    optionalField("return_payment_method_id", s.optional(s.str)),
  ])
  const top = ["products", "users", "orders"]
  const db = s.model([required("products", s.dict(product)), required("users", s.dict(user)), required("orders", s.dict(order))])
  return (v, at) => {
    if (isObject(v)) {
      const extra = Object.keys(v).find((k) => !top.includes(k))
      if (extra !== undefined) s.fail([...at, extra], "no such key (RetailDB forbids extra keys)", v[extra])
    }
    return db(v, at)
  }
}

/** Validates and shapes parsed `db.json` content; `text` (the file's text) supplies dict key order. */
export const shapeRetailDb = (raw: PyValue, file: string, text?: string): PyObject => {
  const shaper = new Shaper(file, text === undefined ? new Map() : integerKeyedObjectOrders(text))
  return retailDbValidator(shaper)(raw, []) as PyObject
}

export const RETAIL_DB_FILE = "db.json"

/** Reads `<domainDir>/db.json` into the agent database (deeply frozen: it is shared by every episode). */
export const loadRetailDb = (domainDir: string): { readonly db: PyObject; readonly file: string } => {
  const file = path.join(domainDir, RETAIL_DB_FILE)
  const text = readTextFile(file)
  return { db: deepFreeze(shapeRetailDb(parseJsonText(file, text), file, text)), file }
}
