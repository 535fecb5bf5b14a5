/**
 * The agent toolkit (`TelecomTools`, semantics §4.4.1): 13 tools in the reference's definition
 * order, plus the non-tool helpers used by task initialisation (`set_data_usage`,
 * `suspend_line_for_overdue_bill`) and the agent-side assertions (§4.4.4).
 */
import {
  type Draft,
  float,
  formatFixed,
  type Helper,
  isFloat,
  num,
  type PyValue,
  ToolError,
  type ToolDef,
  type Toolkit,
  type ToolParam,
  truthy,
} from "@tau-sim/engine"
import { Schema } from "effect"
import {
  applyOneTimeCharge,
  billById,
  billIdsOf,
  billsAwaitingPayment,
  customerById,
  customerByPhone,
  deviceById,
  lineById,
  planById,
  rows,
  targetLine,
} from "./agent-db.ts"
import { addDays, firstOfMonth, lastOfMonth, lastOfPreviousMonth, TODAY } from "./calendar.ts"
import { Customer, Device } from "./models.ts"
import { pythonModeDump } from "./python-dump.ts"
import { eq, inList, type Obj, pyAbs, pyAdd, pyCompare, pyMul, pySub, requireStr, s, sliceTo } from "./python.ts"
import { bindHelperArguments, type HelperParam } from "./helper-binding.ts"
import { withWorkingCopy } from "./working-copy.ts"
import { transferToHumanAgents } from "../common/transfer.ts"

// --- rendering models the way the reference's tool outputs do -----------------------------------

/** A model as tool outputs show it: `model_dump()` rendered with `default=str`. */
const customerOut = (c: Obj): Obj => pythonModeDump(Customer, c) as Obj
const deviceOut = (d: Obj): Obj => pythonModeDump(Device, d) as Obj

/** The reference's `to_json_str` on a plain dict: bare numbers and bools become `str(x)`. */
const plainValue = (v: PyValue): PyValue => (typeof v === "number" || typeof v === "boolean" || isFloat(v) ? s(v) : v)

// --- tool construction --------------------------------------------------------------------------

const param = (name: string, schema: Schema.Top, description?: string, fallback?: PyValue): ToolParam => ({
  name,
  schema,
  ...(description === undefined ? {} : { description }),
  ...(fallback === undefined ? {} : { default: fallback }),
})

type Run = (db: Obj, args: Readonly<Record<string, PyValue>>, random: () => number) => PyValue

const tool = (name: string, kind: ToolDef["kind"], description: string, params: ReadonlyArray<ToolParam>, run: Run): ToolDef => ({
  name,
  kind,
  description,
  params,
  run: (db: Draft, args, ctx) => withWorkingCopy(db, (copy) => run(copy, args, ctx.random)),
})

const helper =
  (name: string, params: ReadonlyArray<HelperParam>, run: Run): Helper =>
  (db, args, ctx) => {
    const bound = bindHelperArguments("TelecomTools", name, params, args)
    return withWorkingCopy(db, (copy) => run(copy, bound, ctx.random))
  }

/** Python `str.lower()` on a stored name. */
const pyLower = (v: PyValue | undefined): string => requireStr(v, "lower").toLowerCase()

const customerIdParam = (owner: string) => param("customer_id", Schema.String, `ID of the customer who owns the ${owner}.`)

// --- tools --------------------------------------------------------------------------------------

const getCustomerByPhone = tool(
  "get_customer_by_phone",
  "read",
  "Finds a customer by their primary contact or line phone number.",
  [param("phone_number", Schema.String, "The phone number to search for.")],
  (db, a) => customerOut(customerByPhone(db, a.phone_number)),
)

const getCustomerById = tool(
  "get_customer_by_id",
  "read",
  "Retrieves a customer directly by their unique ID.",
  [param("customer_id", Schema.String, "The unique identifier of the customer.")],
  (db, a) => customerOut(customerById(db, a.customer_id)),
)

const getCustomerByName = tool(
  "get_customer_by_name",
  "read",
  "Searches for customers by name and DOB. May return multiple matches if names are similar,\n\nDOB helps disambiguate.",
  [
    param("full_name", Schema.String, "The full name of the customer."),
    param("dob", Schema.String, "Date of birth for verification, in the format YYYY-MM-DD."),
  ],
  (db, a) => {
    const matches: PyValue[] = []
    for (const customer of rows(db, "customers")) {
      if (pyLower(customer.full_name) === requireStr(a.full_name, "lower").toLowerCase() && eq(customer.date_of_birth, a.dob))
        matches.push(customerOut(customer))
    }
    return matches
  },
)

const getDetailsById = tool(
  "get_details_by_id",
  "read",
  "Retrieves the details for a given ID.\n\nThe ID must be a valid ID for a Customer, Line, Device, Bill, or Plan.",
  [param("id", Schema.String, "The ID of the object to retrieve.")],
  (db, a) => {
    const id = requireStr(a.id, "startswith")
    if (id.startsWith("L")) return lineById(db, id)
    if (id.startsWith("D")) return deviceOut(deviceById(db, id))
    if (id.startsWith("B")) return billById(db, id)
    if (id.startsWith("C")) return customerOut(customerById(db, id))
    if (id.startsWith("P")) return planById(db, id)
    throw new ToolError(`Unknown ID format or type: ${id}`)
  },
)

const suspendLine = tool(
  "suspend_line",
  "write",
  "Suspends a specific line (max 6 months).\n\nChecks: Line status must be Active.\nLogic: Sets line status to Suspended, records suspension_start_date.",
  [customerIdParam("line"), param("line_id", Schema.String, "ID of the line to suspend."), param("reason", Schema.String, "Reason for suspension.")],
  (db, a) => {
    const line = targetLine(db, a.customer_id, a.line_id)
    if (line.status !== "Active") throw new ToolError("Line must be active to suspend")
    line.status = "Suspended"
    line.suspension_start_date = TODAY
    return { message: "Line suspended successfully. $5/month holding fee will apply.", line: { ...line } }
  },
)

const resumeLine = tool(
  "resume_line",
  "write",
  "Resumes a suspended line.\n\nChecks: Line status must be Suspended or Pending Activation.\nLogic: Sets line status to Active, clears suspension_start_date.",
  [customerIdParam("line"), param("line_id", Schema.String, "ID of the line to resume.")],
  (db, a) => {
    const line = targetLine(db, a.customer_id, a.line_id)
    if (line.status !== "Suspended" && line.status !== "Pending Activation") throw new ToolError("Line must be suspended to resume")
    line.status = "Active"
    line.suspension_start_date = null
    return { message: "Line resumed successfully", line: { ...line } }
  },
)

const getBillsForCustomer = tool(
  "get_bills_for_customer",
  "read",
  "Retrieves a list of the customer's bills, most recent first.",
  [param("customer_id", Schema.String, "ID of the customer."), param("limit", Schema.Int, "Maximum number of bills to return.", 12)],
  (db, a) => {
    const customer = customerById(db, a.customer_id)
    const bills = billIdsOf(customer).map((id) => billById(db, id))
    // sorted(..., reverse=True) is stable: bills issued the same day keep their order.
    const sorted = [...bills].sort((x, y) => (pyCompare(y.issue_date, "<", x.issue_date) ? -1 : pyCompare(x.issue_date, "<", y.issue_date) ? 1 : 0))
    return sliceTo(sorted, a.limit)
  },
)

const sendPaymentRequest = tool(
  "send_payment_request",
  "write",
  "Sends a payment request to the customer for a specific bill.\n\nChecks:\n    - Customer exists\n    - Bill exists and belongs to the customer\n    - No other bills are already awaiting payment for this customer\nLogic: Sets bill status to AWAITING_PAYMENT and notifies customer.\nWarning: This method does not check if the bill is already PAID.\nAlways check the bill status before calling this method.",
  [customerIdParam("bill"), param("bill_id", Schema.String, "ID of the bill to send payment request for.")],
  (db, a) => {
    const customer = customerById(db, a.customer_id)
    if (billsAwaitingPayment(db, customer).length !== 0) throw new ToolError("A bill is already awaiting payment for this customer")
    if (!inList(customer.bill_ids, a.bill_id)) throw new ToolError(`Bill ${s(a.bill_id)} not found for customer ${s(a.customer_id)}`)
    const bill = billById(db, a.bill_id)
    bill.status = "Awaiting Payment"
    return `Payment request sent to the customer for bill ${s(bill.bill_id)}`
  },
)

const getDataUsage = tool(
  "get_data_usage",
  "read",
  "Retrieves current billing cycle data usage for a line, including data\n\nrefueling amount, data limit, and cycle end date.",
  [customerIdParam("line"), param("line_id", Schema.String, "ID of the line to check usage for.")],
  (db, a) => {
    const line = targetLine(db, a.customer_id, a.line_id)
    const plan = planById(db, line.plan_id)
    return {
      line_id: plainValue(a.line_id),
      data_used_gb: plainValue(line.data_used_gb),
      data_limit_gb: plainValue(plan.data_limit_gb),
      data_refueling_gb: plainValue(line.data_refueling_gb),
      cycle_end_date: lastOfMonth(TODAY),
    }
  },
)

const roamingTool = (name: string, enable: boolean, lineDescription: string) =>
  tool(
    name,
    "write",
    `${enable ? "Enables" : "Disables"} international roaming on a line.`,
    [customerIdParam("line"), param("line_id", Schema.String, lineDescription)],
    (db, a) => {
      const line = targetLine(db, a.customer_id, a.line_id)
      const word = enable ? "enabled" : "disabled"
      if (Boolean(line.roaming_enabled) === enable) return `Roaming was already ${word}`
      line.roaming_enabled = enable
      return `Roaming ${word} successfully`
    },
  )

const enableRoaming = roamingTool("enable_roaming", true, "ID of the line to enable roaming for.")
const disableRoaming = roamingTool("disable_roaming", false, "ID of the line to disable roaming for.")

const refuelData = tool(
  "refuel_data",
  "write",
  "Refuels data for a specific line, adding to the customer's bill.\n\nChecks: Line status must be Active, Customer owns the line.\nLogic: Adds data to the line and charges customer based on the plan's refueling rate.",
  [
    customerIdParam("line"),
    param("line_id", Schema.String, "ID of the line to refuel data for."),
    param("gb_amount", Schema.Number, "Amount of data to add in gigabytes."),
  ],
  (db, a, random) => {
    const line = targetLine(db, a.customer_id, a.line_id)
    if (pyCompare(a.gb_amount, "<=", 0)) throw new ToolError("Refuel amount must be positive")
    const plan = planById(db, line.plan_id)
    const rate = plan.data_refueling_price_per_gb
    const charge = pyMul(a.gb_amount, rate)
    line.data_refueling_gb = pyAdd(line.data_refueling_gb, a.gb_amount, true)
    applyOneTimeCharge(db, a.customer_id, charge, `Data refueling: ${s(a.gb_amount)} GB at $${s(rate)}/GB`, random)
    return {
      message: `Successfully added ${s(a.gb_amount)} GB of data for line ${s(a.line_id)} for $${formatFixed(num(charge), 2)}`,
      new_data_refueling_gb: plainValue(line.data_refueling_gb),
      charge: plainValue(charge),
    }
  },
)

// --- helpers (initialisation functions and assertions) -------------------------------------------

/** `set_data_usage`: stores the argument as given (no validation, like a pydantic attribute set). */
const setDataUsage = helper("set_data_usage", ["customer_id", "line_id", "data_used_gb"], (db, a) => {
  const line = targetLine(db, a.customer_id, a.line_id)
  line.data_used_gb = a.data_used_gb
  return `Data usage set to ${s(a.data_used_gb)} GB for line ${s(a.line_id)}`
})

/** `suspend_line_for_overdue_bill`: an Overdue bill for last month's plan price, and a suspended line. */
const suspendLineForOverdueBill = helper("suspend_line_for_overdue_bill", ["customer_id", "line_id", "new_bill_id", "contract_ended"], (db, a) => {
  const line = lineById(db, a.line_id)
  if (line.status !== "Active") throw new ToolError("Line must be active to suspend for unpaid bill")
  const plan = planById(db, line.plan_id)
  const amount = plan.price_per_month
  if (pyCompare(amount, "<=", 0)) throw new ToolError("Amount must be positive for overdue bill")
  const customer = customerById(db, a.customer_id)
  if (billIdsOf(customer).some((id) => billById(db, id).status === "Overdue")) throw new ToolError("Customer already has an overdue bill")
  const lastMonthEnd = lastOfPreviousMonth(TODAY)
  const lastMonthStart = firstOfMonth(lastMonthEnd)
  ;(rows(db, "bills") as PyValue[]).push({
    bill_id: a.new_bill_id,
    customer_id: a.customer_id,
    period_start: lastMonthStart,
    period_end: lastMonthEnd,
    issue_date: lastMonthStart,
    total_due: pyAdd(float(0), amount, true),
    due_date: addDays(lastMonthStart, 14),
    line_items: [{ description: `Charge for line ${s(line.line_id)}`, amount, date: TODAY, item_type: pyCompare(amount, ">", 0) ? "Charge" : "Credit" }],
    status: "Overdue",
  })
  ;(customer.bill_ids as PyValue[]).push(a.new_bill_id)
  line.status = "Suspended"
  line.suspension_start_date = TODAY
  if (truthy(a.contract_ended)) line.contract_end_date = lastMonthEnd
  return `Line ${s(a.line_id)} suspended for unpaid bill ${s(a.new_bill_id)}. Contract ended: ${s(a.contract_ended)}`
})

const assertDataRefuelingAmount = helper("assert_data_refueling_amount", ["customer_id", "line_id", "expected_amount"], (db, a) => {
  const line = targetLine(db, a.customer_id, a.line_id)
  return pyCompare(pyAbs(pySub(line.data_refueling_gb, a.expected_amount)), "<", float(1e-6))
})

const assertLineStatus = helper(
  "assert_line_status",
  ["customer_id", "line_id", "expected_status"],
  (db, a) => targetLine(db, a.customer_id, a.line_id).status === a.expected_status,
)

/** Raises instead of returning false: such an assertion aborts the evaluation (§3.6). */
const assertOverdueBillExists = helper("assert_overdue_bill_exists", ["customer_id", "overdue_bill_id"], (db, a) => {
  const customer = customerById(db, a.customer_id)
  if (!inList(customer.bill_ids, a.overdue_bill_id)) throw new ToolError(`Overdue bill ${s(a.overdue_bill_id)} not found`)
  if (billById(db, a.overdue_bill_id).status !== "Overdue") throw new ToolError(`Overdue bill ${s(a.overdue_bill_id)} is not overdue`)
  return true
})

const assertNoOverdueBill = helper("assert_no_overdue_bill", ["overdue_bill_id"], (db, a) => {
  const bill = rows(db, "bills").find((b) => eq(b.bill_id, a.overdue_bill_id))
  return bill === undefined || bill.status === "Paid"
})

export const telecomAgentToolkit: Toolkit = {
  className: "TelecomTools",
  tools: [
    getCustomerByPhone,
    getCustomerById,
    getCustomerByName,
    getDetailsById,
    suspendLine,
    resumeLine,
    getBillsForCustomer,
    sendPaymentRequest,
    getDataUsage,
    enableRoaming,
    disableRoaming,
    transferToHumanAgents,
    refuelData,
  ],
  helpers: {
    set_data_usage: setDataUsage,
    suspend_line_for_overdue_bill: suspendLineForOverdueBill,
    assert_data_refueling_amount: assertDataRefuelingAmount,
    assert_line_status: assertLineStatus,
    assert_overdue_bill_exists: assertOverdueBillExists,
    assert_no_overdue_bill: assertNoOverdueBill,
  },
}
