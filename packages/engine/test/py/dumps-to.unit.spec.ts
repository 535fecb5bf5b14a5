/**
 * `PyJson.dumpsTo` / `compactTo` hand the text of `dumps` / `compact` on in pieces: joined, the
 * pieces are that text exactly, for any value and for strings long enough to be cut (a cut never
 * falls inside a surrogate pair, which JSON.stringify would escape as two lone halves), and no
 * piece holds a whole big string.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { PyFloat, PyJson, type PyValue } from "../../src/index.ts"
import { pyValueArb } from "./py-value-arb.ts"

const pyValues = pyValueArb({ strings: fc.string({ unit: "binary" }) })

const pieces = (write: (v: PyValue, emit: (piece: string) => void) => void, v: PyValue): string[] => {
  const out: string[] = []
  write(v, (piece) => out.push(piece))
  return out
}

const MiB = 1 << 20

describe("PyJson.dumpsTo and compactTo", () => {
  it("join to dumps and compact of any value", () => {
    fc.assert(
      fc.property(pyValues, (v) => {
        expect(pieces(PyJson.dumpsTo, v).join("")).toBe(PyJson.dumps(v))
        expect(pieces(PyJson.compactTo, v).join("")).toBe(PyJson.compact(v))
      }),
      { numRuns: 1000 },
    )
  })

  it("cut long strings into pieces, never inside a surrogate pair, and join to the whole text", () => {
    // A pair straddles each cut at 1 MiB (an odd prefix puts the high half last), with escapes and non-ASCII about.
    for (const prefix of ["", "a", 'é"\n']) {
      const unit = '\ud83d\ude00 "two lamps"\tü\u0000\u007f\\'
      const big = prefix + unit.repeat(Math.ceil((3 * MiB) / unit.length))
      const doc: PyValue = { messages: [{ content: big, cost: new PyFloat(0) }, big.slice(1)], [big.slice(0, MiB + 3)]: null }
      const dumped = pieces(PyJson.dumpsTo, doc)
      expect(dumped.join("")).toBe(PyJson.dumps(doc))
      expect(Math.max(...dumped.map((p) => p.length))).toBeLessThan(PyJson.dumps(big).length / 2)
      expect(pieces(PyJson.compactTo, doc).join("")).toBe(PyJson.compact(doc))
    }
  })

  it("keep a lone surrogate at a cut alone, and a pair after it whole", () => {
    // Lone high or low halves before, at and after the cut, some followed by a pair (a review's case:
    // a lone high half last before the cut, then a pair, had its pair split and escaped by compactTo).
    for (const tail of ["\ud800\ud800\udc00", "\ud800\ud83d\ude00", "\udc00\ud800\udc00", "\ud800", "\ud800a", "\udc00\udc00"]) {
      for (const shift of [0, 1, 2, 3]) {
        const big = "a".repeat(MiB - shift) + tail + "b".repeat(10)
        expect(pieces(PyJson.compactTo, big).join("")).toBe(PyJson.compact(big))
        expect(pieces(PyJson.dumpsTo, big).join("")).toBe(PyJson.dumps(big))
      }
    }
  })
})
