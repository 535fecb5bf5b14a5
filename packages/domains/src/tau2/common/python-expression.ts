/**
 * Parsing `eval(expression)` the way CPython 3.11 does, for the only inputs the reference's
 * `calculate` tool lets through: the characters `0123456789+-*\/(). ` (semantics §4.2).
 *
 * The tool's output on bad input is CPython's SyntaxError text, which depends on how CPython's
 * PEG parser works: a first pass with the plain grammar, a second pass with the `invalid_*` rules
 * (which raise the specific messages), tokenizer errors that win over parser errors, and an
 * unclosed `(` that is only reported if the parser actually asks for the token after the last
 * one. So this is a small PEG parser that follows CPython's grammar (Grammar/python.gram) for
 * the reachable rules, in the same order, examining tokens at the same points.
 */

/** A Python `SyntaxError` as `str(e)` shows it. */
export class PySyntaxError extends Error {
  constructor(message: string, line = 1) {
    super(`${message} (<string>, line ${line})`)
    this.name = "SyntaxError"
  }
}

export interface Token {
  readonly kind: "number" | "op" | "ellipsis"
  readonly text: string
  /** Parenthesis depth after this token (CPython's `token->level`). */
  readonly level: number
}

export type Expr =
  | { readonly type: "int"; readonly value: bigint }
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "ellipsis" }
  | { readonly type: "tuple" }
  | { readonly type: "unary"; readonly op: "+" | "-"; readonly operand: Expr }
  | { readonly type: "binary"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly type: "call"; readonly callee: Expr; readonly arg: CallArg | null }

export type BinaryOp = "+" | "-" | "*" | "/" | "//" | "**"
export interface CallArg {
  readonly kind: "positional" | "star" | "double-star"
  readonly value: Expr
}

const MAX_PAREN_LEVEL = 200 // CPython's tokenizer MAXLEVEL
const MAX_INT_LITERAL_DIGITS = 4300 // sys.get_int_max_str_digits() default

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9"

interface Lexed {
  readonly tokens: ReadonlyArray<Token>
  /** Parenthesis depth at the end of the input. */
  readonly level: number
  /** The first error the tokenizer raises, if any; CPython reports it whatever the parser did. */
  readonly error?: string
}

/** CPython's tokenizer (`tok_get`) restricted to the allowed characters. */
const lex = (src: string): Lexed => {
  const tokens: Token[] = []
  let level = 0
  let i = 0
  const digits = () => {
    while (isDigit(src[i])) i++
  }
  while (i < src.length) {
    const c = src[i]
    const start = i
    if (c === " ") {
      i++
      continue
    }
    if (isDigit(c)) {
      if (c === "0") {
        while (src[i] === "0") i++
        const nonzero = isDigit(src[i])
        digits()
        if (src[i] === ".") {
          i++
          digits()
        } else if (nonzero) {
          return {
            tokens,
            level,
            error: "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
          }
        }
      } else {
        digits()
        if (src[i] === ".") {
          i++
          digits()
        }
      }
      tokens.push({ kind: "number", text: src.slice(start, i), level })
      continue
    }
    if (c === ".") {
      if (isDigit(src[i + 1])) {
        i++
        digits()
        tokens.push({ kind: "number", text: src.slice(start, i), level })
      } else if (src[i + 1] === "." && src[i + 2] === ".") {
        i += 3
        tokens.push({ kind: "ellipsis", text: "...", level })
      } else {
        i++
        tokens.push({ kind: "op", text: ".", level })
      }
      continue
    }
    if (c === "(") {
      if (level >= MAX_PAREN_LEVEL) return { tokens, level, error: "too many nested parentheses" }
      level++
      i++
      tokens.push({ kind: "op", text: "(", level })
      continue
    }
    if (c === ")") {
      if (level === 0) return { tokens, level, error: "unmatched ')'" }
      level--
      i++
      tokens.push({ kind: "op", text: ")", level })
      continue
    }
    if ((c === "*" || c === "/") && src[i + 1] === c) {
      i += 2
      tokens.push({ kind: "op", text: c + c, level })
      continue
    }
    if (c === "*" || c === "/" || c === "+" || c === "-") {
      i++
      tokens.push({ kind: "op", text: c, level })
      continue
    }
    throw new Error(`unexpected character ${JSON.stringify(c)} in arithmetic expression`)
  }
  return { tokens, level }
}

/** The end of input is NEWLINE then ENDMARKER (or an error inside open parentheses). */
type Look = Token | { readonly kind: "newline" | "endmarker"; readonly text: ""; readonly level: 0 }
const NEWLINE: Look = { kind: "newline", text: "", level: 0 }
const ENDMARKER: Look = { kind: "endmarker", text: "", level: 0 }

class Parser {
  pos = 0
  /** CPython's `call_invalid_rules`: the second, error-reporting pass. */
  invalidRules: boolean
  readonly #lexed: Lexed
  readonly #memo = new Map<string, { readonly node: Expr | null; readonly end: number }>()

  constructor(lexed: Lexed, errorPass: boolean) {
    this.#lexed = lexed
    this.invalidRules = errorPass
  }

  /** Examining a token; at the end of input inside parentheses CPython's tokenizer raises. */
  look(i = this.pos): Look {
    const tokens = this.#lexed.tokens
    if (i < tokens.length) return tokens[i]
    if (this.#lexed.level > 0) throw new PySyntaxError("'(' was never closed")
    return i === tokens.length ? NEWLINE : ENDMARKER
  }
  isOp(text: string): boolean {
    const t = this.look()
    return t.kind === "op" && t.text === text
  }
  eat(text: string): boolean {
    if (!this.isOp(text)) return false
    this.pos++
    return true
  }
  /** Checks for a keyword or name token; there are none, but CPython still examines the token. */
  noName(): false {
    this.look()
    return false
  }

  memo(rule: string, parse: () => Expr | null): Expr | null {
    const key = `${rule}@${this.pos}`
    const hit = this.#memo.get(key)
    if (hit) {
      this.pos = hit.end
      return hit.node
    }
    const start = this.pos
    const node = parse()
    if (node === null) this.pos = start
    this.#memo.set(key, { node, end: this.pos })
    return node
  }

  /** eval: expressions NEWLINE* ENDMARKER */
  evalInput(): Expr | null {
    const e = this.expressions()
    if (e === null) return null
    while (this.look().kind === "newline") this.pos++
    return this.look().kind === "endmarker" ? e : null
  }

  /** expressions: expression (',' expression)+ [','] | expression ',' | expression */
  expressions(): Expr | null {
    const e = this.expression()
    if (e !== null) this.isOp(",")
    return e
  }

  /** expression (memo): invalid_expression | invalid_legacy_expression | disjunction 'if' ... | disjunction | lambdef */
  expression(): Expr | null {
    return this.memo("expression", () => {
      const start = this.pos
      if (this.invalidRules) {
        this.invalidExpression()
        this.pos = start
        this.noName() // invalid_legacy_expression: NAME ...
      }
      const d = this.disjunction()
      if (d !== null) {
        this.noName() // 'if'
        return d
      }
      this.noName() // lambdef: 'lambda'
      return null
    })
  }

  /** invalid_expression: a=disjunction b=expression_without_invalid, raised inside parentheses. */
  invalidExpression(): void {
    this.noName() // !(NAME STRING | SOFT_KEYWORD)
    const a = this.disjunction()
    if (a === null) return
    const afterA = this.pos
    if (this.expressionWithoutInvalid() !== null) {
      if (this.#lexed.tokens[this.pos - 1].level !== 0) {
        throw new PySyntaxError("invalid syntax. Perhaps you forgot a comma?")
      }
    }
    this.pos = afterA
    this.noName() // second alternative: disjunction 'if'
  }

  expressionWithoutInvalid(): Expr | null {
    const saved = this.invalidRules
    this.invalidRules = false
    try {
      const d = this.disjunction()
      if (d !== null) {
        this.noName() // 'if'
        return d
      }
      this.noName() // lambdef
      return null
    } finally {
      this.invalidRules = saved
    }
  }

  /** disjunction/conjunction/inversion/comparison/bitwise_*: no such operators can occur. */
  disjunction(): Expr | null {
    return this.memo("disjunction", () => {
      const e = this.sum()
      if (e !== null)
        this.look() // 'or', 'and', comparison and bitwise operators
      else this.noName() // 'not'
      return e
    })
  }

  /** sum: sum '+' term | sum '-' term | term (left-recursive, grown like CPython's seed loop) */
  sum(): Expr | null {
    let left = this.term()
    if (left === null) return null
    for (;;) {
      const mark = this.pos
      const op = this.isOp("+") ? "+" : this.isOp("-") ? "-" : null
      if (op === null) return left
      this.pos++
      const right = this.term()
      if (right === null) {
        this.pos = mark
        return left
      }
      left = { type: "binary", op, left, right }
    }
  }

  /** term: term ('*' | '/' | '//' | '%' | '@') factor | factor */
  term(): Expr | null {
    let left = this.factor()
    if (left === null) return null
    for (;;) {
      const mark = this.pos
      const t = this.look()
      const op = t.kind === "op" && (t.text === "*" || t.text === "/" || t.text === "//") ? t.text : null
      if (op === null) return left
      this.pos++
      const right = this.factor()
      if (right === null) {
        this.pos = mark
        return left
      }
      left = { type: "binary", op, left, right }
    }
  }

  /** factor (memo): '+' factor | '-' factor | '~' factor | power */
  factor(): Expr | null {
    return this.memo("factor", () => {
      const start = this.pos
      for (const op of ["+", "-"] as const) {
        if (this.eat(op)) {
          const operand = this.factor()
          if (operand !== null) return { type: "unary", op, operand }
          this.pos = start
        }
      }
      return this.power()
    })
  }

  /** power: await_primary '**' factor | await_primary */
  power(): Expr | null {
    const base = this.awaitPrimary()
    if (base === null) return null
    const mark = this.pos
    if (this.eat("**")) {
      const exponent = this.factor()
      if (exponent !== null) return { type: "binary", op: "**", left: base, right: exponent }
      this.pos = mark
    }
    return base
  }

  /** await_primary (memo): AWAIT primary | primary */
  awaitPrimary(): Expr | null {
    return this.memo("await_primary", () => {
      this.noName() // AWAIT
      return this.primary()
    })
  }

  /** primary: primary '.' NAME | primary genexp | primary '(' [arguments] ')' | primary '[' slices ']' | atom */
  primary(): Expr | null {
    let node = this.atom()
    if (node === null) return null
    for (;;) {
      const mark = this.pos
      if (this.eat(".")) {
        this.noName()
        this.pos = mark
      }
      if (this.isOp("(")) {
        this.genexp() // primary genexp
        this.pos = mark + 1
        const arg = this.arguments() // [arguments]
        if (this.eat(")")) {
          node = { type: "call", callee: node, arg }
          continue
        }
        this.pos = mark
      }
      this.look() // '['
      return node
    }
  }

  /** atom: ... | NUMBER | &'(' (tuple | group | genexp) | ... | '...' */
  atom(): Expr | null {
    const t = this.look()
    if (t.kind === "number") {
      this.pos++
      return this.number(t.text)
    }
    if (t.kind === "ellipsis") {
      this.pos++
      return { type: "ellipsis" }
    }
    if (t.kind === "op" && t.text === "(") {
      const start = this.pos
      const node = this.tuple() ?? this.retryFrom(start, () => this.group()) ?? this.retryFrom(start, () => this.genexp())
      if (node === null) this.pos = start
      return node
    }
    return null
  }

  reset(pos: number): null {
    this.pos = pos
    return null
  }

  /** The next alternative of an ordered choice: parse again from `pos`. */
  retryFrom<A>(pos: number, parse: () => A): A {
    this.pos = pos
    return parse()
  }

  number(text: string): Expr {
    if (/^\d+$/.test(text)) {
      const digits = text.replace(/^0+(?=\d)/, "").length
      if (digits > MAX_INT_LITERAL_DIGITS) {
        throw new PySyntaxError(
          `Exceeds the limit (${MAX_INT_LITERAL_DIGITS} digits) for integer string conversion: value has ${digits} digits; use sys.set_int_max_str_digits() to increase the limit - Consider hexadecimal for huge integer literals to avoid decimal conversion limits.`,
        )
      }
      return { type: "int", value: BigInt(text) }
    }
    return { type: "float", value: Number(text.startsWith(".") ? `0${text}` : text) }
  }

  /** tuple: '(' [star_named_expression ',' [star_named_expressions]] ')' */
  tuple(): Expr | null {
    const start = this.pos
    if (!this.eat("(")) return null
    const inner = this.pos
    if (this.starNamedExpression() !== null) this.look() // ',' (cannot occur)
    this.pos = inner
    if (this.eat(")")) return { type: "tuple" }
    return this.reset(start)
  }

  /** star_named_expression: '*' bitwise_or | named_expression */
  starNamedExpression(): Expr | null {
    const start = this.pos
    if (this.eat("*")) {
      const e = this.sum()
      if (e !== null) return e
      this.pos = start
    }
    return this.namedExpression()
  }

  /** named_expression: assignment_expression | invalid_named_expression | expression !':=' */
  namedExpression(): Expr | null {
    const start = this.pos
    this.noName() // assignment_expression: NAME ':='
    if (this.invalidRules) {
      this.invalidNamedExpression()
      this.pos = start
    }
    const e = this.expression()
    if (e !== null) this.look() // !':='
    return e
  }

  /** invalid_named_expression (memo): none of its alternatives can match, but they parse. */
  invalidNamedExpression(): void {
    this.memo("invalid_named_expression", () => {
      const start = this.pos
      // a=expression ':=' expression
      if (this.expression() !== null) this.look()
      this.pos = start
      // a=NAME '=' ...
      this.noName()
      // !(list|tuple|genexp|'True'|'None'|'False') a=bitwise_or b='=' ...
      const lookahead = this.isOp("[") || this.tuple() !== null || this.retryFrom(start, () => this.genexp()) !== null
      this.pos = start
      if (!lookahead) {
        this.noName()
        if (this.sum() !== null) this.look() // '='
      }
      this.pos = start
      return null
    })
  }

  /** group: '(' (yield_expr | named_expression) ')' | invalid_group */
  group(): Expr | null {
    const start = this.pos
    if (this.eat("(")) {
      this.noName() // yield_expr
      const e = this.namedExpression()
      if (e !== null && this.eat(")")) return e
    }
    this.pos = start
    if (this.invalidRules) this.invalidGroup()
    return this.reset(start)
  }

  /** invalid_group: '(' starred_expression ')' | '(' '**' expression ')' */
  invalidGroup(): void {
    const start = this.pos
    if (this.eat("(") && this.starredExpression() !== null && this.eat(")")) {
      throw new PySyntaxError("cannot use starred expression here")
    }
    this.pos = start
    if (this.eat("(") && this.eat("**") && this.expression() !== null && this.eat(")")) {
      throw new PySyntaxError("cannot use double starred expression here")
    }
    this.pos = start
  }

  /** starred_expression: '*' expression */
  starredExpression(): Expr | null {
    const start = this.pos
    if (!this.eat("*")) return null
    const e = this.expression()
    if (e === null) this.pos = start
    return e
  }

  /** genexp: '(' (assignment_expression | expression !':=') for_if_clauses ')' | invalid_comprehension */
  genexp(): null {
    const start = this.pos
    if (this.eat("(")) {
      this.noName() // assignment_expression
      if (this.expression() !== null) {
        this.look() // !':='
        this.forIfClauses()
      }
    }
    this.pos = start
    if (this.invalidRules) {
      // invalid_comprehension: ('[' | '(' | '{') starred_expression for_if_clauses | ...
      if (this.eat("(") && this.starredExpression() !== null) this.forIfClauses()
      this.pos = start
      this.look() // '[' | '{' of the other alternatives
    }
    return null
  }

  /** for_if_clauses: needs 'for' (or ASYNC); never matches. */
  forIfClauses(): null {
    this.noName()
    return null
  }

  /** arguments (memo): args [','] &')' | invalid_arguments; returns the single argument, if any. */
  arguments(): CallArg | null {
    const start = this.pos
    const key = `arguments@${start}`
    const found = this.#argMemo.get(key)
    if (found) {
      this.pos = found.end
      return found.arg
    }
    let arg = this.args()
    if (arg !== null) {
      this.isOp(",")
      if (!this.isOp(")")) arg = null
    }
    if (arg === null) {
      this.pos = start
      if (this.invalidRules) this.invalidArguments()
      this.pos = start
    }
    this.#argMemo.set(key, { arg, end: this.pos })
    return arg
  }
  readonly #argMemo = new Map<string, { readonly arg: CallArg | null; readonly end: number }>()

  /** args: ','.(starred_expression | (assignment_expression | expression !':=') !'=')+ [',' kwargs] | kwargs */
  args(): CallArg | null {
    const start = this.pos
    const item = this.argItem()
    if (item !== null) {
      this.isOp(",") // gather separator / [',' kwargs]
      return item
    }
    this.pos = start
    return this.kwargs()
  }

  argItem(): CallArg | null {
    const start = this.pos
    const starred = this.starredExpression()
    if (starred !== null) return { kind: "star", value: starred }
    this.pos = start
    this.noName() // assignment_expression
    const e = this.expression()
    if (e === null) return null
    this.look() // !':=' and !'='
    return { kind: "positional", value: e }
  }

  /** kwargs: the only possible forms here are a single `*x` or `**x`. */
  kwargs(): CallArg | null {
    const start = this.pos
    // ','.kwarg_or_starred+ ...
    const starred = this.kwargOrStarred()
    if (starred !== null) {
      this.isOp(",")
      return starred
    }
    this.pos = start
    // ','.kwarg_or_double_starred+
    const doubled = this.kwargOrDoubleStarred()
    if (doubled !== null) {
      this.isOp(",")
      return doubled
    }
    return this.reset(start)
  }

  /** kwarg_or_starred: invalid_kwarg | NAME '=' expression | starred_expression */
  kwargOrStarred(): CallArg | null {
    const start = this.pos
    if (this.invalidRules) this.invalidKwarg()
    this.pos = start
    this.noName()
    const e = this.starredExpression()
    return e === null ? null : { kind: "star", value: e }
  }

  /** kwarg_or_double_starred: invalid_kwarg | NAME '=' expression | '**' expression */
  kwargOrDoubleStarred(): CallArg | null {
    const start = this.pos
    if (this.invalidRules) this.invalidKwarg()
    this.pos = start
    this.noName()
    if (this.eat("**")) {
      const e = this.expression()
      if (e !== null) return { kind: "double-star", value: e }
    }
    return this.reset(start)
  }

  /** invalid_kwarg: ('True'|'False'|'None') '=' | NAME '=' ... | !(NAME '=') expression '=' */
  invalidKwarg(): void {
    const start = this.pos
    this.noName()
    if (this.expression() !== null) this.look() // '='
    this.pos = start
  }

  /** invalid_arguments: every alternative needs ',' 'for' or a NAME; they still parse `args`/`expression`. */
  invalidArguments(): void {
    const start = this.pos
    if (this.args() !== null) this.look() // ','
    this.pos = start
    if (this.expression() !== null) this.forIfClauses()
    this.pos = start
    this.noName()
    if (this.args() !== null) this.forIfClauses()
    this.pos = start
  }
}

/**
 * Parses an arithmetic expression like CPython's `eval` (3.11), throwing `PySyntaxError` with
 * CPython's message for invalid input.
 */
export const parsePythonExpression = (source: string): Expr => {
  const lexed = lex(source)
  if (lexed.error !== undefined) throw new PySyntaxError(lexed.error)
  const first = new Parser(lexed, false)
  const tree = first.evalInput()
  if (tree !== null) return tree
  new Parser(lexed, true).evalInput()
  // Nothing specific was raised: the generic message, on line 0 when there was no token at all.
  throw new PySyntaxError("invalid syntax", lexed.tokens.length === 0 ? 0 : 1)
}
