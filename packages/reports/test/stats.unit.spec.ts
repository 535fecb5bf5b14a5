import { describe, expect, it } from "vitest"
import { bootstrapMean, quantileSorted, seededRandom } from "../src/index.ts"

describe("report statistics", () => {
  it("quantiles interpolate linearly like numpy", () => {
    // numpy.quantile([1, 2, 3, 4], q): 0.25 -> 1.75, 0.5 -> 2.5, 0.975 -> 3.925
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12)
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBeCloseTo(2.5, 12)
    expect(quantileSorted([1, 2, 3, 4], 0.975)).toBeCloseTo(3.925, 12)
    expect(quantileSorted([5], 0.1)).toBe(5)
  })

  it("the PRNG is a pure function of its seed", () => {
    const a = seededRandom(42)
    const b = seededRandom(42)
    const xs = Array.from({ length: 5 }, () => a())
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs)
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true)
    expect(seededRandom(43)()).not.toBe(xs[0])
  })

  it("a constant difference has a degenerate interval", () => {
    expect(bootstrapMean([0.25, 0.25, 0.25])).toEqual({ estimate: 0.25, low: 0.25, high: 0.25 })
  })

  it("two tasks: resampled means are {a, (a+b)/2, b} with probabilities 1/4, 1/2, 1/4", () => {
    const i = bootstrapMean([0, 1], { resamples: 4000, seed: 3, confidence: 0.95 })
    expect(i.estimate).toBe(0.5)
    expect(i.low).toBe(0)
    expect(i.high).toBe(1)
    // An 40% interval lies inside the middle mass (the 30th and 70th percentiles are 0.5).
    const narrow = bootstrapMean([0, 1], { resamples: 4000, seed: 3, confidence: 0.4 })
    expect([narrow.low, narrow.high]).toEqual([0.5, 0.5])
  })

  it("three tasks with one failure: P(mean = -1) = 1/27 > 2.5%, P(mean = 0) = 8/27", () => {
    const i = bootstrapMean([0, -1, 0], { resamples: 10_000, seed: 0, confidence: 0.95 })
    expect(i.estimate).toBeCloseTo(-1 / 3, 12)
    expect(i.low).toBe(-1)
    expect(i.high).toBe(0)
  })

  it("no tasks: no interval", () => {
    const i = bootstrapMean([])
    expect(Number.isNaN(i.estimate) && Number.isNaN(i.low) && Number.isNaN(i.high)).toBe(true)
  })
})
