/**
 * `TelecomEnvironment.sync_tools` (semantics §4.4.5): after every tool call and step, the user's
 * surroundings follow the agent database (line status, roaming, data usage) and payments cross
 * over (a paid request marks its bill Paid; an Awaiting-Payment bill becomes a request). The
 * device's network state is *not* recomputed here.
 *
 * Sync runs after every call, so unlike the tools it reads the (immutable) databases in place and
 * writes only the fields whose value changes.
 */
import { type Draft, float, isFloat, type PyValue, scopeOf, truthy } from "@tau-sim/engine"
import { billById, billsAwaitingPayment, customerByPhone, lineByPhone, planById } from "./agent-db.ts"
import { attr, dbField, type Obj, pyAdd, pyCompare } from "./python.ts"

export const syncTelecom = (world: Draft): void => {
  const agentView = world.at(scopeOf(world.root, "agent"))
  const userView = world.at(scopeOf(world.root, "user"))
  const agent = () => agentView.get() as Obj
  const surroundings = () => dbField(userView.get() as Obj, "surroundings") as Obj
  const setSurrounding = (field: string, value: PyValue) => {
    const current = surroundings()[field]
    if (!(current === value || (isFloat(current) && isFloat(value) && Object.is(current.value, value.value)))) userView.set(["surroundings", field], value)
  }

  const phone = surroundings().phone_number
  if (phone === null) return
  const line = lineByPhone(agent(), phone)
  setSurrounding("line_active", line.status === "Active")
  setSurrounding("roaming_allowed", truthy(line.roaming_enabled))
  const plan = planById(agent(), line.plan_id)
  setSurrounding("mobile_data_usage_exceeded", pyCompare(line.data_used_gb, ">=", pyAdd(plan.data_limit_gb, line.data_refueling_gb)))

  const pending = surroundings().payment_request
  if (pending !== null && pending !== undefined && truthy(attr(pending, "paid"))) {
    const bill = billById(agent(), attr(pending, "bill_id"))
    const index = (agent().bills as Obj[]).indexOf(bill)
    if (bill.status !== "Paid") agentView.set(["bills", String(index), "status"], "Paid")
    setSurrounding("payment_request", null)
  }
  if (surroundings().payment_request === null) {
    const awaiting = billsAwaitingPayment(agent(), customerByPhone(agent(), phone))
    if (awaiting.length > 0) {
      const bill = awaiting[0]
      // `PaymentRequest(amount_due=...)` validates into a float field.
      const amount = typeof bill.total_due === "number" ? float(bill.total_due) : bill.total_due
      userView.set(["surroundings", "payment_request"], { bill_id: bill.bill_id, amount_due: amount, paid: false })
    }
  }
}
