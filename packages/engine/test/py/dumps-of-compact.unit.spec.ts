/**
 * `PyJson.scanCompact` / `dumpsOfCompactTo` write `dumps(parse(text))` from a compact text without
 * building its value. Sound: whatever text is given (compact's own, or one written otherwise:
 * spaces, `\/`, `\u0041`, upper-case hex, duplicate keys, index keys out of order, `-0`, `1.50`,
 * `1E5`), either it is refused or the pieces are exactly `dumps(parse(text))`. Complete on
 * compact's own texts, and the top-level places hold the fields' own texts.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { PyFloat, PyJson, type PyObject, type PyValue } from "../../src/index.ts"
import { pyValueArb } from "./py-value-arb.ts"

const keyArb = fc.oneof(fc.string({ unit: "binary", maxLength: 6 }), fc.constantFrom("1", "02", "10", "__proto__", "a/b", "é"))
const pyValues = pyValueArb({
  strings: fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom("\u007f", "\ud83d\ude00", "\ud800", "a\\u0041", "\n\t\u0001")),
  keys: keyArb,
  width: 4,
})

const recast = (text: string): string | undefined => {
  if (PyJson.scanCompact(text) === undefined) return undefined
  const pieces: string[] = []
  PyJson.dumpsOfCompactTo(text, (p) => pieces.push(p))
  return pieces.join("")
}

/** Ways of writing a value's text that are not compact's own, each still JSON that parse reads. */
const foreign: ReadonlyArray<(text: string) => string> = [
  (t) => t.replace(/,/, ", "),
  (t) => t.replace(/\//, "\\/"),
  (t) => t.replace(/A/, "\\u0041"),
  (t) => t.replace(/\\u([0-9a-f]{4})/, (_m, h: string) => `\\u${h.toUpperCase()}`),
  (t) => t.replace(/\\n/, "\\u000a"),
  (t) => t.replace(/é/, "\\u00e9"),
  (t) => t.replace(/([^\d.eE+-])0(?=[,\]}])/, "$1-0"),
  (t) => t.replace(/(\.\d+)(?=[,\]}])/, "$10"),
  (t) => t.replace(/e\+/, "E+"),
  (t) => t.replace(/^\{/, '{"1":0,').replace('{"1":0,}', '{"1":0}'),
  (t) => t.replace(/^\{("[^"]*"):/, "{$1:0,$1:"),
  (t) => `${t} `,
]

describe("PyJson.dumpsOfCompactTo", () => {
  it("gives dumps of the value for compact's own text, and each top-level field's own text", () => {
    fc.assert(
      fc.property(pyValues, (v) => {
        const text = PyJson.compact(v)
        expect(recast(text)).toBe(PyJson.dumps(PyJson.parse(text)))
        const top = PyJson.scanCompact(text)
        if (PyJson.parse(text) !== null && typeof PyJson.parse(text) === "object" && !Array.isArray(v) && !(v instanceof PyFloat)) {
          const parsed = PyJson.parse(text) as PyObject
          for (const [k, [start, end]] of top ?? []) expect(text.slice(start, end)).toBe(PyJson.compact(parsed[k] as PyValue))
          expect([...(top?.keys() ?? [])]).toEqual(Object.keys(parsed))
        }
      }),
      { numRuns: 2000 },
    )
  })

  it("refuses a text written otherwise, or gives exactly dumps of what it parses to", () => {
    fc.assert(
      fc.property(pyValues, fc.constantFrom(...foreign.keys()), (v, k) => {
        const text = (foreign[k] as (t: string) => string)(PyJson.compact(v))
        let parsed: PyValue
        try {
          parsed = PyJson.parse(text)
        } catch {
          expect(recast(text)).toBeUndefined()
          return
        }
        const out = recast(text)
        if (out !== undefined) expect(out).toBe(PyJson.dumps(parsed))
      }),
      { numRuns: 3000 },
    )
    // Each foreign form on its own is refused.
    for (const text of [
      '{"a":"\\/"}',
      '{"a":"\\u0041"}',
      '{"a":"\\u00E9"}',
      '{"a":"\\u000a"}',
      '{"b":1,"1":2}',
      '{"a":1,"a":2}',
      "[-0]",
      "[1.50]",
      "[1E+16]",
      "[1, 2]",
      '{"a":1} ',
    ])
      expect([text, recast(text)]).toEqual([text, undefined])
  })

  it("escapes a 3 MiB string's non-ASCII units a piece at a time", () => {
    const big = `${'é "lamps"\t\ud83d\ude00 '.repeat(300_000)}x`
    const doc = { id: "s1", messages: [{ role: "user", content: big, cost: new PyFloat(0) }] }
    expect(recast(PyJson.compact(doc))).toBe(PyJson.dumps(doc))
  })
})
