/**
 * The retail agent toolkit `RetailTools` (semantics §4.3), tool by tool in the reference's order.
 *
 * Tools read the database through a `Draft` and record every write there, in the order the
 * reference mutates its objects (so a failure half-way leaves the same partial writes). Checks,
 * error texts, rounding and known upstream quirks follow the reference exactly; arguments are used
 * as the model sent them (see `python.ts`).
 */
import { Schema } from "effect"
import { type Draft, float, type PyObject, pyEquals, pyRound, type PyValue, type ToolDef, ToolError, type Toolkit, num, truthy, PyJson } from "@tau-sim/engine"
import { build } from "../pydantic.ts"
import { hasKey, iterate, len } from "../python.ts"
import { calculateTool } from "../common/calculate.ts"
import { dumpsInSourceOrder, keysInSourceOrder } from "../common/key-order.ts"
import { CANCEL_REASONS, OrderPayment, UserAddress } from "./models.ts"
import { compareStr, count, dictKey, fstr, inStringSet, lower, PythonError, sorted } from "./python.ts"
import { transferToHumanAgents } from "../common/transfer.ts"

// --- parameter descriptions (the reference's docstrings) --------------------------------------

const ORDER_ID = "The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id."
const USER_ID = "The user id, such as 'sara_doe_496'."
const PAYMENT_METHOD_ID =
  "The payment method id to pay or receive refund for the item price difference, such as 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up from the user or order details."
const ADDRESS_PARAMS = [
  { name: "address1", description: "The first line of the address, such as '123 Main St'.", schema: Schema.String },
  { name: "address2", description: "The second line of the address, such as 'Apt 1' or ''.", schema: Schema.String },
  { name: "city", description: "The city, such as 'San Francisco'.", schema: Schema.String },
  { name: "state", description: "The state, such as 'CA'.", schema: Schema.String },
  { name: "country", description: "The country, such as 'USA'.", schema: Schema.String },
  { name: "zip", description: "The zip code, such as '12345'.", schema: Schema.String },
] as const
const ItemIds = Schema.Array(Schema.String)

// --- database access (the reference's private `_get_*` helpers) ------------------------------

const getOrder = (db: Draft, orderId: PyValue): PyObject => {
  if (!hasKey(db, ["orders"], orderId)) throw new ToolError("Order not found")
  return db.get("orders", orderId) as PyObject
}

const getUser = (db: Draft, userId: PyValue): PyObject => {
  if (!hasKey(db, ["users"], userId)) throw new ToolError("User not found")
  return db.get("users", userId) as PyObject
}

const getProduct = (db: Draft, productId: PyValue): PyObject => {
  if (!hasKey(db, ["products"], productId)) throw new ToolError("Product not found")
  return db.get("products", productId) as PyObject
}

const getVariant = (db: Draft, productId: PyValue, variantId: PyValue): PyObject => {
  getProduct(db, productId)
  if (!hasKey(db, ["products", productId as string, "variants"], variantId)) throw new ToolError("Variant not found")
  return db.get("products", productId as string, "variants", variantId) as PyObject
}

/** A payment method of a user, with its path for balance updates. */
interface PaymentMethodRef {
  readonly method: PyObject
  readonly path: ReadonlyArray<string>
}

const getPaymentMethod = (db: Draft, userId: PyValue, paymentMethodId: PyValue): PaymentMethodRef => {
  getUser(db, userId)
  const user = userId as string
  if (!hasKey(db, ["users", user, "payment_methods"], paymentMethodId)) throw new ToolError("Payment method not found")
  const path = ["users", user, "payment_methods", paymentMethodId]
  return { method: db.get(...path) as PyObject, path }
}

/** `isinstance(payment_method, GiftCard)`. */
const isGiftCard = (pm: PaymentMethodRef): boolean => pm.method.source === "gift_card"

/** `gift_card.balance = round(gift_card.balance + delta, 2)`, reading the current balance. */
const adjustGiftCardBalance = (db: Draft, pm: PaymentMethodRef, delta: number): void => {
  const balance = num(db.get(...pm.path, "balance"))
  db.set([...pm.path, "balance"], float(pyRound(balance + delta, 2)))
}

/** The reference's loose pending check (`"pending" in order.status`), used by address and payment changes. */
const isPendingOrder = (order: PyObject): boolean => (order.status as string).includes("pending")

/**
 * `diff_price = 0; diff_price += new - old ...`: stays the int 0 when no item is listed, and
 * becomes a float with the first item.
 */
class PriceDifference {
  value = 0
  isFloat = false
  add(x: number): void {
    this.value += x
    this.isFloat = true
  }
  /** `round(diff_price, 2)`. */
  rounded(): PyValue {
    return this.isFloat ? float(pyRound(this.value, 2)) : this.value
  }
}

const orderItems = (order: PyObject): ReadonlyArray<PyObject> => order.items as ReadonlyArray<PyObject>

/** The `item_ids.count(x) > all_item_ids.count(x)` check shared by exchange, modify and return. */
const firstMissingItem = (order: PyObject, itemIds: PyValue): PyValue | undefined => {
  const all = orderItems(order).map((item) => item.item_id)
  for (const itemId of iterate(itemIds)) if (count(itemIds, itemId) > count(all, itemId)) return itemId
  return undefined
}

const pairs = (a: PyValue, b: PyValue): Array<readonly [PyValue, PyValue]> => {
  const left = iterate(a)
  const right = iterate(b)
  return left.slice(0, Math.min(left.length, right.length)).map((x, i) => [x, right[i]] as const)
}

const firstItemWithId = (items: ReadonlyArray<PyObject>, itemId: PyValue): PyObject | undefined => items.find((item) => pyEquals(item.item_id, itemId))

/** `OrderPayment(transaction_type=..., amount=..., payment_method_id=...)`. */
const orderPayment = (type: "payment" | "refund", amount: number, paymentMethodId: PyValue): PyObject =>
  build(OrderPayment, { transaction_type: type, amount, payment_method_id: paymentMethodId })

// --- tools -----------------------------------------------------------------------------------

const cancelPendingOrder: ToolDef = {
  name: "cancel_pending_order",
  kind: "write",
  description: [
    "Cancel a pending order. If the order is already processed or delivered,",
    "",
    "it cannot be cancelled. The agent needs to explain the cancellation detail",
    "and ask for explicit user confirmation (yes/no) to proceed. If the user confirms,",
    "the order status will be changed to 'cancelled' and the payment will be refunded.",
    "The refund will be added to the user's gift card balance immediately if the payment",
    "was made using a gift card, otherwise the refund would take 5-7 business days to process.",
    "The function returns the order details after the cancellation.",
  ].join("\n"),
  params: [
    { name: "order_id", description: ORDER_ID, schema: Schema.String },
    {
      name: "reason",
      description: "The reason for cancellation, which should be either 'no longer needed' or 'ordered by mistake'.",
      schema: Schema.String,
    },
  ],
  run: (db, { order_id, reason }) => {
    const order = getOrder(db, order_id)
    if (order.status !== "pending") throw new ToolError("Non-pending order cannot be cancelled")
    if (!inStringSet(reason, CANCEL_REASON_SET)) throw new ToolError("Invalid reason")
    const refunds: PyObject[] = []
    for (const payment of order.payment_history as ReadonlyArray<PyObject>) {
      refunds.push(orderPayment("refund", num(payment.amount), payment.payment_method_id))
      const user = getUser(db, order.user_id)
      const pm = getPaymentMethod(db, user.user_id, payment.payment_method_id)
      // Gift cards are refunded at once; other methods "take 5-7 business days" (no DB change).
      if (isGiftCard(pm)) adjustGiftCardBalance(db, pm, num(payment.amount))
    }
    const at = ["orders", order_id as string]
    db.set([...at, "status"], "cancelled")
    db.set([...at, "cancel_reason"], reason)
    for (const refund of refunds) db.push([...at, "payment_history"], refund)
    return db.get(...at) as PyValue
  },
}

const CANCEL_REASON_SET: ReadonlySet<string> = new Set(CANCEL_REASONS)

const exchangeDeliveredOrderItems: ToolDef = {
  name: "exchange_delivered_order_items",
  kind: "write",
  description: [
    "Exchange items in a delivered order to new items of the same product type.",
    "",
    "For a delivered order, return or exchange can be only done once by the agent.",
    "The agent needs to explain the exchange detail and ask for explicit user confirmation (yes/no) to proceed.",
  ].join("\n"),
  params: [
    { name: "order_id", description: ORDER_ID, schema: Schema.String },
    {
      name: "item_ids",
      description: "The item ids to be exchanged, each such as '1008292230'. There could be duplicate items in the list.",
      schema: ItemIds,
    },
    {
      name: "new_item_ids",
      description:
        "The item ids to be exchanged for, each such as '1008292230'.\nThere could be duplicate items in the list. Each new item id should match the item id\nin the same position and be of the same product.",
      schema: ItemIds,
    },
    {
      name: "payment_method_id",
      description:
        "The payment method id to pay or receive refund for the item price difference,\nsuch as 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up\nfrom the user or order details.",
      schema: Schema.String,
    },
  ],
  run: (db, { order_id, item_ids, new_item_ids, payment_method_id }) => {
    const order = getOrder(db, order_id)
    if (order.status !== "delivered") throw new ToolError("Non-delivered order cannot be exchanged")
    const missing = firstMissingItem(order, item_ids)
    if (missing !== undefined) throw new ToolError(`Number of ${fstr(missing)} not found.`)
    if (len(item_ids) !== len(new_item_ids)) throw new ToolError("The number of items to be exchanged should match.")
    const diff = new PriceDifference()
    for (const [itemId, newItemId] of pairs(item_ids, new_item_ids)) {
      const item = firstItemWithId(orderItems(order), itemId)
      if (item === undefined) throw new ToolError(`Item ${fstr(itemId)} not found`)
      const variant = getVariant(db, item.product_id, newItemId)
      if (!truthy(variant.available)) throw new ToolError(`New item ${fstr(newItemId)} not found or available`)
      diff.add(num(variant.price) - num(item.price))
    }
    const priceDifference = diff.rounded()
    const pm = getPaymentMethod(db, order.user_id, payment_method_id)
    if (isGiftCard(pm) && num(pm.method.balance) < num(priceDifference)) throw new ToolError("Insufficient gift card balance to pay for the price difference")
    // Only a request is recorded: no payment entry and no balance change until the exchange happens.
    const at = ["orders", order_id as string]
    db.set([...at, "status"], "exchange requested")
    db.set([...at, "exchange_items"], sorted(item_ids))
    db.set([...at, "exchange_new_items"], sorted(new_item_ids))
    db.set([...at, "exchange_payment_method_id"], payment_method_id)
    db.set([...at, "exchange_price_difference"], priceDifference)
    return db.get(...at) as PyValue
  },
}

const findUserIdByNameZip: ToolDef = {
  name: "find_user_id_by_name_zip",
  kind: "read",
  description: [
    "Find user id by first name, last name, and zip code. If the user is not found, the function",
    "",
    "will return an error message. By default, find user id by email, and only call this function",
    "if the user is not found by email or cannot remember email.",
  ].join("\n"),
  params: [
    { name: "first_name", description: "The first name of the customer, such as 'John'.", schema: Schema.String },
    { name: "last_name", description: "The last name of the customer, such as 'Doe'.", schema: Schema.String },
    { name: "zip", description: "The zip code of the customer, such as '12345'.", schema: Schema.String },
  ],
  run: (db, { first_name, last_name, zip }) => {
    // Names compare case-insensitively (Python `str.lower`), the zip exactly; first match wins.
    for (const [userId, user] of usersInOrder(db)) {
      const name = user.name as PyObject
      const address = user.address as PyObject
      if (lower(name.first_name) === lower(first_name) && lower(name.last_name) === lower(last_name) && pyEquals(address.zip, zip)) return userId
    }
    throw new ToolError("User not found")
  },
}

const findUserIdByEmail: ToolDef = {
  name: "find_user_id_by_email",
  kind: "read",
  description: "Find user id by email. If the user is not found, the function will return an error message.",
  params: [{ name: "email", description: "The email of the user, such as 'something@example.com'.", schema: Schema.String }],
  run: (db, { email }) => {
    for (const [userId, user] of usersInOrder(db)) if (lower(user.email) === lower(email)) return userId
    throw new ToolError("User not found")
  },
}

/** `self.db.users.items()` in dict order. */
const usersInOrder = (db: Draft): Array<readonly [string, PyObject]> => {
  const users = db.get("users") as PyObject
  return keysInSourceOrder(users).map((id) => [id, users[id] as PyObject] as const)
}

const getOrderDetails: ToolDef = {
  name: "get_order_details",
  kind: "read",
  description: "Get the status and details of an order.",
  params: [{ name: "order_id", description: ORDER_ID, schema: Schema.String }],
  run: (db, { order_id }) => getOrder(db, order_id),
}

const getProductDetails: ToolDef = {
  name: "get_product_details",
  kind: "read",
  description: "Get the inventory details of a product.",
  params: [
    {
      name: "product_id",
      description: "The product id, such as '6086499569'. Be careful the product id is different from the item id.",
      schema: Schema.String,
    },
  ],
  // Rendered here rather than by the engine so that variants keep the file's (Python dict) order.
  run: (db, { product_id }) => dumpsInSourceOrder(getProduct(db, product_id)),
}

const getItemDetails: ToolDef = {
  name: "get_item_details",
  kind: "read",
  description: "Get the inventory details of an item.",
  params: [
    {
      name: "item_id",
      description: "The item id, such as '6086499569'. Be careful the item id is different from the product id.",
      schema: Schema.String,
    },
  ],
  run: (db, { item_id }) => {
    const products = db.get("products") as PyObject
    for (const productId of keysInSourceOrder(products)) {
      const variants = (products[productId] as PyObject).variants as PyObject
      const key = dictKey(item_id)
      if (key !== undefined && Object.hasOwn(variants, key)) return variants[key]
    }
    throw new ToolError("Item not found")
  },
}

const getUserDetails: ToolDef = {
  name: "get_user_details",
  kind: "read",
  description: "Get the details of a user, including their orders.",
  params: [{ name: "user_id", description: USER_ID, schema: Schema.String }],
  run: (db, { user_id }) => getUser(db, user_id),
}

const listAllProductTypes: ToolDef = {
  name: "list_all_product_types",
  kind: "read",
  description: [
    "List the name and product id of all product types.",
    "",
    "Each product type has a variety of different items with unique item ids and options.",
    "There are only 50 product types in the store.",
  ].join("\n"),
  params: [],
  run: (db) => {
    // `json.dumps({name: product_id ...}, sort_keys=True)`: a later product with the same name wins.
    const products = db.get("products") as PyObject
    const byName = new Map<string, PyValue>()
    for (const id of keysInSourceOrder(products)) {
      const product = products[id] as PyObject
      byName.set(product.name as string, product.product_id)
    }
    const names = [...byName.keys()].sort(compareStr)
    return `{${names.map((n) => `${PyJson.dumps(n)}: ${PyJson.dumps(byName.get(n) as PyValue)}`).join(", ")}}`
  },
}

const modifyPendingOrderAddress: ToolDef = {
  name: "modify_pending_order_address",
  kind: "write",
  description:
    "Modify the shipping address of a pending order. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.",
  params: [{ name: "order_id", description: ORDER_ID, schema: Schema.String }, ...ADDRESS_PARAMS],
  run: (db, args) => {
    const order = getOrder(db, args.order_id)
    if (!isPendingOrder(order)) throw new ToolError("Non-pending order cannot be modified")
    const at = ["orders", args.order_id as string]
    db.set([...at, "address"], userAddress(args))
    return db.get(...at) as PyValue
  },
}

/** `UserAddress(address1=..., ...)` from the tool's address arguments. */
const userAddress = (args: Readonly<Record<string, PyValue>>): PyObject =>
  build(UserAddress, Object.fromEntries(ADDRESS_PARAMS.map((p) => [p.name, args[p.name]])))

const modifyPendingOrderItems: ToolDef = {
  name: "modify_pending_order_items",
  kind: "write",
  description:
    "Modify items in a pending order to new items of the same product type. For a pending order, this function can only be called once. The agent needs to explain the exchange detail and ask for explicit user confirmation (yes/no) to proceed.",
  params: [
    { name: "order_id", description: ORDER_ID, schema: Schema.String },
    {
      name: "item_ids",
      description: "The item ids to be modified, each such as '1008292230'. There could be duplicate items in the list.",
      schema: ItemIds,
    },
    {
      name: "new_item_ids",
      description:
        "The item ids to be modified for, each such as '1008292230'. There could be duplicate items in the list. Each new item id should match the item id in the same position and be of the same product.",
      schema: ItemIds,
    },
    { name: "payment_method_id", description: PAYMENT_METHOD_ID, schema: Schema.String },
  ],
  run: (db, { order_id, item_ids, new_item_ids, payment_method_id }) => {
    const order = getOrder(db, order_id)
    if (order.status !== "pending") throw new ToolError("Non-pending order cannot be modified")
    const missing = firstMissingItem(order, item_ids)
    if (missing !== undefined) throw new ToolError(`${fstr(missing)} not found`)
    if (len(item_ids) !== len(new_item_ids)) throw new ToolError("The number of items to be exchanged should match")
    const diff = new PriceDifference()
    let variant: PyObject | undefined
    for (const [itemId, newItemId] of pairs(item_ids, new_item_ids)) {
      if (pyEquals(itemId, newItemId)) throw new ToolError("The new item id should be different from the old item id")
      const item = firstItemWithId(orderItems(order), itemId)
      if (item === undefined) throw new ToolError(`Item ${fstr(itemId)} not found`)
      variant = getVariant(db, item.product_id, newItemId)
      if (!truthy(variant.available)) throw new ToolError(`New item ${fstr(newItemId)} not found or available`)
      diff.add(num(variant.price) - num(item.price))
    }
    // Unrounded here, unlike the exchange.
    const pm = getPaymentMethod(db, order.user_id, payment_method_id)
    if (isGiftCard(pm) && num(pm.method.balance) < diff.value) throw new ToolError("Insufficient gift card balance to pay for the new item")
    const at = ["orders", order_id as string]
    db.push([...at, "payment_history"], orderPayment(diff.value > 0 ? "payment" : "refund", Math.abs(diff.value), payment_method_id))
    if (isGiftCard(pm)) adjustGiftCardBalance(db, pm, -diff.value)
    // Upstream bug, reproduced: every modified item gets the price and options of the *last*
    // variant checked above, not of its own new variant. Items are matched one pair at a time, so
    // an item renamed by an earlier pair can be matched again by a later one.
    const items = orderItems(order).map((item) => ({ ...item }))
    for (const [itemId, newItemId] of pairs(item_ids, new_item_ids)) {
      const item = items.find((it) => pyEquals(it.item_id, itemId))
      if (item === undefined) throw new ToolError(`Item ${fstr(itemId)} not found`)
      const last = variant as PyObject
      item.item_id = newItemId
      item.price = last.price
      item.options = last.options
    }
    db.set([...at, "items"], items)
    db.set([...at, "status"], "pending (item modified)")
    return db.get(...at) as PyValue
  },
}

const modifyPendingOrderPayment: ToolDef = {
  name: "modify_pending_order_payment",
  kind: "write",
  description:
    "Modify the payment method of a pending order. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.",
  params: [
    { name: "order_id", description: ORDER_ID, schema: Schema.String },
    { name: "payment_method_id", description: PAYMENT_METHOD_ID, schema: Schema.String },
  ],
  run: (db, { order_id, payment_method_id }) => {
    const order = getOrder(db, order_id)
    if (!isPendingOrder(order)) throw new ToolError("Non-pending order cannot be modified")
    const pm = getPaymentMethod(db, order.user_id, payment_method_id)
    const history = order.payment_history as ReadonlyArray<PyObject>
    if (history.length !== 1 || history[0].transaction_type !== "payment") throw new ToolError("There should be exactly one payment for a pending order")
    const old = history[0]
    if (pyEquals(old.payment_method_id, payment_method_id)) throw new ToolError("The new payment method should be different from the current one")
    const amount = num(old.amount)
    if (isGiftCard(pm) && num(pm.method.balance) < amount) throw new ToolError("Insufficient gift card balance to pay for the order")
    const at = ["orders", order_id as string]
    db.push([...at, "payment_history"], orderPayment("payment", amount, payment_method_id))
    db.push([...at, "payment_history"], orderPayment("refund", amount, old.payment_method_id))
    if (isGiftCard(pm)) adjustGiftCardBalance(db, pm, -amount)
    const oldPm = getPaymentMethod(db, order.user_id, old.payment_method_id)
    if (isGiftCard(oldPm)) adjustGiftCardBalance(db, oldPm, amount)
    return db.get(...at) as PyValue
  },
}

const modifyUserAddress: ToolDef = {
  name: "modify_user_address",
  kind: "write",
  description:
    "Modify the default address of a user. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.",
  params: [{ name: "user_id", description: USER_ID, schema: Schema.String }, ...ADDRESS_PARAMS],
  run: (db, args) => {
    getUser(db, args.user_id)
    const at = ["users", args.user_id as string]
    db.set([...at, "address"], userAddress(args))
    return db.get(...at) as PyValue
  },
}

const returnDeliveredOrderItems: ToolDef = {
  name: "return_delivered_order_items",
  kind: "write",
  description: [
    "Return some items of a delivered order.",
    "",
    "The order status will be changed to 'return requested'.",
    "The agent needs to explain the return detail and ask for explicit user confirmation (yes/no) to proceed.",
    "The user will receive follow-up email for how and where to return the item.",
  ].join("\n"),
  params: [
    { name: "order_id", description: ORDER_ID, schema: Schema.String },
    {
      name: "item_ids",
      description: "The item ids to be returned, each such as '1008292230'. There could be duplicate items in the list.",
      schema: ItemIds,
    },
    {
      name: "payment_method_id",
      description:
        "The payment method id to pay or receive refund for the item price difference, such as 'gift_card_0000000' or 'credit_card_0000000'.\nThese can be looked up from the user or order details.",
      schema: Schema.String,
    },
  ],
  run: (db, { order_id, item_ids, payment_method_id }) => {
    const order = getOrder(db, order_id)
    if (order.status !== "delivered") throw new ToolError("Non-delivered order cannot be returned")
    const user = getUser(db, order.user_id)
    const pm = getPaymentMethod(db, user.user_id, payment_method_id)
    if (!isGiftCard(pm)) {
      const history = order.payment_history as ReadonlyArray<PyObject>
      if (history.length === 0) throw new PythonError("IndexError", "list index out of range")
      if (!pyEquals(payment_method_id, history[0].payment_method_id)) throw new ToolError("Payment method should be the original payment method")
    }
    if (firstMissingItem(order, item_ids) !== undefined) throw new ToolError("Some item not found")
    const at = ["orders", order_id as string]
    db.set([...at, "status"], "return requested")
    db.set([...at, "return_items"], sorted(item_ids))
    db.set([...at, "return_payment_method_id"], payment_method_id)
    return db.get(...at) as PyValue
  },
}

/** `RetailTools`, tools in class-definition order (the order of the schemas sent to the model). */
export const retailToolkit: Toolkit = {
  className: "RetailTools",
  tools: [
    calculateTool,
    cancelPendingOrder,
    exchangeDeliveredOrderItems,
    findUserIdByNameZip,
    findUserIdByEmail,
    getOrderDetails,
    getProductDetails,
    getItemDetails,
    getUserDetails,
    listAllProductTypes,
    modifyPendingOrderAddress,
    modifyPendingOrderItems,
    modifyPendingOrderPayment,
    modifyUserAddress,
    returnDeliveredOrderItems,
    transferToHumanAgents,
  ],
  helpers: {},
}
