import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { PyFloat, PyJson } from "../../src/index.ts"

describe("PyJson.stringify: JSON for output, with Python floats as floats", () => {
  it("is JSON.stringify on plain values, compact and indented", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2, 4), (v, indent) => {
        expect(PyJson.stringify(v, indent)).toBe(JSON.stringify(v, null, indent))
      }),
    )
  })

  it("follows JSON.stringify on what JSON has no word for", () => {
    const odd = { a: undefined, b: [undefined, () => 1, Number.NaN, Infinity], c: new Date(0), d: { toJSON: () => "x" }, e: {}, f: [] }
    expect(PyJson.stringify(odd)).toBe(JSON.stringify(odd))
    expect(PyJson.stringify(odd, 2)).toBe(JSON.stringify(odd, null, 2))
    expect(PyJson.stringify(undefined)).toBe("null")
    expect(PyJson.stringify({ n: 12345678901234567890n })).toBe('{"n":12345678901234567890}')
  })

  it("writes a PyFloat as the Python float it is, not as its box", () => {
    const v = { price_difference: new PyFloat(-16.63), gb: new PyFloat(2), list: [new PyFloat(0.1), 3] }
    expect(JSON.stringify(v)).toContain('{"value":-16.63}')
    expect(PyJson.stringify(v)).toBe('{"price_difference":-16.63,"gb":2.0,"list":[0.1,3]}')
    expect(PyJson.stringify(v, 2)).toBe('{\n  "price_difference": -16.63,\n  "gb": 2.0,\n  "list": [\n    0.1,\n    3\n  ]\n}')
    // A string that looks like a float stays a string.
    expect(PyJson.stringify({ s: "2.0" })).toBe('{"s":"2.0"}')
  })
})
