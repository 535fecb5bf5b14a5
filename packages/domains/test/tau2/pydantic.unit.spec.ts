/**
 * The one pydantic-like validator (`src/tau2/pydantic.ts`) against pydantic itself, and the places
 * where the four mechanisms it replaced disagreed with pydantic.
 *
 * `PYDANTIC_CASES` was produced by pydantic 2.13.4 (pydantic-core 2.46.4) validating each input
 * with the model `M` below (`str(ValidationError)` without the "further information" lines, or the
 * repr of the validated field).
 */
import { PyJson, pyRepr, type PyObject, type PyValue } from "@tau-sim/engine"
import { describe, expect, it } from "vitest"
import { FlightDB, Payment } from "../../src/tau2/airline/models.ts"
import { DataFileError } from "../../src/tau2/errors.ts"
import { build, defineModel, field, isInstance, optionalField, py, PydanticValidationError } from "../../src/tau2/pydantic.ts"
import { RetailDB } from "../../src/tau2/retail/models.ts"
import { APNSettings } from "../../src/tau2/telecom/models.ts"
import { decodeModel } from "../../src/tau2/validate.ts"

// class M(BaseModel, extra="forbid"): i: Optional[int] = None; f: Optional[float] = None;
//   b: Optional[bool] = None; s: Optional[str] = None; l: Optional[Literal["x", "y", "z"]] = None;
//   e: Optional[Color] = None (a str Enum red/blue); n: Optional[Inner] = None (Inner: a: str);
//   li: Optional[List[int]] = None
const Inner = defineModel("Inner", [field("a", py.str)])
const M = defineModel(
  "M",
  [
    optionalField("i", py.int),
    optionalField("f", py.float),
    optionalField("b", py.bool),
    optionalField("s", py.str),
    optionalField("l", py.literal("x", "y", "z")),
    optionalField("e", py.enum("Color", ["red", "blue"])),
    optionalField("n", py.model(Inner)),
    optionalField("li", py.list(py.int)),
  ],
  "forbid",
)

/** [input kwargs as JSON, `= repr` of the one field or the error text]. */
const PYDANTIC_CASES: ReadonlyArray<readonly [string, string]> = [
  ['{"i": 5}', "= 5"],
  ['{"i": 5.0}', "= 5"],
  [
    '{"i": 5.5}',
    "1 validation error for M\ni\n  Input should be a valid integer, got a number with a fractional part [type=int_from_float, input_value=5.5, input_type=float]",
  ],
  ['{"i": true}', "= 1"],
  ['{"i": "5"}', "= 5"],
  ['{"i": " 5 "}', "= 5"],
  ['{"i": "5.0"}', "= 5"],
  [
    '{"i": "5."}',
    "1 validation error for M\ni\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='5.', input_type=str]",
  ],
  ['{"i": "5.00"}', "= 5"],
  ['{"i": "1_000"}', "= 1000"],
  [
    '{"i": "_1"}',
    "1 validation error for M\ni\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='_1', input_type=str]",
  ],
  ['{"i": "+5"}', "= 5"],
  ['{"i": "-5"}', "= -5"],
  ['{"i": "007"}', "= 7"],
  ['{"i": "-007"}', "= -7"],
  [
    '{"i": "0x10"}',
    "1 validation error for M\ni\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='0x10', input_type=str]",
  ],
  [
    '{"i": "1e3"}',
    "1 validation error for M\ni\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='1e3', input_type=str]",
  ],
  [
    '{"i": "abc"}',
    "1 validation error for M\ni\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='abc', input_type=str]",
  ],
  ['{"i": [1]}', "1 validation error for M\ni\n  Input should be a valid integer [type=int_type, input_value=[1], input_type=list]"],
  ['{"i": {"a": 1}}', "1 validation error for M\ni\n  Input should be a valid integer [type=int_type, input_value={'a': 1}, input_type=dict]"],
  [
    '{"i": "+-1"}',
    "1 validation error for M\ni\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='+-1', input_type=str]",
  ],
  ['{"i": "0_0"}', "= 0"],
  ['{"i": "00.0"}', "= 0"],
  [
    '{"i": ""}',
    "1 validation error for M\ni\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='', input_type=str]",
  ],
  ['{"f": 5}', "= 5.0"],
  ['{"f": 5.5}', "= 5.5"],
  ['{"f": true}', "= 1.0"],
  ['{"f": "5"}', "= 5.0"],
  ['{"f": " 5.5 "}', "= 5.5"],
  ['{"f": "1e3"}', "= 1000.0"],
  ['{"f": "inf"}', "= inf"],
  ['{"f": "-Infinity"}', "= -inf"],
  ['{"f": "nan"}', "= nan"],
  ['{"f": "1_000.5"}', "= 1000.5"],
  [
    '{"f": " 1_000 "}',
    "1 validation error for M\nf\n  Input should be a valid number, unable to parse string as a number [type=float_parsing, input_value=' 1_000 ', input_type=str]",
  ],
  ['{"f": "5."}', "= 5.0"],
  ['{"f": ".5"}', "= 0.5"],
  [
    '{"f": "abc"}',
    "1 validation error for M\nf\n  Input should be a valid number, unable to parse string as a number [type=float_parsing, input_value='abc', input_type=str]",
  ],
  ['{"f": [1]}', "1 validation error for M\nf\n  Input should be a valid number [type=float_type, input_value=[1], input_type=list]"],
  [
    '{"f": ""}',
    "1 validation error for M\nf\n  Input should be a valid number, unable to parse string as a number [type=float_parsing, input_value='', input_type=str]",
  ],
  ['{"b": true}', "= True"],
  ['{"b": 0}', "= False"],
  ['{"b": 1}', "= True"],
  ['{"b": 2}', "1 validation error for M\nb\n  Input should be a valid boolean, unable to interpret input [type=bool_parsing, input_value=2, input_type=int]"],
  ['{"b": 1.0}', "= True"],
  ['{"b": 0.5}', "1 validation error for M\nb\n  Input should be a valid boolean [type=bool_type, input_value=0.5, input_type=float]"],
  [
    '{"b": 2.0}',
    "1 validation error for M\nb\n  Input should be a valid boolean, unable to interpret input [type=bool_parsing, input_value=2.0, input_type=float]",
  ],
  ['{"b": "yes"}', "= True"],
  ['{"b": "YES"}', "= True"],
  [
    '{"b": " yes"}',
    "1 validation error for M\nb\n  Input should be a valid boolean, unable to interpret input [type=bool_parsing, input_value=' yes', input_type=str]",
  ],
  ['{"b": "Off"}', "= False"],
  [
    '{"b": "maybe"}',
    "1 validation error for M\nb\n  Input should be a valid boolean, unable to interpret input [type=bool_parsing, input_value='maybe', input_type=str]",
  ],
  ['{"b": [1]}', "1 validation error for M\nb\n  Input should be a valid boolean [type=bool_type, input_value=[1], input_type=list]"],
  ['{"s": 5}', "1 validation error for M\ns\n  Input should be a valid string [type=string_type, input_value=5, input_type=int]"],
  ['{"s": 5.0}', "1 validation error for M\ns\n  Input should be a valid string [type=string_type, input_value=5.0, input_type=float]"],
  ['{"s": true}', "1 validation error for M\ns\n  Input should be a valid string [type=string_type, input_value=True, input_type=bool]"],
  ['{"s": "x"}', "= 'x'"],
  ['{"l": "x"}', "= 'x'"],
  ['{"l": "w"}', "1 validation error for M\nl\n  Input should be 'x', 'y' or 'z' [type=literal_error, input_value='w', input_type=str]"],
  ['{"l": 5}', "1 validation error for M\nl\n  Input should be 'x', 'y' or 'z' [type=literal_error, input_value=5, input_type=int]"],
  ['{"e": "green"}', "1 validation error for M\ne\n  Input should be 'red' or 'blue' [type=enum, input_value='green', input_type=str]"],
  ['{"e": 1}', "1 validation error for M\ne\n  Input should be 'red' or 'blue' [type=enum, input_value=1, input_type=int]"],
  ['{"n": {"a": 1}}', "1 validation error for M\nn.a\n  Input should be a valid string [type=string_type, input_value=1, input_type=int]"],
  ['{"n": "x"}', "1 validation error for M\nn\n  Input should be a valid dictionary or instance of Inner [type=model_type, input_value='x', input_type=str]"],
  ['{"n": {}}', "1 validation error for M\nn.a\n  Field required [type=missing, input_value={}, input_type=dict]"],
  [
    '{"li": [1, "2", 3.5]}',
    "1 validation error for M\nli.2\n  Input should be a valid integer, got a number with a fractional part [type=int_from_float, input_value=3.5, input_type=float]",
  ],
  ['{"li": "12"}', "1 validation error for M\nli\n  Input should be a valid list [type=list_type, input_value='12', input_type=str]"],
  ['{"li": {"a": 1}}', "1 validation error for M\nli\n  Input should be a valid list [type=list_type, input_value={'a': 1}, input_type=dict]"],
  [
    '{"zz": 1, "i": "x"}',
    "2 validation errors for M\ni\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='x', input_type=str]\nzz\n  Extra inputs are not permitted [type=extra_forbidden, input_value=1, input_type=int]",
  ],
]

/** What `M(**kwargs)` gives, in the table's form. */
const outcome = (kwargs: string): string => {
  const input = PyJson.parse(kwargs) as PyObject
  try {
    const m = build(M, input)
    return `= ${pyRepr(m[Object.keys(input)[0]])}`
  } catch (e) {
    if (!(e instanceof PydanticValidationError)) throw e
    return e.message
      .split("\n")
      .filter((line) => !line.includes("For further information"))
      .join("\n")
  }
}

const at = (v: PyValue, ...path: string[]): PyValue => path.reduce((x, k) => (x as PyObject)[k], v)

const loadError = (run: () => unknown): DataFileError => {
  try {
    run()
  } catch (e) {
    if (e instanceof DataFileError) return e
    throw e
  }
  throw new Error("expected a DataFileError")
}

describe("pydantic's lax validation and error texts", () => {
  it.each(PYDANTIC_CASES)("M(**%s)", (kwargs, expected) => {
    expect(outcome(kwargs)).toBe(expected)
  })

  it("prints the documentation link of every error", () => {
    expect(() => build(M, { i: "x" })).toThrow(
      "1 validation error for M\ni\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='x', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.11/v/int_parsing",
    )
  })

  it("reports a missing field with the whole input, and accepts a built model as a nested value", () => {
    const Outer = defineModel("Outer", [field("inner", py.model(Inner)), field("count", py.int)])
    expect(() => build(Outer, { count: 1 })).toThrow(
      /^1 validation error for Outer\ninner\n {2}Field required \[type=missing, input_value=\{'count': 1\}, input_type=dict\]/,
    )
    const inner = build(Inner, { a: "x" })
    expect(isInstance(inner, Inner)).toBe(true)
    expect(isInstance({ a: "x" }, Inner)).toBe(false)
    expect(build(Outer, { inner, count: "2" })).toEqual({ inner, count: 2 })
    // An instance of another model is no dict: pydantic's model_type.
    expect(() => build(Outer, { inner: build(Payment, { payment_id: "p", amount: 1 }), count: 1 })).toThrow(
      "Input should be a valid dictionary or instance of Inner [type=model_type",
    )
  })
})

describe("where the replaced mechanisms disagreed, the databases now follow pydantic", () => {
  /** A one-user airline database with `edits` (path, value) applied, loaded as `FlightDB`. */
  const airline = (...edits: ReadonlyArray<readonly [path: ReadonlyArray<string>, value: unknown]>): PyObject => {
    const db: Record<string, unknown> = {
      flights: {},
      users: {
        u1: {
          user_id: "u1",
          name: { first_name: "A", last_name: "B" },
          address: { address1: "1 St", city: "C", country: "US", state: "CA", zip: "1" },
          email: "a@b.c",
          dob: "1990-01-01",
          payment_methods: { gift_card_1: { source: "gift_card", id: "gift_card_1", amount: 100 } },
          saved_passengers: [],
          membership: "gold",
          reservations: [],
        },
      },
      reservations: {},
    }
    for (const [path, value] of edits) {
      const parent = path.slice(0, -1).reduce((x, k) => (x as Record<string, unknown>)[k], db as unknown) as Record<string, unknown>
      parent[path[path.length - 1]] = value
    }
    return decodeModel(FlightDB, PyJson.fromPlain(db), "db.json")
  }
  const GIFT_CARD = ["users", "u1", "payment_methods", "gift_card_1"]

  it("airline float fields take numeric strings and bools (airline's loader refused them, retail's took them)", () => {
    const amount = (v: unknown) => PyJson.dumps(at(airline([[...GIFT_CARD, "amount"], v]), ...GIFT_CARD))
    expect(amount("100.5")).toBe('{"source": "gift_card", "id": "gift_card_1", "amount": 100.5}')
    expect(amount(true)).toBe('{"source": "gift_card", "id": "gift_card_1", "amount": 1.0}')
    expect(loadError(() => amount("lots"))).toMatchObject({ at: "users.u1.payment_methods.gift_card_1.amount", expected: "a number" })
  })

  it("retail bool fields take 0.0 and 1.0 (retail's loader refused floats)", () => {
    const db = PyJson.parse(
      '{"products": {"1": {"name": "T", "product_id": "1", "variants": {"2": {"item_id": "2", "options": {}, "available": 1.0, "price": 3}}}}, "users": {}, "orders": {}}',
    )
    expect(at(decodeModel(RetailDB, db, "db.json"), "products", "1", "variants", "2", "available")).toBe(true)
    expect(loadError(() => decodeModel(RetailDB, PyJson.parse(PyJson.dumps(db).replace('"available": 1.0', '"available": 0.5')), "db.json")).expected).toBe(
      "a boolean",
    )
  })

  it("tool-built models: booleans are not trimmed (telecom's APN check trimmed), `5.0` is an int and `5.` is not (airline's check took `5.`)", () => {
    expect(() => build(APNSettings, { reset_at_reboot: " yes" })).toThrow("[type=bool_parsing, input_value=' yes', input_type=str]")
    expect(build(APNSettings, { mms_port: "80.0" }).mms_port).toBe(80)
    expect(() => build(Payment, { payment_id: "p", amount: "5." })).toThrow("[type=int_parsing, input_value='5.', input_type=str]")
    expect(build(Payment, { payment_id: "p", amount: "1_000" })).toEqual({ payment_id: "p", amount: 1000 })
  })

  it("a data-file error names the first issue in pydantic's order and counts the others", () => {
    const e = loadError(() => airline([["users", "u1", "membership"], "platinum"], [[...GIFT_CARD, "source"], "cash"], [["colour"], "red"]))
    expect(e.at).toBe("users.u1.payment_methods.gift_card_1.source")
    expect(e.message).toBe(
      'db.json: at users.u1.payment_methods.gift_card_1.source: expected one of "credit_card", "gift_card", "certificate" (got str "cash"; 2 more issue(s))',
    )
    expect(loadError(() => airline([["colour"], "red"])).message).toBe(
      'db.json: at colour: expected no such key (FlightDB forbids extra keys) (unexpected key "colour")',
    )
  })
})
