/** Loading `db.json` like pydantic's `RetailDB`: shape, conversions and readable errors. */
import { describe, expect, it } from "vitest"
import { isFloat, PyJson, type PyObject, type PyValue } from "@tau-sim/engine"
import { DataFileError } from "../../src/tau2/errors.ts"
import { dumpsInSourceOrder, integerKeyedObjectOrders, isArrayIndexKey } from "../../src/tau2/common/key-order.ts"
import { RetailDB } from "../../src/tau2/retail/models.ts"
import { decodeModel } from "../../src/tau2/validate.ts"
import { SMALL_DB_TEXT, smallDb } from "./retail-fixture.ts"

// biome-ignore lint/suspicious/noExplicitAny: fault injection: a test replaces or deletes any nested field of the raw JSON.
const raw = (): Record<string, any> => PyJson.parse(SMALL_DB_TEXT) as Record<string, any>
const at = (v: PyValue, ...path: string[]): PyValue => path.reduce((x, k) => (x as PyObject)[k], v)

const failure = (data: unknown): DataFileError => {
  try {
    decodeModel(RetailDB, data, "db.json")
  } catch (e) {
    if (e instanceof DataFileError) return e
    throw e
  }
  throw new Error("expected a DataFileError")
}

describe("RetailDB loading", () => {
  it("adds the optional order fields as null, in model field order", () => {
    expect(Object.keys(at(smallDb(), "orders", "#W1") as PyObject)).toEqual([
      "order_id",
      "user_id",
      "address",
      "items",
      "status",
      "fulfillments",
      "payment_history",
      "cancel_reason",
      "exchange_items",
      "exchange_new_items",
      "exchange_payment_method_id",
      "exchange_price_difference",
      "return_items",
      "return_payment_method_id",
    ])
    expect(at(smallDb(), "orders", "#W1", "cancel_reason")).toBeNull()
  })

  it("converts ints in float fields to floats, as pydantic does", () => {
    const price = at(smallDb(), "products", "1000000000", "variants", "5000000005", "price")
    expect(isFloat(price) && PyJson.dumps(price)).toBe("5.0")
  })

  it("drops keys unknown to nested models and reorders fields into declaration order", () => {
    const data = raw()
    data.users.bob_ray_2 = { nickname: "bobby", ...data.users.bob_ray_2 }
    data.users.bob_ray_2.payment_methods.gift_card_2 = { balance: 1, id: "gift_card_2", source: "gift_card", extra: true }
    const user = at(decodeModel(RetailDB, data, "db.json"), "users", "bob_ray_2") as PyObject
    expect(Object.keys(user)).toEqual(["user_id", "name", "address", "email", "payment_methods", "orders"])
    expect(PyJson.dumps(at(user, "payment_methods", "gift_card_2"))).toBe('{"source": "gift_card", "id": "gift_card_2", "balance": 1.0}')
  })

  it("rejects extra top-level keys (RetailDB forbids extras)", () => {
    const e = failure({ ...raw(), flights: {} })
    expect([e.file, e.at]).toEqual(["db.json", "flights"])
  })

  it("names the file, the place and the expectation", () => {
    const badStatus = raw()
    badStatus.orders["#W1"].status = "shipped"
    const e1 = failure(badStatus)
    expect(e1.at).toBe('orders["#W1"].status')
    expect(e1.expected).toContain('"pending (item modified)"')

    const missing = raw()
    delete missing.products["9000000001"].variants["1000000001"].price
    expect(failure(missing).at).toBe('products["9000000001"].variants["1000000001"].price')

    const badSource = raw()
    badSource.users.ann_lee_1.payment_methods.paypal_1.source = "cash"
    expect(failure(badSource).at).toBe("users.ann_lee_1.payment_methods.paypal_1.source")

    const badItem = raw()
    badItem.orders["#W2"].items[1].price = "cheap"
    const e4 = failure(badItem)
    expect([e4.at, e4.expected]).toEqual(['orders["#W2"].items[1].price', "a number"])
  })
})

describe("Python dict order of integer-like keys", () => {
  it("recognises the keys JS would move to the front", () => {
    expect(["0", "1008292230", "4294967294"].map(isArrayIndexKey)).toEqual([true, true, true])
    expect(["01", "4294967295", "9523456873", "#W1", "-1"].map(isArrayIndexKey)).toEqual([false, false, false, false, false])
  })

  it("finds the file order of every object with integer-like keys", () => {
    const orders = integerKeyedObjectOrders('{"a": {"20": [1, {"9": 0, "3": "}"}], "10": {"x": "\\"{"}}, "b": [{"7": 1, "5": 2}]}')
    expect([...orders.entries()]).toEqual([
      [["a", "20", "1"].join("\u0000"), ["9", "3"]],
      ["a", ["20", "10"]],
      [["b", "0"].join("\u0000"), ["7", "5"]],
    ])
  })

  it("renders the loaded database exactly as Python's json.dumps of the model would", () => {
    const text = dumpsInSourceOrder(smallDb())
    expect(text.indexOf('"9000000001": {')).toBeLessThan(text.indexOf('"1000000000": {'))
    expect(text.indexOf('"3000000003": {')).toBeLessThan(text.indexOf('"1000000001": {'))
    // A plain dumps (JS order) would differ: this is what the recorded order fixes.
    expect(PyJson.dumps(smallDb())).not.toBe(text)
  })
})
