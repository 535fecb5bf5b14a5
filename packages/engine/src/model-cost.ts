/**
 * What recorded model calls cost: the one reading of `ModelCalled.cost` for every reader (run
 * progress, `show`, reports, exports), so that a call whose model had no price is never counted
 * as free and a total over such calls is never shown as complete.
 */
import type { ModelCalled } from "./events.ts"

/**
 * USD the call cost, or null when unknown. Events recorded before unknown costs were representable
 * wrote 0 for a successful call of a model without a price and said so with `pricing: null` in the
 * response: those are unknown too (the record itself says no price was applied). A failed attempt
 * and an answer from the response cache (`cached` in the response) cost 0.
 */
export const callCost = (event: ModelCalled): number | null => {
  if (event.cost !== 0) return event.cost
  const response = event.response as { pricing?: unknown; cached?: unknown } | null
  const legacyUnpriced = event.error === null && response !== null && typeof response === "object" && response.pricing === null && response.cached === undefined
  return legacyUnpriced ? null : 0
}

/** A sum over calls: the known part, and how many calls had an unknown cost (0: the sum is complete). */
export interface CostTotal {
  readonly known: number
  readonly unpriced: number
}

export const ZERO_COST: CostTotal = { known: 0, unpriced: 0 }

/** `total` plus one call's cost (null: unknown). */
export const addCost = (total: CostTotal, cost: number | null): CostTotal =>
  cost === null ? { known: total.known, unpriced: total.unpriced + 1 } : { known: total.known + cost, unpriced: total.unpriced }

export const sumCosts = (a: CostTotal, b: CostTotal): CostTotal => ({ known: a.known + b.known, unpriced: a.unpriced + b.unpriced })

/** The cost of `calls` (other events are passed over), with the number of calls whose cost is unknown. */
export const knownCost = (calls: Iterable<{ readonly _tag: string }>): CostTotal => {
  let total = ZERO_COST
  for (const e of calls) if (e._tag === "ModelCalled") total = addCost(total, callCost(e as ModelCalled))
  return total
}

/**
 * `$0.1234` when complete; with unknown costs a lower bound, `≥ $0.1200 (3 calls unpriced)`, or
 * `unknown (3 calls unpriced)` when nothing priced cost anything.
 */
export const formatCost = (total: CostTotal, digits = 4): string => {
  const amount = formatCostAmount(total, digits)
  return total.unpriced === 0 ? amount : `${amount} (${total.unpriced} call${total.unpriced === 1 ? "" : "s"} unpriced)`
}

/** The amount alone: `$0.1234`, `≥ $0.1200` or `unknown` (for a line that counts the calls itself). */
export const formatCostAmount = (total: CostTotal, digits = 4): string => {
  const amount = `$${total.known.toFixed(digits)}`
  if (total.unpriced === 0) return amount
  return total.known === 0 ? "unknown" : `≥ ${amount}`
}
