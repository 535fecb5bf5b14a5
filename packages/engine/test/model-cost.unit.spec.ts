/** Reading recorded model costs: unknown is never 0, totals over unknown costs are lower bounds, old records still read. */
import { describe, expect, it } from "vitest"
import { decodeEvent, encodeEvent, type ModelCalled } from "../src/events.ts"
import { callCost, formatCost, knownCost } from "../src/model-cost.ts"
import { agentMessage, modelCalled } from "../testing/sample-events.ts"

const call = (overrides: Partial<ModelCalled>): ModelCalled => ({ ...modelCalled(), ...overrides })
/** A successful call of a model without a price as the recorder wrote it before unknown costs existed. */
const legacyUnpriced = call({ cost: 0, response: { text: "hi", toolCalls: [], finishReason: "stop", raw: {}, pricing: null } })

describe("model call costs", () => {
  it("a recorded cost is the cost; null is unknown and survives the store's encoding", () => {
    expect(callCost(call({ cost: 0.25 }))).toBe(0.25)
    const unknown = call({ cost: null, response: { pricing: null } })
    expect(callCost(unknown)).toBeNull()
    expect(decodeEvent("ep", 0, encodeEvent(unknown))).toEqual(unknown)
  })

  it("an old record of 0 with pricing: null is unknown; failed attempts and cache answers cost 0", () => {
    expect(decodeEvent("ep", 0, encodeEvent(legacyUnpriced))).toEqual(legacyUnpriced)
    expect(callCost(legacyUnpriced)).toBeNull()
    expect(callCost(call({ cost: 0, error: "server (HTTP 500): down", response: { error: { kind: "server" } } }))).toBe(0)
    expect(callCost(call({ cost: 0, response: { pricing: null, cached: { requestHash: "h", cost: 0 } } }))).toBe(0)
    expect(callCost(call({ cost: 0, response: { pricing: { inputPerMTok: 0, outputPerMTok: 0 } } }))).toBe(0)
  })

  it("sums known costs and counts unknown ones; other events are passed over", () => {
    const total = knownCost([call({ cost: 0.1 }), agentMessage(), legacyUnpriced, call({ cost: 0.02 }), call({ cost: null })])
    expect(total.known).toBeCloseTo(0.12, 12)
    expect(total.unpriced).toBe(2)
    expect(formatCost(total)).toBe("≥ $0.1200 (2 calls unpriced)")
    expect(formatCost(knownCost([legacyUnpriced]))).toBe("unknown (1 call unpriced)")
    expect(formatCost(knownCost([call({ cost: 0.1 })]))).toBe("$0.1000")
    expect(formatCost(knownCost([]))).toBe("$0.0000")
  })
})
