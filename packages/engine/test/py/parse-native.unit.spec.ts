/**
 * `PyJson.parse` reads most texts through JSON.parse (floats boxed afterwards) and falls back to the
 * exact parser; whichever path a text takes, the values are the exact parser's: the same ints and
 * floats (`2.0` stays a float), strings, key order, and the same errors.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { PyJson } from "../../src/index.ts"
import { pyValueArb } from "./py-value-arb.ts"

const floatArb = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1e6, max: 1e6 }).map((n) => n * 1.0),
  fc.constantFrom(0, -0, 1e21, 1e-7, 2.5e16),
)
const stringArb = fc.oneof(fc.string(), fc.constantFrom('say "2.0"', "1e5", "\\", '\\"', "\u0000", "ü 2.0 €", "-0.0", '{"price": 2.0}', "\n\t"))
const keyArb = fc.oneof(fc.string(), fc.constantFrom("__proto__", "1", "02", "10", "constructor", "2.0"))
const pyValues = pyValueArb({ strings: stringArb, keys: keyArb, floats: floatArb })

/** Both values written back, and their shape: compact keeps floats' `.0` and key order. */
const same = (text: string) => {
  const fast = PyJson.parse(text)
  const exact = PyJson.parseExact(text)
  expect(PyJson.compact(fast)).toBe(PyJson.compact(exact))
}

describe("PyJson.parse is the exact parser, faster", () => {
  it("on any value, in every way it is written (dumps, compact, indented by JSON.stringify)", () => {
    fc.assert(
      fc.property(pyValues, (v) => {
        same(PyJson.dumps(v))
        same(PyJson.compact(v))
        same(PyJson.stringify(v, 2))
      }),
      { numRuns: 400 },
    )
  })

  it("on texts only the exact parser reads (NaN, Infinity), and on integral floats beside strings that look like them", () => {
    same('{"a": NaN, "b": -Infinity, "c": [1.0, 2]}')
    same('["2.0", 2.0, "x\\"2.0", 1e5, 1E-2, -0.0, 10, "\\\\", 3.000]')
    expect(PyJson.compact(PyJson.parse('[2.0, "2.0", 2, 1e2]'))).toBe('[2.0,"2.0",2,100.0]')
    // `__proto__` is a key like any other, on both paths (never the object's prototype).
    for (const parsed of [PyJson.parse('{"__proto__": {"x": 1}}'), PyJson.parseExact('{"__proto__": {"x": 1}}')]) {
      expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
      expect(Object.getOwnPropertyDescriptor(parsed, "__proto__")?.value).toEqual({ x: 1 })
    }
  })

  it("fails on invalid JSON with the exact parser's error", () => {
    for (const bad of ["{", '{"a" 1}', "[1,]", "01", '"\\x"', "[1] 2", ""]) {
      expect(() => PyJson.parse(bad)).toThrow(PyJson.JsonSyntaxError)
      let exact = ""
      try {
        PyJson.parseExact(bad)
      } catch (e) {
        exact = String(e)
      }
      expect(() => PyJson.parse(bad)).toThrow(exact.replace(/^JsonSyntaxError: /, ""))
    }
  })
})
