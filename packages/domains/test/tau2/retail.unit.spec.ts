/** The retail tools' tricky rules (semantics §4.3) on a small hand-written database. */
import { describe, expect, it } from "vitest"
import { type Domain, mutates, type Node, PyJson, type PyObject, type PyValue } from "@tau-sim/engine"
import { retailToolkit } from "../../src/tau2/retail/tools.ts"
import { call, smallDomain } from "./retail-fixture.ts"

const domain: Domain = smallDomain()
const start: Node = domain.initialWorld

const ok = (name: string, args: Record<string, PyValue>, world: Node = start) => {
  const outcome = call(domain, world, name, args)
  expect(outcome.error, outcome.output).toBe(false)
  return outcome
}
const fails = (name: string, args: Record<string, PyValue>, world: Node = start): string => {
  const outcome = call(domain, world, name, args)
  expect(outcome.error, outcome.output).toBe(true)
  return outcome.output
}
/** An order as the tools print it (the fields these tests read). */
interface OrderOut {
  readonly status: string
  readonly items: ReadonlyArray<{ name: string; item_id: string; price: number; options: Record<string, string> }>
  readonly payment_history: ReadonlyArray<{ transaction_type: string; amount: number; payment_method_id: string }>
  readonly [field: string]: unknown
}
const json = (output: string) => PyJson.toPlain(PyJson.parse(output)) as OrderOut
const agentDb = (world: Node) => (world as PyObject).agent as PyObject
const giftBalance = (world: Node, user: string, id: string) =>
  PyJson.dumps((((agentDb(world).users as PyObject)[user] as PyObject).payment_methods as PyObject)[id])

describe("retail toolkit", () => {
  it("lists the 16 reference tools in class order with their kinds", () => {
    expect(retailToolkit.className).toBe("RetailTools")
    expect(retailToolkit.tools.map((t) => `${t.name}:${t.kind}:${mutates(t)}`)).toEqual([
      "calculate:generic:false",
      "cancel_pending_order:write:true",
      "exchange_delivered_order_items:write:true",
      "find_user_id_by_name_zip:read:false",
      "find_user_id_by_email:read:false",
      "get_order_details:read:false",
      "get_product_details:read:false",
      "get_item_details:read:false",
      "get_user_details:read:false",
      "list_all_product_types:read:false",
      "modify_pending_order_address:write:true",
      "modify_pending_order_items:write:true",
      "modify_pending_order_payment:write:true",
      "modify_user_address:write:true",
      "return_delivered_order_items:write:true",
      "transfer_to_human_agents:generic:false",
    ])
  })
})

describe("modify_pending_order_items", () => {
  const args = { order_id: "#W1", item_ids: ["1000000001", "5000000005"], new_item_ids: ["3000000003", "6000000006"], payment_method_id: "gift_card_1" }

  it("gives every modified item the price and options of the last variant checked (upstream bug)", () => {
    const order = json(ok("modify_pending_order_items", args).output)
    expect(order.items.map((i) => [i.name, i.item_id, i.price, i.options])).toEqual([
      ["T-Shirt", "3000000003", 7.25, { capacity: "500ml" }],
      ["Mug", "6000000006", 7.25, { capacity: "500ml" }],
    ])
    expect(order.status).toBe("pending (item modified)")
  })

  it("records the unrounded difference as a payment and rounds the gift card balance", () => {
    const outcome = ok("modify_pending_order_items", args)
    expect(outcome.output).toContain('{"transaction_type": "payment", "amount": 2.450000000000001, "payment_method_id": "gift_card_1"}')
    expect(giftBalance(outcome.world, "ann_lee_1", "gift_card_1")).toBe('{"source": "gift_card", "id": "gift_card_1", "balance": 2.55}')
  })

  it("pays a positive difference and refunds a negative one", () => {
    const up = ok("modify_pending_order_items", { ...args, item_ids: ["5000000005"], new_item_ids: ["6000000006"] })
    expect(up.output).toContain('{"transaction_type": "payment", "amount": 2.25, "payment_method_id": "gift_card_1"}')
    const down = ok("modify_pending_order_items", { ...args, item_ids: ["1000000001"], new_item_ids: ["7000000007"] })
    expect(down.output).toContain('{"transaction_type": "refund", "amount": 1.5999999999999996, "payment_method_id": "gift_card_1"}')
    expect(giftBalance(down.world, "ann_lee_1", "gift_card_1")).toContain('"balance": 6.6}')
  })

  it("requires the exact status pending", () => {
    expect(fails("modify_pending_order_items", { ...args, order_id: "#W3", item_ids: [], new_item_ids: [] })).toBe(
      "Error: Non-pending order cannot be modified",
    )
  })

  it("checks counts, lengths, identity, product and availability in the reference's order", () => {
    expect(fails("modify_pending_order_items", { ...args, item_ids: ["1000000001", "1000000001"] })).toBe("Error: 1000000001 not found")
    expect(fails("modify_pending_order_items", { ...args, new_item_ids: ["3000000003"] })).toBe("Error: The number of items to be exchanged should match")
    expect(fails("modify_pending_order_items", { ...args, new_item_ids: ["1000000001", "6000000006"] })).toBe(
      "Error: The new item id should be different from the old item id",
    )
    expect(fails("modify_pending_order_items", { ...args, new_item_ids: ["6000000006", "3000000003"] })).toBe("Error: Variant not found")
    expect(fails("modify_pending_order_items", { ...args, new_item_ids: ["2000000002", "6000000006"] })).toBe(
      "Error: New item 2000000002 not found or available",
    )
    expect(fails("modify_pending_order_items", { ...args, payment_method_id: "gift_card_2" })).toBe("Error: Payment method not found")
  })

  it("rejects a gift card that cannot cover the difference", () => {
    const expensive = { ...args, item_ids: ["1000000001"], new_item_ids: ["4000000004"] }
    expect(fails("modify_pending_order_items", expensive)).toBe("Error: Insufficient gift card balance to pay for the new item")
  })

  it("keeps the int 0 difference when no item is listed (pydantic makes the amount 0.0)", () => {
    const order = ok("modify_pending_order_items", { ...args, item_ids: [], new_item_ids: [] }).output
    expect(order).toContain('{"transaction_type": "refund", "amount": 0.0, "payment_method_id": "gift_card_1"}')
    expect(order).toContain('"status": "pending (item modified)"')
  })

  it("uses arguments as Python would: a string iterates as characters, a number is not iterable", () => {
    expect(fails("modify_pending_order_items", { ...args, item_ids: "15" })).toBe("Error: 1 not found")
    expect(fails("modify_pending_order_items", { ...args, item_ids: 15 })).toBe("Error: 'int' object is not iterable")
    expect(fails("modify_pending_order_items", { ...args, item_ids: [], new_item_ids: 3 })).toBe("Error: object of type 'int' has no len()")
  })
})

describe("exchange_delivered_order_items", () => {
  const args = { order_id: "#W2", item_ids: ["1000000001", "1000000001"], new_item_ids: ["4000000004", "3000000003"], payment_method_id: "credit_card_1" }

  it("records a sorted request with the difference rounded to 2 dp and no payment", () => {
    const outcome = ok("exchange_delivered_order_items", args)
    const order = json(outcome.output)
    expect(order.status).toBe("exchange requested")
    expect(order.exchange_items).toEqual(["1000000001", "1000000001"])
    expect(order.exchange_new_items).toEqual(["3000000003", "4000000004"])
    expect(order.exchange_payment_method_id).toBe("credit_card_1")
    expect(outcome.output).toContain('"exchange_price_difference": 10.1,')
    expect(order.payment_history).toHaveLength(1)
  })

  it("allows the same item id and keeps the int 0 for an empty request", () => {
    expect(ok("exchange_delivered_order_items", { ...args, item_ids: ["1000000001"], new_item_ids: ["1000000001"] }).output).toContain(
      '"exchange_price_difference": 0.0,',
    )
    expect(ok("exchange_delivered_order_items", { ...args, item_ids: [], new_item_ids: [] }).output).toContain('"exchange_price_difference": 0,')
  })

  it("has its own error texts (trailing periods)", () => {
    expect(fails("exchange_delivered_order_items", { ...args, order_id: "#W1" })).toBe("Error: Non-delivered order cannot be exchanged")
    expect(fails("exchange_delivered_order_items", { ...args, item_ids: ["1000000001", "1000000001", "1000000001"] })).toBe(
      "Error: Number of 1000000001 not found.",
    )
    expect(fails("exchange_delivered_order_items", { ...args, new_item_ids: ["4000000004"] })).toBe("Error: The number of items to be exchanged should match.")
    expect(fails("exchange_delivered_order_items", { ...args, payment_method_id: "gift_card_1" })).toBe(
      "Error: Insufficient gift card balance to pay for the price difference",
    )
  })
})

describe("cancel_pending_order", () => {
  it("refunds every payment, crediting gift cards at once (rounded)", () => {
    const outcome = ok("cancel_pending_order", { order_id: "#W4", reason: "ordered by mistake" })
    const order = json(outcome.output)
    expect(order.status).toBe("cancelled")
    expect(order.cancel_reason).toBe("ordered by mistake")
    expect(order.payment_history.map((p) => `${p.transaction_type} ${p.amount}`)).toEqual(["payment 3", "payment 2", "refund 3", "refund 2"])
    expect(outcome.output).toContain('{"transaction_type": "refund", "amount": 3.0, "payment_method_id": "gift_card_1"}')
    expect(giftBalance(outcome.world, "ann_lee_1", "gift_card_1")).toContain('"balance": 10.0')
  })

  it("requires status exactly pending and one of two reasons", () => {
    expect(fails("cancel_pending_order", { order_id: "#W3", reason: "no longer needed" })).toBe("Error: Non-pending order cannot be cancelled")
    expect(fails("cancel_pending_order", { order_id: "#W1", reason: "changed my mind" })).toBe("Error: Invalid reason")
    expect(fails("cancel_pending_order", { order_id: "#W1", reason: ["no longer needed"] })).toBe("Error: unhashable type: 'list'")
  })
})

describe("modify_pending_order_address / modify_user_address", () => {
  const address = { address1: "9 Elm St", address2: "Unit 9", city: "Reno", state: "NV", country: "USA", zip: "89501" }

  it("accepts any status containing 'pending' and stores the address in model field order", () => {
    const out = ok("modify_pending_order_address", { order_id: "#W3", ...address }).output
    expect(out).toContain('"address": {"address1": "9 Elm St", "address2": "Unit 9", "city": "Reno", "country": "USA", "state": "NV", "zip": "89501"}')
    expect(fails("modify_pending_order_address", { order_id: "#W2", ...address })).toBe("Error: Non-pending order cannot be modified")
  })

  it("validates the address like pydantic", () => {
    const out = fails("modify_user_address", { user_id: "ann_lee_1", ...address, zip: 89501, city: null })
    expect(out).toMatch(
      /^Error: 2 validation errors for UserAddress\ncity\n {2}Input should be a valid string \[type=string_type, input_value=None, input_type=NoneType\]\n/,
    )
    expect(out).toContain("zip\n  Input should be a valid string [type=string_type, input_value=89501, input_type=int]")
    expect(fails("modify_user_address", { user_id: "nobody", ...address })).toBe("Error: User not found")
  })
})

describe("modify_pending_order_payment", () => {
  it("swaps the single payment and moves gift card money", () => {
    const outcome = ok("modify_pending_order_payment", { order_id: "#W1", payment_method_id: "credit_card_1" })
    expect(json(outcome.output).payment_history).toEqual([
      { transaction_type: "payment", amount: 15.1, payment_method_id: "gift_card_1" },
      { transaction_type: "payment", amount: 15.1, payment_method_id: "credit_card_1" },
      { transaction_type: "refund", amount: 15.1, payment_method_id: "gift_card_1" },
    ])
    expect(giftBalance(outcome.world, "ann_lee_1", "gift_card_1")).toContain('"balance": 20.1')
    const toGift = ok("modify_pending_order_payment", { order_id: "#W3", payment_method_id: "gift_card_1" })
    expect(giftBalance(toGift.world, "ann_lee_1", "gift_card_1")).toContain('"balance": 0.0')
  })

  it("checks the payment history and the new method", () => {
    expect(fails("modify_pending_order_payment", { order_id: "#W4", payment_method_id: "paypal_1" })).toBe(
      "Error: There should be exactly one payment for a pending order",
    )
    expect(fails("modify_pending_order_payment", { order_id: "#W1", payment_method_id: "gift_card_1" })).toBe(
      "Error: The new payment method should be different from the current one",
    )
    expect(fails("modify_pending_order_payment", { order_id: "#W2", payment_method_id: "paypal_1" })).toBe("Error: Non-pending order cannot be modified")
  })
})

describe("return_delivered_order_items", () => {
  it("refunds only to the original method or a gift card and sorts the items", () => {
    expect(fails("return_delivered_order_items", { order_id: "#W2", item_ids: ["1000000001"], payment_method_id: "paypal_1" })).toBe(
      "Error: Payment method should be the original payment method",
    )
    const order = json(ok("return_delivered_order_items", { order_id: "#W2", item_ids: ["1000000001"], payment_method_id: "gift_card_1" }).output)
    expect([order.status, order.return_items, order.return_payment_method_id]).toEqual(["return requested", ["1000000001"], "gift_card_1"])
    expect(
      fails("return_delivered_order_items", { order_id: "#W2", item_ids: ["1000000001", "1000000001", "1000000001"], payment_method_id: "credit_card_1" }),
    ).toBe("Error: Some item not found")
    expect(fails("return_delivered_order_items", { order_id: "#W1", item_ids: [], payment_method_id: "credit_card_1" })).toBe(
      "Error: Non-delivered order cannot be returned",
    )
  })
})

describe("look-ups", () => {
  it("find_user_id_by_* return the bare id; names and email ignore case, the zip does not", () => {
    expect(ok("find_user_id_by_name_zip", { first_name: "ann", last_name: "LEE", zip: "78701" }).output).toBe("ann_lee_1")
    expect(fails("find_user_id_by_name_zip", { first_name: "Ann", last_name: "Lee", zip: "78702" })).toBe("Error: User not found")
    expect(ok("find_user_id_by_email", { email: "ann.lee@EXAMPLE.com" }).output).toBe("ann_lee_1")
    expect(fails("find_user_id_by_email", { email: 5 })).toBe("Error: 'int' object has no attribute 'lower'")
  })

  it("list_all_product_types is a JSON string sorted by name", () => {
    expect(ok("list_all_product_types", {}).output).toBe('{"Mug": "1000000000", "T-Shirt": "9000000001"}')
  })

  it("get_product_details keeps the file order of integer-like variant ids and renders prices as floats", () => {
    const out = ok("get_product_details", { product_id: "9000000001" }).output
    const ids = [...out.matchAll(/"item_id": "(\d+)"/g)].map((m) => m[1])
    expect(ids).toEqual(["3000000003", "1000000001", "2000000002", "4000000004", "7000000007"])
    expect(ok("get_product_details", { product_id: "1000000000" }).output).toContain('"price": 5.0}')
    expect(fails("get_product_details", { product_id: "1000000001" })).toBe("Error: Product not found")
  })

  it("get_item_details searches every product's variants", () => {
    expect(ok("get_item_details", { item_id: "6000000006" }).output).toBe(
      '{"item_id": "6000000006", "options": {"capacity": "500ml"}, "available": true, "price": 7.25}',
    )
    expect(fails("get_item_details", { item_id: "9000000001" })).toBe("Error: Item not found")
  })

  it("get_order_details shows every optional field, and ids are looked up like Python dict keys", () => {
    expect(ok("get_order_details", { order_id: "#W3" }).output).toContain(
      '"cancel_reason": null, "exchange_items": null, "exchange_new_items": null, "exchange_payment_method_id": null, "exchange_price_difference": null, "return_items": null, "return_payment_method_id": null}',
    )
    expect(fails("get_order_details", { order_id: 1 })).toBe("Error: Order not found")
    expect(fails("get_order_details", { order_id: ["#W1"] })).toBe("Error: unhashable type: 'list'")
    expect(fails("get_user_details", { user_id: "ann" })).toBe("Error: User not found")
  })

  it("transfer_to_human_agents answers with the fixed text", () => {
    expect(ok("transfer_to_human_agents", { summary: "x" }).output).toBe("Transfer successful")
  })
})

describe("calculate", () => {
  it("evaluates like the reference (Python semantics, rounded to 2 dp, str of a float)", () => {
    expect(ok("calculate", { expression: "(10.3 - 10.1) * 3" }).output).toBe("0.6")
    expect(ok("calculate", { expression: "2 + 2" }).output).toBe("4.0")
    expect(fails("calculate", { expression: "1 / 0" })).toBe("Error: division by zero")
    expect(fails("calculate", { expression: "2 ** x" })).toBe("Error: Invalid characters in expression")
  })
})
