/**
 * The retail pydantic models (`data_model.py`, semantics §4.3): plain `BaseModel`s (unknown keys
 * dropped) under the no-extra `RetailDB`.
 */
import { defineModel, field, type FieldDef, optionalField, py } from "../pydantic.ts"

const { str } = py

export const ORDER_STATUSES = ["processed", "pending", "pending (item modified)", "delivered", "cancelled", "exchange requested", "return requested"] as const
export const CANCEL_REASONS = ["no longer needed", "ordered by mistake"] as const

const strings = (...names: ReadonlyArray<string>): FieldDef[] => names.map((n) => field(n, str))
const options = field("options", py.dict(str))

const Variant = defineModel("Variant", [field("item_id", str), options, field("available", py.bool), field("price", py.float)])
const Product = defineModel("Product", [...strings("name", "product_id"), field("variants", py.dict(py.model(Variant)))])

export const UserAddress = defineModel("UserAddress", strings("address1", "address2", "city", "country", "state", "zip"))

const PaymentMethod = py.union("source", [
  defineModel("CreditCard", [field("source", py.literal("credit_card")), ...strings("id", "brand", "last_four")]),
  defineModel("GiftCard", [field("source", py.literal("gift_card")), field("id", str), field("balance", py.float)]),
  defineModel("Paypal", [field("source", py.literal("paypal")), field("id", str)]),
])

const User = defineModel("User", [
  field("user_id", str),
  field("name", py.model(defineModel("UserName", strings("first_name", "last_name")))),
  field("address", py.model(UserAddress)),
  field("email", str),
  field("payment_methods", py.dict(PaymentMethod)),
  field("orders", py.list(str)),
])

const OrderItem = defineModel("OrderItem", [...strings("name", "product_id", "item_id"), field("price", py.float), options])
const OrderFullfilment = defineModel("OrderFullfilment", [field("tracking_id", py.list(str)), field("item_ids", py.list(str))])
export const OrderPayment = defineModel("OrderPayment", [
  field("transaction_type", py.literal("payment", "refund")),
  field("amount", py.float),
  field("payment_method_id", str),
])

const Order = defineModel("Order", [
  ...strings("order_id", "user_id"),
  field("address", py.model(UserAddress)),
  field("items", py.list(py.model(OrderItem))),
  field("status", py.literal(...ORDER_STATUSES)),
  field("fulfillments", py.list(py.model(OrderFullfilment))),
  field("payment_history", py.list(py.model(OrderPayment))),
  optionalField("cancel_reason", py.literal(...CANCEL_REASONS)),
  optionalField("exchange_items", py.list(str)),
  optionalField("exchange_new_items", py.list(str)),
  optionalField("exchange_payment_method_id", str),
  optionalField("exchange_price_difference", py.float),
  optionalField("return_items", py.list(str)),
  optionalField("return_payment_method_id", str),
])

export const RetailDB = defineModel(
  "RetailDB",
  [field("products", py.dict(py.model(Product))), field("users", py.dict(py.model(User))), field("orders", py.dict(py.model(Order)))],
  "forbid",
)
