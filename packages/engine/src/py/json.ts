/**
 * JSON text <-> PyValue, keeping Python's int/float distinction.
 *
 * `parse` follows Python's `json.loads`: a number with a fraction or exponent is a float, anything
 * else an int. `dumps` follows Python's `json.dumps` defaults (`", "` / `": "` separators, non-ASCII
 * escaped as \uXXXX, floats in repr form), which is what tool outputs look like in the reference.
 * `compact` is our storage form: no spaces, UTF-8 kept, floats still written with a `.0`.
 */
import { floatRepr, PyFloat, type PyObject, type PyValue } from "./value.ts"

export class JsonSyntaxError extends Error {
  readonly position: number
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`)
    this.name = "JsonSyntaxError"
    this.position = position
  }
}

/**
 * Python's `json.loads`. Most texts take the native path (JSON.parse, then floats boxed), about
 * six times faster on the τ² databases; texts it cannot read exactly (NaN and Infinity, invalid
 * JSON, for its error) take the exact parser below. Both give the same values (a property test).
 */
export const parse = (text: string): PyValue => parseNative(text) ?? parseExact(text)

/** Marks an integral float as a string JSON.parse keeps; no string of the text can start with it (checked). */
const FLOAT_MARK = "\u0000"

/**
 * Where the text has floats whose value is an integer (`2.0`, `1e5`), outside strings: JSON.parse
 * alone would make them ints. Strings are skipped with indexOf, so this is one fast pass.
 */
const integralFloats = (text: string): Array<readonly [number, number]> => {
  const found: Array<readonly [number, number]> = []
  const n = text.length
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1)
      // A quote preceded by an odd number of backslashes is escaped.
      for (;;) {
        if (end < 0) return found
        let slashes = 0
        while (text.charCodeAt(end - 1 - slashes) === 92) slashes++
        if (slashes % 2 === 0) break
        end = text.indexOf('"', end + 1)
      }
      i = end + 1
    } else if ((c >= 48 && c <= 57) || c === 45 /* - */) {
      const start = i
      let fraction = false
      let integral = true
      let exponent = false
      i++
      for (; i < n; i++) {
        const d = text.charCodeAt(i)
        if (d >= 48 && d <= 57) {
          if (fraction && !exponent && d !== 48) integral = false
        } else if (d === 46 /* . */) fraction = true
        else if (d === 101 || d === 69 || d === 43 || d === 45) exponent = true
        else break
      }
      if (exponent ? Number.isInteger(Number(text.slice(start, i))) : fraction && integral) found.push([start, i])
    } else i++
  }
  return found
}

const parseNative = (text: string): PyValue | undefined => {
  let source = text
  const floats = integralFloats(text)
  if (floats.length > 0) {
    // The mark must be unambiguous: a text that can produce a NUL in a string takes the exact path.
    if (text.includes("\\u0000")) return undefined
    const parts: Array<string> = []
    let at = 0
    // The mark goes in as its escape (JSON.parse refuses a raw control character in a string).
    for (const [start, end] of floats) {
      parts.push(text.slice(at, start), `"\\u0000${text.slice(start, end)}"`)
      at = end
    }
    parts.push(text.slice(at))
    source = parts.join("")
  }
  let raw: unknown
  try {
    raw = JSON.parse(source)
  } catch {
    return undefined
  }
  return boxFloats(raw, floats.length > 0)
}

/** JSON.parse's value as PyValues, in place: non-integers and marked integral floats become PyFloats. */
const boxFloats = (v: unknown, marked: boolean): PyValue => {
  if (typeof v === "number") return Number.isInteger(v) ? v : new PyFloat(v)
  if (typeof v === "string") return marked && v.startsWith(FLOAT_MARK) ? new PyFloat(Number(v.slice(1))) : v
  if (v === null || typeof v !== "object") return v as PyValue
  if (Array.isArray(v)) {
    for (let k = 0; k < v.length; k++) v[k] = boxFloats(v[k], marked)
    return v
  }
  const o = v as Record<string, unknown>
  for (const k in o) o[k] = boxFloats(o[k], marked)
  return o as PyObject
}

/** The exact parser, character by character: `parse` gives the same values, faster. */
export const parseExact = (text: string): PyValue => {
  let i = 0
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === 32 || c === 9 || c === 10 || c === 13) i++
      else break
    }
  }
  const fail = (what: string): never => {
    throw new JsonSyntaxError(what, i)
  }
  /** Consumes a keyword literal (`true`, `NaN`, …) already matched at `i`. */
  const keyword = (word: string, v: PyValue): PyValue => {
    i += word.length
    return v
  }
  const value = (): PyValue => {
    ws()
    const c = text[i]
    if (c === "{") {
      i++
      const out: Record<string, PyValue> = {}
      ws()
      if (text[i] === "}") {
        i++
        return out
      }
      for (;;) {
        ws()
        if (text[i] !== '"') fail("Expecting property name enclosed in double quotes")
        const key = str()
        ws()
        if (text[i] !== ":") fail("Expecting ':' delimiter")
        i++
        // An own property, as JSON.parse makes it (assigning `__proto__` would set the prototype).
        if (key === "__proto__") Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true })
        else out[key] = value()
        ws()
        if (text[i] === ",") {
          i++
          continue
        }
        if (text[i] === "}") {
          i++
          return out
        }
        fail("Expecting ',' delimiter")
      }
    }
    if (c === "[") {
      i++
      const out: PyValue[] = []
      ws()
      if (text[i] === "]") {
        i++
        return out
      }
      for (;;) {
        out.push(value())
        ws()
        if (text[i] === ",") {
          i++
          continue
        }
        if (text[i] === "]") {
          i++
          return out
        }
        fail("Expecting ',' delimiter")
      }
    }
    if (c === '"') return str()
    if (text.startsWith("true", i)) return keyword("true", true)
    if (text.startsWith("false", i)) return keyword("false", false)
    if (text.startsWith("null", i)) return keyword("null", null)
    if (text.startsWith("NaN", i)) return keyword("NaN", new PyFloat(Number.NaN))
    if (text.startsWith("Infinity", i)) return keyword("Infinity", new PyFloat(Infinity))
    if (text.startsWith("-Infinity", i)) return keyword("-Infinity", new PyFloat(-Infinity))
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (!m) return fail("Expecting value")
    i += m[0].length
    const n = Number(m[0])
    return m[1] !== undefined || m[2] !== undefined ? new PyFloat(n) : n
  }
  const str = (): string => {
    i++ // opening quote
    let out = ""
    let start = i
    for (;;) {
      if (i >= text.length) fail("Unterminated string starting")
      const c = text[i]
      if (c === '"') {
        out += text.slice(start, i)
        i++
        return out
      }
      if (c === "\\") {
        out += text.slice(start, i)
        const e = text[i + 1]
        const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }
        if (e in simple) {
          out += simple[e]
          i += 2
        } else if (e === "u") {
          const hex = text.slice(i + 2, i + 6)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("Invalid \\uXXXX escape")
          out += String.fromCharCode(Number.parseInt(hex, 16))
          i += 6
        } else fail("Invalid \\escape")
        start = i
        continue
      }
      if (text.charCodeAt(i) < 0x20) fail("Invalid control character")
      i++
    }
  }
  const result = value()
  ws()
  if (i !== text.length) fail("Extra data")
  return result
}

/** Parses JSON text produced by `JSON.parse`-compatible writers into plain JS (floats unboxed). */
export const parsePlain = (text: string): unknown => JSON.parse(text)

/** What `JSON.stringify` leaves unescaped and Python's `ensure_ascii` escapes: DEL and every non-ASCII unit. */
const NON_ASCII = /[\u007f-\uffff]/g
const escapeUnit = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
/** Strings from this length on are escaped natively (below it the loop: measured, natively escaped policy texts made an export of 6,855 telecom episodes take 2.3 GB instead of 1.5). */
const NATIVE_ESCAPE_FROM = 1 << 20

/**
 * A string as Python's `json.dumps` writes it (`ensure_ascii`). A long one natively:
 * `JSON.stringify` escapes quotes, backslashes and control characters exactly as Python does
 * (`\n`, `\u001f`, lone surrogates as `\udc00`) and leaves the rest raw, then each unit above `~`
 * becomes `\uXXXX` (a surrogate pair as its two halves, as Python writes an astral character);
 * character by character, a 50 MB message became a rope of 50 million nodes.
 */
const escapeAscii = (s: string): string => {
  if (s.length >= NATIVE_ESCAPE_FROM) return escapeAsciiNative(s)
  let out = '"'
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k)
    if (c === 0x22) out += '\\"'
    else if (c === 0x5c) out += "\\\\"
    else if (c === 0x0a) out += "\\n"
    else if (c === 0x0d) out += "\\r"
    else if (c === 0x09) out += "\\t"
    else if (c === 0x08) out += "\\b"
    else if (c === 0x0c) out += "\\f"
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, "0")}`
    else out += s[k]
  }
  return `${out}"`
}

/** JSON text with every unit from DEL up written as `\uXXXX`, as `dumps` writes it. */
const asciiOnly = (json: string): string => {
  NON_ASCII.lastIndex = 0
  return NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeUnit) : json
}

const escapeAsciiNative = (s: string): string => asciiOnly(JSON.stringify(s))

const floatJson = (x: number): string => (Number.isNaN(x) ? "NaN" : x === Infinity ? "Infinity" : x === -Infinity ? "-Infinity" : floatRepr(x))

const write = (v: PyValue, itemSep: string, keySep: string, quote: (s: string) => string): string => {
  if (v === null) return "null"
  if (v === true) return "true"
  if (v === false) return "false"
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : floatRepr(v)
  if (typeof v === "string") return quote(v)
  if (v instanceof PyFloat) return floatJson(v.value)
  if (Array.isArray(v)) return `[${v.map((x) => write(x, itemSep, keySep, quote)).join(itemSep)}]`
  const parts: string[] = []
  for (const [k, x] of Object.entries(v as PyObject)) {
    if (x === undefined) continue
    parts.push(`${quote(k)}${keySep}${write(x, itemSep, keySep, quote)}`)
  }
  return `{${parts.join(itemSep)}}`
}

/** Python `json.dumps(v)` with default arguments. */
export const dumps = (v: PyValue): string => write(v, ", ", ": ", escapeAscii)

/** Streamed text is handed on in pieces of about this length (small parts gathered, long strings cut). */
const PIECE = 1 << 20

/** Small parts gathered into pieces of about `PIECE` for `emit`; `flush` hands on the rest. */
const gathered = (emit: (piece: string) => void) => {
  let buffer = ""
  return {
    put: (text: string) => {
      buffer += text
      if (buffer.length >= PIECE) {
        emit(buffer)
        buffer = ""
      }
    },
    flush: () => {
      if (buffer.length > 0) emit(buffer)
      buffer = ""
    },
  }
}

/**
 * `write`'s text handed to `emit` in pieces, in order (their concatenation is the text), so a
 * writer to a file never holds the whole text nor a whole copy of a big string: small parts are
 * gathered up to `PIECE`, and a string that long is escaped a piece at a time with `quotePiece`
 * (native), never cut inside a surrogate pair (a pair escaped in two halves would differ for
 * JSON.stringify). Both escapers escape unit by unit otherwise, so the pieces join to the whole.
 */
const writeTo = (
  root: PyValue,
  itemSep: string,
  keySep: string,
  quote: (s: string) => string,
  quotePiece: (s: string) => string,
  emit: (piece: string) => void,
): void => {
  const { put, flush } = gathered(emit)
  const str = (s: string) => {
    if (s.length < PIECE) return put(quote(s))
    put('"')
    for (let at = 0; at < s.length; ) {
      let end = Math.min(s.length, at + PIECE)
      // Only a whole pair is kept together: a lone high surrogate before the cut is escaped alone either way.
      const last = s.charCodeAt(end - 1)
      const next = s.charCodeAt(end)
      if (end < s.length && last >= 0xd800 && last <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) end++
      put(quotePiece(s.slice(at, end)).slice(1, -1))
      at = end
    }
    put('"')
  }
  const value = (v: PyValue) => {
    if (typeof v === "string") return str(v)
    if (v === null || typeof v !== "object" || v instanceof PyFloat) return put(write(v, itemSep, keySep, quote))
    if (Array.isArray(v)) {
      put("[")
      for (let k = 0; k < v.length; k++) {
        if (k > 0) put(itemSep)
        value(v[k] as PyValue)
      }
      return put("]")
    }
    put("{")
    let first = true
    for (const [k, x] of Object.entries(v as PyObject)) {
      if (x === undefined) continue
      if (!first) put(itemSep)
      first = false
      str(k)
      put(keySep)
      value(x)
    }
    put("}")
  }
  value(root)
  flush()
}

/** `dumps(v)` handed to `emit` in pieces of about 1 MiB, in order: for writing big documents straight to a file. */
export const dumpsTo = (v: PyValue, emit: (piece: string) => void): void => writeTo(v, ", ", ": ", escapeAscii, escapeAsciiNative, emit)

/** `compact(v)` handed to `emit` in pieces, in order: for hashing a big value without its whole text. */
export const compactTo = (v: PyValue, emit: (piece: string) => void): void => writeTo(v, ",", ":", JSON.stringify, JSON.stringify, emit)

/**
 * An escape `escapeAscii` writes for the unit it stands for: the short ones, `\u00XX` for the other
 * control characters, and lower-case `\uXXXX` from DEL up. A compact text's string with only these
 * (its raw units from DEL up escaped) is what `dumps` writes for its value; `\/`, `\u0041` or
 * upper-case hex are not, and such a text is parsed instead.
 */
const FOREIGN_ESCAPE = /(?<!\\)(?:\\\\)*\\(?!["\\bfnrt]|u(?:00(?:0[0-7bef]|1[0-9a-f]|7f|[89a-f][0-9a-f])|0[1-9a-f][0-9a-f]{2}|[1-9a-f][0-9a-f]{3}))/
// Raw control characters: JSON has none in strings, compact none outside them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what it looks for
const CONTROL = /[\u0000-\u001f]/
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const LITERALS = ["true", "false", "null", "NaN", "Infinity", "-Infinity"] as const
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/

/** Where the string token opening at `open` closes (the index of its closing quote), or -1. */
const stringEnd = (text: string, open: number): number => {
  let end = text.indexOf('"', open + 1)
  for (;;) {
    if (end < 0) return -1
    let slashes = 0
    while (text.charCodeAt(end - 1 - slashes) === 92) slashes++
    if (slashes % 2 === 0) return end
    end = text.indexOf('"', end + 1)
  }
}

/**
 * Whether `text` is exactly what `compact` writes for the value `parse` reads from it (no spaces,
 * numbers as `compact` writes them, each key once, strings with only `dumps`'s escapes), without
 * building the value: then `dumpsOfCompactTo` gives `dumps(parse(text))`. For a text whose root is
 * an object, the top-level values' places (`[start, end)` by key) come back, so a caller can read a
 * few small fields without parsing the rest; undefined when the text is not in that form.
 */
export const scanCompact = (text: string): ReadonlyMap<string, readonly [number, number]> | undefined => {
  if (CONTROL.test(text) || FOREIGN_ESCAPE.test(text)) return undefined
  const top = new Map<string, readonly [number, number]>()
  let i = 0
  const value = (depth: number): boolean => {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      const end = stringEnd(text, i)
      if (end < 0) return false
      i = end + 1
      return true
    }
    if (c === 123 /* { */) {
      i++
      if (text.charCodeAt(i) === 125) {
        i++
        return true
      }
      const keys = new Set<string>()
      // A parsed object lists array-index keys first, ascending (so compact writes them so): another order is not compact's.
      let lastIndex = -1
      let named = false
      for (;;) {
        if (text.charCodeAt(i) !== 34) return false
        const end = stringEnd(text, i)
        if (end < 0) return false
        const key = JSON.parse(text.slice(i, end + 1)) as string
        if (keys.has(key)) return false
        keys.add(key)
        if (ARRAY_INDEX.test(key) && Number(key) < 2 ** 32 - 1) {
          if (named || Number(key) <= lastIndex) return false
          lastIndex = Number(key)
        } else named = true
        i = end + 1
        if (text.charCodeAt(i++) !== 58 /* : */) return false
        const start = i
        if (!value(depth + 1)) return false
        if (depth === 0) top.set(key, [start, i])
        const next = text.charCodeAt(i++)
        if (next === 125 /* } */) return true
        if (next !== 44 /* , */) return false
      }
    }
    if (c === 91 /* [ */) {
      i++
      if (text.charCodeAt(i) === 93) {
        i++
        return true
      }
      for (;;) {
        if (!value(depth + 1)) return false
        const next = text.charCodeAt(i++)
        if (next === 93 /* ] */) return true
        if (next !== 44) return false
      }
    }
    for (const word of LITERALS) {
      if (text.startsWith(word, i)) {
        i += word.length
        return true
      }
    }
    NUMBER.lastIndex = i
    const m = NUMBER.exec(text)
    if (m === null) return false
    const token = m[0]
    i += token.length
    const n = Number(token)
    // As parse reads it (a fraction or an exponent makes a float) and compact writes that back.
    return /[.eE]/.test(token) ? floatRepr(n) === token : String(n) === token
  }
  return value(0) && i === text.length ? top : undefined
}

/**
 * `dumps(parse(text))` handed to `emit` in pieces, for a text `scanCompact` accepted: separators
 * get their spaces, and each string's raw units from DEL up become `\uXXXX`; no value is built, so a
 * big string is never decoded nor escaped whole.
 */
export const dumpsOfCompactTo = (text: string, emit: (piece: string) => void): void => {
  const { put, flush } = gathered(emit)
  for (let i = 0; i < text.length; ) {
    const open = text.indexOf('"', i)
    const structure = text.slice(i, open < 0 ? text.length : open)
    if (structure.length > 0) put(structure.replace(/,/g, ", ").replace(/:/g, ": "))
    if (open < 0) break
    const close = stringEnd(text, open)
    for (let at = open; at <= close; at += PIECE) {
      put(asciiOnly(text.slice(at, Math.min(close + 1, at + PIECE))))
    }
    i = close + 1
  }
  flush()
}

/** Python `json.dumps(v, sort_keys=True)`. */
export const dumpsSorted = (v: PyValue): string => dumps(sortKeys(v))

/** Compact storage form, readable back by `parse` with the same int/float identity. */
export const compact = (v: PyValue): string => write(v, ",", ":", JSON.stringify)

/** Canonical JSON: compact with sorted keys, so two values equal up to key order have the same text. */
export const compactSorted = (v: PyValue): string => compact(sortKeys(v))

export const sortKeys = (v: PyValue): PyValue => {
  if (v === null || typeof v !== "object" || v instanceof PyFloat) return v
  if (Array.isArray(v)) return v.map(sortKeys)
  const out: Record<string, PyValue> = {}
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as PyObject)[k])
  return out
}

/**
 * `JSON.stringify(value, null, indent)` for output people and scripts read (`--json`, world diffs),
 * where values may hold PyFloats: those are written as the Python floats they are (`-16.63`,
 * `2.0`), never as the box they live in (`{"value":-16.63}`), and bigints as their digits. Everything else as JSON.stringify
 * does it (toJSON, undefined fields dropped, undefined in arrays as null, non-finite numbers as null).
 */
export const stringify = (value: unknown, indent = 0): string => render(value, indent > 0 ? " ".repeat(indent) : "", "") ?? "null"

const render = (v: unknown, step: string, at: string): string | undefined => {
  if (v instanceof PyFloat) return floatJson(v.value)
  if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") v = (v as { toJSON: () => unknown }).toJSON()
  if (v === null) return "null"
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return undefined
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null"
  if (typeof v === "boolean" || typeof v === "string") return JSON.stringify(v)
  // JSON.stringify throws on a bigint; output for people writes the integer it is.
  if (typeof v === "bigint") return String(v)
  const inner = at + step
  const open = step === "" ? "" : `\n${inner}`
  const close = step === "" ? "" : `\n${at}`
  const sep = step === "" ? "," : `,\n${inner}`
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]"
    return `[${open}${v.map((x) => render(x, step, inner) ?? "null").join(sep)}${close}]`
  }
  const parts: string[] = []
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const text = render(x, step, inner)
    if (text !== undefined) parts.push(`${JSON.stringify(k)}:${step === "" ? "" : " "}${text}`)
  }
  return parts.length === 0 ? "{}" : `{${open}${parts.join(sep)}${close}}`
}

/** Converts a PyValue to plain JSON-compatible JS (floats unboxed), e.g. for JSON schemas or display. */
export const toPlain = (v: PyValue): unknown => {
  if (v instanceof PyFloat) return v.value
  if (v === null || typeof v !== "object") return v
  if (Array.isArray(v)) return v.map(toPlain)
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v as PyObject)) out[k] = toPlain(x)
  return out
}

/** Converts plain JS (e.g. from `JSON.parse`) to PyValue: non-integers become floats. */
export const fromPlain = (v: unknown): PyValue => {
  if (typeof v === "number") return Number.isInteger(v) ? v : new PyFloat(v)
  if (v === null || typeof v !== "object") return v as PyValue
  if (v instanceof PyFloat) return v
  if (Array.isArray(v)) return v.map(fromPlain)
  const out: Record<string, PyValue> = {}
  for (const [k, x] of Object.entries(v)) out[k] = fromPlain(x)
  return out
}
