/**
 * `PyJson.dumps` writes strings as Python's `json.dumps` (`ensure_ascii`) does: checked against a
 * direct transcription of CPython's `py_encode_basestring_ascii` over arbitrary strings (every
 * UTF-16 unit, lone surrogates and astral pairs included), and on a 50 MB string.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { PyJson } from "../../src/index.ts"

/** CPython's json.encoder.py_encode_basestring_ascii, unit by unit (a JS string is UTF-16). */
const pythonAscii = (s: string): string => {
  const short: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" }
  let out = ""
  for (const c of s) {
    for (let k = 0; k < c.length; k++) {
      const u = c[k] as string
      const code = u.charCodeAt(0)
      out += short[u] ?? (code < 0x20 || code > 0x7e ? `\\u${code.toString(16).padStart(4, "0")}` : u)
    }
  }
  return `"${out}"`
}

describe("PyJson.dumps strings", () => {
  it("are escaped as Python's ensure_ascii escapes them", () => {
    const anyUnits = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }))
    fc.assert(
      fc.property(anyUnits, (s) => {
        expect(PyJson.dumps(s)).toBe(pythonAscii(s))
        expect(PyJson.dumps({ [s]: [s] })).toBe(`{${pythonAscii(s)}: [${pythonAscii(s)}]}`)
      }),
      { numRuns: 2000 },
    )
    for (const s of ["\u007f", "\ud83d\ude00", "\ud800", "\udfff", "é\u0000\u001f", "a/b"]) expect(PyJson.dumps(s)).toBe(pythonAscii(s))
  })

  it("of 1 MiB and more (escaped natively) are escaped as Python's ensure_ascii escapes them", () => {
    const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 })
    fc.assert(
      fc.property(anyUnits, (sample) => {
        const s = sample.repeat(Math.ceil((1 << 20) / sample.length))
        expect(PyJson.dumps(s)).toBe(pythonAscii(s))
      }),
      { numRuns: 10 },
    )
  })

  it("of 50 MB are written whole", () => {
    const unit = 'Order #W2378156: "two lamps", one\tdesk; é\n'
    const big = unit.repeat(Math.ceil(50_000_000 / unit.length))
    const out = PyJson.dumps(big)
    expect(out.length).toBe(pythonAscii(unit).length * (big.length / unit.length) - 2 * (big.length / unit.length - 1))
    expect(out.slice(0, pythonAscii(unit).length - 1)).toBe(pythonAscii(unit).slice(0, -1))
  })
})
