/**
 * CPython's arithmetic on the values an arithmetic `eval` can produce: exact big `int`s, `float`s
 * (IEEE doubles with CPython's own division, floor division and power rules), `complex` (from a
 * negative number raised to a fractional power), the empty tuple `()` and `...` (Ellipsis).
 * Errors carry CPython's messages, because the `calculate` tool shows them to the model.
 */
import { floatRepr } from "@tau-sim/engine"

export type PyNumeric =
  | { readonly type: "int"; readonly value: bigint }
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "complex"; readonly re: number; readonly im: number }
  | { readonly type: "tuple" }
  | { readonly type: "ellipsis" }

/** A Python exception; `message` is `str(e)`. */
export class PyException extends Error {
  readonly pyType: string
  constructor(pyType: string, message: string) {
    super(message)
    this.name = pyType
    this.pyType = pyType
  }
}

const typeError = (message: string) => new PyException("TypeError", message)
const zeroDivision = (message: string) => new PyException("ZeroDivisionError", message)
const overflow = (message: string) => new PyException("OverflowError", message)
/** `PyErr_SetFromErrno(OverflowError)` with ERANGE. */
const RANGE_ERROR = "(34, 'Numerical result out of range')"
const INT_TOO_LARGE = "int too large to convert to float"

/**
 * Ints are exact in Python however large; we stop at this many bits (CPython would keep
 * computing for minutes) and report what converting such a number to float would raise.
 */
const MAX_INT_BITS = 1 << 25

export const int = (value: bigint): PyNumeric => ({ type: "int", value })
export const flt = (value: number): PyNumeric => ({ type: "float", value })

const INT_MAX_STR_DIGITS = 4300

/** Python `str(x)` (used in call error messages). */
export const pyStrOf = (x: PyNumeric): string => {
  switch (x.type) {
    case "int": {
      const text = x.value.toString()
      if (text.replace("-", "").length > INT_MAX_STR_DIGITS) {
        throw new PyException(
          "ValueError",
          `Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit`,
        )
      }
      return text
    }
    case "float":
      return floatRepr(x.value)
    case "complex": {
      const part = (v: number) => floatRepr(v).replace(/\.0$/, "")
      if (x.re === 0 && !Object.is(x.re, -0)) return `${part(x.im)}j`
      const im = part(x.im)
      const sign = im.startsWith("-") || Number.isNaN(x.im) ? "" : "+"
      return `(${part(x.re)}${sign}${im}j)`
    }
    case "tuple":
      return "()"
    case "ellipsis":
      return "Ellipsis"
  }
}

export const pyTypeName = (x: PyNumeric): string => x.type

const bitLength = (n: bigint): number => (n === 0n ? 0 : (n < 0n ? -n : n).toString(2).length)
const guardSize = (bits: number): void => {
  if (bits > MAX_INT_BITS) throw overflow(INT_TOO_LARGE)
}

/** `PyLong_AsDouble`: correctly rounded, OverflowError beyond the float range. */
export const intToFloat = (n: bigint): number => {
  const x = Number(n)
  if (!Number.isFinite(x)) throw overflow(INT_TOO_LARGE)
  return x
}

/** `float(x)` of a value. */
export const toFloat = (x: PyNumeric): number => {
  if (x.type === "int") return intToFloat(x.value)
  if (x.type === "float") return x.value
  throw typeError(`float() argument must be a string or a real number, not '${x.type}'`)
}

const TWO_53 = 2n ** 53n

/** int / int: the correctly rounded quotient (CPython's `long_true_divide`). */
const intTrueDivide = (a: bigint, b: bigint): number => {
  if (b === 0n) throw zeroDivision("division by zero")
  const negative = a < 0n !== b < 0n
  const absA = a < 0n ? -a : a
  const absB = b < 0n ? -b : b
  if (absA <= TWO_53 && absB <= TWO_53) return Number(a) / Number(b) // both exact: IEEE division rounds correctly
  if (absA === 0n) return negative ? -0 : 0
  // Scale so that the integer quotient has at least 55 significant bits, keeping a sticky bit.
  const shift = 55 - (bitLength(absA) - bitLength(absB))
  const num = shift > 0 ? absA << BigInt(shift) : absA
  const den = shift < 0 ? absB << BigInt(-shift) : absB
  const q = num / den
  const sticky = num % den !== 0n
  const qBits = bitLength(q)
  const exponent = qBits - 1 - shift // value is in [2^exponent, 2^(exponent+1))
  if (exponent > 1023) throw overflow("integer division result too large for a float")
  const precision = exponent >= -1022 ? 53 : Math.max(0, 53 - (-1022 - exponent))
  const drop = qBits - precision
  let mantissa = q >> BigInt(drop)
  const rest = q & ((1n << BigInt(drop)) - 1n)
  const half = 1n << BigInt(drop - 1)
  if (rest > half || (rest === half && (sticky || (mantissa & 1n) === 1n))) mantissa += 1n
  const scale = drop - shift
  // Two steps so that the intermediate power of two never under- or overflows on its own.
  const result = Number(mantissa) * 2 ** Math.trunc(scale / 2) * 2 ** (scale - Math.trunc(scale / 2))
  if (!Number.isFinite(result)) throw overflow("integer division result too large for a float")
  return negative ? -result : result
}

const floorDivInt = (a: bigint, b: bigint): bigint => {
  if (b === 0n) throw zeroDivision("integer division or modulo by zero")
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

/** CPython's `_float_div_mod` floor quotient. */
const floorDivFloat = (vx: number, wx: number): number => {
  if (wx === 0) throw zeroDivision("float floor division by zero")
  let mod = vx % wx // C fmod
  let div = (vx - mod) / wx
  if (mod) {
    if (wx < 0 !== mod < 0) {
      mod += wx
      div -= 1.0
    }
  }
  if (div) {
    let floordiv = Math.floor(div)
    if (div - floordiv > 0.5) floordiv += 1.0
    return floordiv
  }
  return Math.sign(vx / wx) < 0 || Object.is(vx / wx, -0) ? -0 : 0
}

const isOddInteger = (x: number): boolean => Math.abs(x) % 2 === 1

/** CPython's `float_pow`. */
const floatPow = (iv: number, iw: number): PyNumeric => {
  if (iw === 0) return flt(1.0)
  if (Number.isNaN(iv)) return flt(iv)
  if (Number.isNaN(iw)) return flt(iv === 1.0 ? 1.0 : iw)
  if (!Number.isFinite(iw)) {
    const av = Math.abs(iv)
    if (av === 1.0) return flt(1.0)
    if (iw > 0.0 === av > 1.0) return flt(Math.abs(iw))
    return flt(0.0)
  }
  if (!Number.isFinite(iv)) {
    const odd = isOddInteger(iw)
    if (iw > 0.0) return flt(odd ? iv : Math.abs(iv))
    return flt(odd ? (iv < 0 ? -0 : 0) : 0.0)
  }
  if (iv === 0.0) {
    if (iw < 0.0) throw zeroDivision("0.0 cannot be raised to a negative power")
    return flt(isOddInteger(iw) ? iv : 0.0)
  }
  let negate = false
  if (iv < 0.0) {
    if (iw !== Math.floor(iw)) return complexPow({ re: iv, im: 0 }, { re: iw, im: 0 })
    iv = -iv
    negate = isOddInteger(iw)
  }
  if (iv === 1.0) return flt(negate ? -1.0 : 1.0)
  const ix = iv ** iw
  if (!Number.isFinite(ix)) throw overflow(RANGE_ERROR)
  return flt(negate ? -ix : ix)
}

interface Complex {
  readonly re: number
  readonly im: number
}
const cx = (c: Complex): PyNumeric => ({ type: "complex", re: c.re, im: c.im })
const cProd = (a: Complex, b: Complex): Complex => ({ re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re })

/** CPython's `_Py_c_quot`; `null` for a zero divisor (errno EDOM). */
const cQuot = (a: Complex, b: Complex): Complex | null => {
  const absBr = Math.abs(b.re)
  const absBi = Math.abs(b.im)
  if (absBr >= absBi) {
    if (absBr === 0.0) return null
    const ratio = b.im / b.re
    const denom = b.re + b.im * ratio
    return { re: (a.re + a.im * ratio) / denom, im: (a.im - a.re * ratio) / denom }
  }
  if (absBi >= absBr) {
    const ratio = b.re / b.im
    const denom = b.re * ratio + b.im
    return { re: (a.re * ratio + a.im) / denom, im: (a.im * ratio - a.re) / denom }
  }
  return { re: Number.NaN, im: Number.NaN }
}

/** CPython's `complex_pow` (small integer exponents by repeated squaring, else polar form). */
const complexPow = (a: Complex, b: Complex): PyNumeric => {
  let p: Complex | null
  if (b.im === 0.0 && b.re === Math.floor(b.re) && Math.abs(b.re) <= 100.0) {
    const powu = (x: Complex, n: number): Complex => {
      let r: Complex = { re: 1, im: 0 }
      let q = x
      for (let mask = 1; mask > 0 && n >= mask; mask *= 2) {
        if (Math.floor(n / mask) % 2 === 1) r = cProd(r, q)
        q = cProd(q, q)
      }
      return r
    }
    const n = Math.trunc(b.re)
    p = n > 0 ? powu(a, n) : cQuot({ re: 1, im: 0 }, powu(a, -n))
  } else if (b.re === 0 && b.im === 0) {
    p = { re: 1, im: 0 }
  } else if (a.re === 0 && a.im === 0) {
    p = b.im !== 0 || b.re < 0 ? null : { re: 0, im: 0 }
  } else {
    const vabs = Math.hypot(a.re, a.im)
    let len = vabs ** b.re
    const at = Math.atan2(a.im, a.re)
    let phase = at * b.re
    if (b.im !== 0.0) {
      len /= Math.exp(at * b.im)
      phase += b.im * Math.log(vabs)
    }
    p = { re: len * Math.cos(phase), im: len * Math.sin(phase) }
  }
  if (p === null) throw zeroDivision("0.0 to a negative or complex power")
  if (!Number.isFinite(p.re) && !Number.isNaN(p.re)) throw overflow("complex exponentiation")
  if (!Number.isFinite(p.im) && !Number.isNaN(p.im)) throw overflow("complex exponentiation")
  return cx(p)
}

export type ArithmeticOp = "+" | "-" | "*" | "/" | "//" | "**"

const isNumber = (x: PyNumeric): x is Extract<PyNumeric, { type: "int" | "float" | "complex" }> =>
  x.type === "int" || x.type === "float" || x.type === "complex"

const unsupported = (op: ArithmeticOp, a: PyNumeric, b: PyNumeric) =>
  typeError(`unsupported operand type(s) for ${op === "**" ? "** or pow()" : op}: '${a.type}' and '${b.type}'`)

const intOp = (op: ArithmeticOp, a: bigint, b: bigint): PyNumeric => {
  switch (op) {
    case "+":
      return int(a + b)
    case "-":
      return int(a - b)
    case "*":
      guardSize(bitLength(a) + bitLength(b))
      return int(a * b)
    case "/":
      return flt(intTrueDivide(a, b))
    case "//":
      return int(floorDivInt(a, b))
    case "**": {
      if (b < 0n) return floatPow(intToFloat(a), intToFloat(b))
      if (a === 0n || a === 1n) return int(b === 0n ? 1n : a)
      if (a === -1n) return int(b % 2n === 0n ? 1n : -1n)
      guardSize(Number(b) * (bitLength(a) - 1) + 1)
      return int(a ** b)
    }
  }
}

const floatOp = (op: ArithmeticOp, a: number, b: number): PyNumeric => {
  switch (op) {
    case "+":
      return flt(a + b)
    case "-":
      return flt(a - b)
    case "*":
      return flt(a * b)
    case "/":
      if (b === 0) throw zeroDivision("float division by zero")
      return flt(a / b)
    case "//":
      return flt(floorDivFloat(a, b))
    case "**":
      return floatPow(a, b)
  }
}

const complexOp = (op: ArithmeticOp, a: Complex, b: Complex): PyNumeric => {
  switch (op) {
    case "+":
      return cx({ re: a.re + b.re, im: a.im + b.im })
    case "-":
      return cx({ re: a.re - b.re, im: a.im - b.im })
    case "*":
      return cx(cProd(a, b))
    case "/": {
      const q = cQuot(a, b)
      if (q === null) throw zeroDivision("complex division by zero")
      return cx(q)
    }
    case "//":
      throw new Error("unreachable: complex floor division is rejected before conversion")
    case "**":
      return complexPow(a, b)
  }
}

const toComplex = (x: PyNumeric): Complex => (x.type === "complex" ? x : { re: toFloat(x), im: 0 })

/** Python's binary operator protocol for `a <op> b`. */
export const binaryOp = (op: ArithmeticOp, a: PyNumeric, b: PyNumeric): PyNumeric => {
  if (isNumber(a) && isNumber(b)) {
    if (a.type === "int" && b.type === "int") return intOp(op, a.value, b.value)
    if (a.type === "complex" || b.type === "complex") {
      if (op === "//") throw unsupported(op, a, b)
      return complexOp(op, toComplex(a), toComplex(b))
    }
    return floatOp(op, toFloat(a), toFloat(b))
  }
  if (op === "+" && a.type === "tuple") {
    if (b.type === "tuple") return a
    throw typeError(`can only concatenate tuple (not "${b.type}") to tuple`)
  }
  if (op === "*" && (a.type === "tuple" || b.type === "tuple")) {
    const count = a.type === "tuple" ? b : a
    if (count.type !== "int") throw typeError(`can't multiply sequence by non-int of type '${count.type}'`)
    if (count.value >= 2n ** 63n || count.value < -(2n ** 63n)) {
      throw overflow(`cannot fit 'int' into an index-sized integer`)
    }
    return { type: "tuple" }
  }
  throw unsupported(op, a, b)
}

export const unaryOp = (op: "+" | "-", x: PyNumeric): PyNumeric => {
  switch (x.type) {
    case "int":
      return op === "-" ? int(-x.value) : x
    case "float":
      return op === "-" ? flt(-x.value) : x
    case "complex":
      return op === "-" ? cx({ re: -x.re, im: -x.im }) : x
    default:
      throw typeError(`bad operand type for unary ${op}: '${x.type}'`)
  }
}

/** Calling a value (`2(3)`): nothing here is callable; argument unpacking is checked first. */
export const callValue = (callee: PyNumeric, arg: { kind: "positional" | "star" | "double-star"; value: PyNumeric } | null): never => {
  if (arg?.kind === "star" && arg.value.type !== "tuple") {
    throw typeError(`${pyStrOf(callee)} argument after * must be an iterable, not ${arg.value.type}`)
  }
  if (arg?.kind === "double-star") {
    throw typeError(`${pyStrOf(callee)} argument after ** must be a mapping, not ${arg.value.type}`)
  }
  throw typeError(`'${callee.type}' object is not callable`)
}
