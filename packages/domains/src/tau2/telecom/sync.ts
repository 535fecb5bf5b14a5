/**
 * `TelecomEnvironment.sync_tools` (semantics §4.4.5): after every tool call and step, the user's
 * surroundings follow the agent database (line status, roaming, data usage) and payments cross
 * over (a paid request marks its bill Paid; an Awaiting-Payment bill becomes a request). The
 * device's network state is *not* recomputed here.
 */
import { type Draft, float, isFloat, type PyValue, scopeOf, truthy } from "@tau-sim/engine"
import { billsAwaitingPayment, customerByPhone, lineByPhone, planById, setBillToPaid } from "./agent-db.ts"
import { attr, model, type Obj, pyAdd, pyCompare } from "./python.ts"
import { withWorkingCopies } from "./working-copy.ts"

export const syncTelecom = (world: Draft): void => {
  const agentView = world.at(scopeOf(world.root, "agent"))
  const userView = world.at(scopeOf(world.root, "user"))
  if (userView.get("surroundings", "phone_number") === null) return
  withWorkingCopies([agentView, userView], (agent, user) => syncDatabases(agent, user))
}

const syncDatabases = (agent: Obj, user: Obj): void => {
  const surroundings = model(user, "surroundings")
  const phone = surroundings.phone_number
  if (phone === null) return
  const line = lineByPhone(agent, phone)
  surroundings.line_active = line.status === "Active"
  surroundings.roaming_allowed = truthy(line.roaming_enabled)
  const plan = planById(agent, line.plan_id)
  surroundings.mobile_data_usage_exceeded = pyCompare(line.data_used_gb, ">=", pyAdd(plan.data_limit_gb, line.data_refueling_gb))

  const pending = surroundings.payment_request
  if (pending !== null && pending !== undefined && truthy(attr(pending, "paid"))) {
    setBillToPaid(agent, attr(pending, "bill_id"))
    surroundings.payment_request = null
  }
  if (surroundings.payment_request === null || surroundings.payment_request === undefined) {
    const awaiting = billsAwaitingPayment(agent, customerByPhone(agent, phone))
    if (awaiting.length > 0) {
      const bill = awaiting[0]
      surroundings.payment_request = { bill_id: bill.bill_id, amount_due: asFloat(bill.total_due), paid: false }
    }
  }
}

/** pydantic validation into the `PaymentRequest.amount_due: float` field. */
const asFloat = (v: PyValue): PyValue => (typeof v === "number" ? float(v) : isFloat(v) ? v : v)
