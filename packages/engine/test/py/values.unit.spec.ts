import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { floatRepr, formatFixed, PyFloat, PyJson, pyEquals, pyRepr, pyRound } from "../../src/index.ts"

describe("Python float rendering", () => {
  it("matches CPython repr", () => {
    const cases: Array<[number, string]> = [
      [1e16, "1e+16"],
      [1e-5, "1e-05"],
      [0.0001, "0.0001"],
      [123, "123.0"],
      [2.675, "2.675"],
      [1.5e300, "1.5e+300"],
      [-0.5, "-0.5"],
      [0.1 + 0.2, "0.30000000000000004"],
      [-0, "-0.0"],
      // biome-ignore lint/correctness/noPrecisionLoss: not a double on purpose: repr prints the nearest one (…456.75) as Python does
      [1234567890123456.7, "1234567890123456.8"],
    ]
    for (const [x, repr] of cases) expect(floatRepr(x)).toBe(repr)
  })
  it("rounds like Python: exact binary value, exact ties to even", () => {
    const cases: Array<[number, number, number]> = [
      [2.675, 2, 2.67],
      [0.125, 2, 0.12],
      [0.375, 2, 0.38],
      [2.5, 0, 2],
      [3.5, 0, 4],
      [-0.125, 2, -0.12],
      [1.005, 2, 1],
    ]
    for (const [x, n, expected] of cases) expect(pyRound(x, n)).toBe(expected)
    expect(formatFixed(2, 2)).toBe("2.00")
    expect(formatFixed(-0.001, 2)).toBe("-0.00")
  })
})

describe("Python JSON", () => {
  it("keeps int/float identity through parse and dumps", () => {
    const text = '{"a": 1, "b": 2.0, "c": [1.5, "\\u00e9"], "d": {"x": null, "y": true}}'
    const v = PyJson.parse(text)
    expect((v as { b: unknown }).b).toBeInstanceOf(PyFloat)
    expect(PyJson.dumps(v)).toBe(text)
    expect(PyJson.parse(PyJson.compact(v))).toEqual(v)
  })
  it("escapes like json.dumps (ensure_ascii) and sorts like sort_keys", () => {
    expect(PyJson.dumps({ b: "📶", a: '\n\t"' })).toBe('{"b": "\\ud83d\\udcf6", "a": "\\n\\t\\""}')
    expect(PyJson.dumpsSorted({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a": [{"c": 2, "d": 1}], "b": 1}')
  })
  it("rejects malformed JSON with a position", () => {
    expect(() => PyJson.parse('{"a": }')).toThrow(/position 6/)
    expect(() => PyJson.parse("[1, 2")).toThrow()
  })
  it("round-trips arbitrary JSON through compact form", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        const v = PyJson.fromPlain(j)
        return pyEquals(PyJson.parse(PyJson.compact(v)), v)
      }),
    )
  })
  it("renders Python reprs", () => {
    expect(pyRepr({ a: [1, new PyFloat(2), "it's", null, true] })).toBe(`{'a': [1, 2.0, "it's", None, True]}`)
  })
})
