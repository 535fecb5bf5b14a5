/**
 * Look-ups and mutations of the agent database (`TelecomTools`' private helpers), on a working copy.
 * Shared by the agent tools, the initialisation helpers and the agent/user synchronisation.
 */
import { float, type PyValue, ToolError } from "@tau-sim/engine"
import { addDays, firstOfNextMonth, lastOfMonth, TODAY } from "./calendar.ts"
import { build } from "../pydantic.ts"
import { LineItem } from "./models.ts"
import { dbField, eq, type Obj, pyAdd, pyCompare, s } from "./python.ts"

/** A table of the agent database (`self.db.<table>`). */
export const rows = (db: Obj, table: string): Obj[] => dbField(db, table) as Obj[]

const byId = (db: Obj, table: string, key: string, id: PyValue, what: string): Obj => {
  const row = rows(db, table).find((r) => eq(r[key], id))
  if (!row) throw new ToolError(`${what} with ID ${s(id)} not found`)
  return row
}

export const customerById = (db: Obj, id: PyValue): Obj => byId(db, "customers", "customer_id", id, "Customer")
export const lineById = (db: Obj, id: PyValue): Obj => byId(db, "lines", "line_id", id, "Line")
export const planById = (db: Obj, id: PyValue): Obj => byId(db, "plans", "plan_id", id, "Plan")
export const deviceById = (db: Obj, id: PyValue): Obj => byId(db, "devices", "device_id", id, "Device")
export const billById = (db: Obj, id: PyValue): Obj => byId(db, "bills", "bill_id", id, "Bill")

const idsOf = (customer: Obj, field: "line_ids" | "bill_ids"): PyValue[] => (customer[field] ?? []) as PyValue[]
export const lineIdsOf = (customer: Obj): PyValue[] => idsOf(customer, "line_ids")
export const billIdsOf = (customer: Obj): PyValue[] => idsOf(customer, "bill_ids")

/** `get_customer_by_phone`: the customer's contact number or the number of one of its lines. */
export const customerByPhone = (db: Obj, phone: PyValue): Obj => {
  for (const customer of rows(db, "customers")) {
    if (eq(customer.phone_number, phone)) return customer
    for (const lineId of lineIdsOf(customer)) {
      if (eq(lineById(db, lineId).phone_number, phone)) return customer
    }
  }
  throw new ToolError(`Customer with phone number ${s(phone)} not found`)
}

/** `_get_line_by_phone`. */
export const lineByPhone = (db: Obj, phone: PyValue): Obj => {
  const line = rows(db, "lines").find((l) => eq(l.phone_number, phone))
  if (!line) throw new ToolError(`Line with phone number ${s(phone)} not found`)
  return line
}

/** `_get_target_line`: a line that belongs to the customer. */
export const targetLine = (db: Obj, customerId: PyValue, lineId: PyValue): Obj => {
  const customer = customerById(db, customerId)
  if (!lineIdsOf(customer).some((id) => eq(id, lineId))) throw new ToolError(`Line ${s(lineId)} not found for customer ${s(customerId)}`)
  return lineById(db, lineId)
}

/** `_get_bills_awaiting_payment`. */
export const billsAwaitingPayment = (db: Obj, customer: Obj): Obj[] =>
  billIdsOf(customer)
    .map((id) => billById(db, id))
    .filter((bill) => bill.status === "Awaiting Payment")

/** `_set_bill_to_paid`. */
export const setBillToPaid = (db: Obj, billId: PyValue): void => {
  billById(db, billId).status = "Paid"
}

/**
 * `_apply_one_time_charge`: adds a line item to the customer's first Draft bill, creating a Draft
 * bill for next month (with a random id `B<8 hex>`, the reference's `uuid4().hex[:8]`) if none.
 */
export const applyOneTimeCharge = (db: Obj, customerId: PyValue, amount: PyValue, description: string, random: () => number): void => {
  const customer = customerById(db, customerId)
  let draft = billIdsOf(customer)
    .map((id) => billById(db, id))
    .find((bill) => bill.status === "Draft")
  if (!draft) {
    const nextMonth = firstOfNextMonth(TODAY)
    const id = `B${Array.from({ length: 8 }, () => Math.floor(random() * 16).toString(16)).join("")}`
    draft = {
      bill_id: id,
      customer_id: customerId,
      period_start: nextMonth,
      period_end: lastOfMonth(nextMonth),
      issue_date: nextMonth,
      total_due: float(0),
      due_date: addDays(nextMonth, 14),
      line_items: [],
      status: "Draft",
    }
    rows(db, "bills").push(draft)
    ;(customer.bill_ids as PyValue[]).push(id)
  }
  const itemType = pyCompare(amount, "<", 0) ? "Credit" : "Charge"
  ;(draft.line_items as PyValue[]).push(build(LineItem, { description, amount, date: TODAY, item_type: itemType }))
  draft.total_due = pyAdd(draft.total_due, amount, true)
}
