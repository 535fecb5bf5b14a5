/**
 * A fast path for Schemas that only check, never transform (the event schemas: strings, numbers
 * with Int/Finite checks, literals, null-or, arrays, tagged structs, `Unknown`). For such a schema
 * encode and decode both return the input's known fields in schema order (unknown keys dropped),
 * yet Effect's interpreter costs more per event than `JSON.parse` of its body. This compiles the
 * schema's AST into a plain function that returns that output, or `undefined` whenever it is not
 * sure: invalid input, or a node it does not know. The caller then runs the real Schema, which
 * gives the error (or, were the fast path ever wrong to refuse, the result). So the fast path can
 * only refuse more than the Schema, never accept more; checks run the Schema's own filters.
 *
 * Most inputs already are that output (a body the store wrote, parsed; an event built with its
 * fields in schema order): each node also has an in-place check that says so without building
 * anything, and then the input itself is returned. The check holds only for plain objects and
 * arrays whose own enumerable keys are exactly the known fields, in schema order, every value
 * passing the same way; anything else takes the copying path.
 */
import type { Schema, SchemaAST } from "effect"

/** Returned by a compiled node that refuses its input. */
const NO: unique symbol = Symbol("refused")
type Node = (input: unknown) => unknown

type Check = SchemaAST.Check<unknown>

/** The parse options the Schema runs with by default (its filters read them). */
const DEFAULT_OPTIONS: SchemaAST.ParseOptions = {}

/** Every filter of the node passes (FilterGroups flattened), as the Schema runs them. */
const passes = (checks: ReadonlyArray<Check>, value: unknown, ast: SchemaAST.AST): boolean => {
  for (const check of checks) {
    if (check._tag === "FilterGroup") {
      if (!passes(check.checks, value, ast)) return false
    } else if (check.run(value, ast, DEFAULT_OPTIONS) !== undefined) return false
  }
  return true
}

/**
 * The in-place checks are generated source, a function per struct, array and union: each call
 * site in them calls one known function, which V8 inlines (closures sharing call sites, as
 * `copy`'s do, cost a call per field). Generated functions reach their values as `d[i]`.
 */
class Source {
  /** What generated code refers to; the first few by name. */
  private readonly deps: Array<unknown> = [NO, Object.getPrototypeOf, Object.prototype, Array.prototype]
  private readonly prologue = `"use strict"; const NO = d[0], proto = d[1], OBJECT = d[2], ARRAY = d[3];`
  /** The expression that gives `value` in generated code. */
  dep(value: unknown): string {
    this.deps.push(value)
    return `d[${this.deps.length - 1}]`
  }
  /** A generated function of `v` with `body`, as an expression of generated code. */
  fn(body: string): string {
    return this.dep(new Function("d", `${this.prologue} return function (v) { ${body} }`)(this.deps))
  }
  /** The function of `v` that the expression `test` of `v` is. */
  root(test: (v: string) => string): (v: unknown) => boolean {
    return new Function("d", `${this.prologue} return function (v) { return ${test("v")} }`)(this.deps)
  }
}

/** A compiled node: `copy` builds the output (or refuses); `same` says, building nothing, that the output would equal the input. */
interface Compiled {
  readonly copy: Node
  /**
   * A JS boolean expression of the identifier `x`: true only if `copy(x)` would accept and give a
   * value equal to `x` (same keys, order, values).
   */
  readonly same: (x: string) => string
  /** Whether `copy` returns its input whenever it accepts (then `same` is exactly "accepts"). */
  readonly identity: boolean
}

/** The node's filters, FilterGroups flattened: each runs as the Schema runs it. */
const flatChecks = (checks: ReadonlyArray<Check>): Array<SchemaAST.Filter<unknown>> =>
  checks.flatMap((check) => (check._tag === "FilterGroup" ? flatChecks(check.checks) : [check]))

const withChecks = (src: Source, ast: SchemaAST.AST, { copy, same, identity }: Compiled): Compiled => {
  const checks = ast.checks
  if (!checks || checks.length === 0) return { copy, same, identity }
  const node = src.dep(ast)
  const options = src.dep(DEFAULT_OPTIONS)
  const filters = flatChecks(checks).map((filter) => src.dep(filter))
  const pass = (x: string) => filters.map((filter) => `${filter}.run(${x}, ${node}, ${options}) === undefined`).join(" && ")
  return {
    copy: (input) => {
      const out = copy(input)
      return out !== NO && passes(checks, out, ast) ? out : NO
    },
    same: (x) => `(${same(x)} && ${pass(x)})`,
    identity,
  }
}

/** A value as a literal of generated code (strings and finite numbers inline, anything else by reference). */
const literalSource = (src: Source, value: unknown): string =>
  typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value) && !Object.is(value, -0)) || value === null
    ? JSON.stringify(value)
    : src.dep(value)

/** A node whose output is its input whenever it accepts (primitives, literals, `Unknown`). */
const identity = (src: Source, ast: SchemaAST.AST, accepts: (v: unknown) => boolean, test: (x: string) => string): Compiled =>
  withChecks(src, ast, { copy: (v) => (accepts(v) ? v : NO), same: test, identity: true })

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** A union whose members are structs told apart by a required literal `_tag`. */
const tagDispatch = (src: Source, ast: SchemaAST.Union, members: ReadonlyArray<Compiled>): Compiled | undefined => {
  const byTag = new Map<unknown, Compiled>()
  for (const [i, member] of ast.types.entries()) {
    if (member._tag !== "Objects") return undefined
    const tag = member.propertySignatures.find((p) => p.name === "_tag")
    if (tag?.type._tag !== "Literal" || tag.type.context?.isOptional || byTag.has(tag.type.literal)) return undefined
    byTag.set(tag.type.literal, members[i])
  }
  // A Map finds keys by SameValueZero, a switch by ===: the same for the literals (no NaN).
  const cases = [...byTag].map(([tag, member]) => `case ${literalSource(src, tag)}: return ${member.same("v")}`)
  const same = src.fn(
    `if (typeof v !== "object" || v === null || Array.isArray(v)) return false; switch (v._tag) { ${cases.join("; ")}; default: return false }`,
  )
  return {
    copy: (input) => {
      if (!isRecord(input)) return NO
      const member = byTag.get(input._tag)
      return member ? member.copy(input) : NO
    },
    same: (x) => `${same}(${x})`,
    identity: false,
  }
}

interface Property {
  readonly name: string
  readonly node: Compiled
  readonly optional: boolean
}

const objects = (src: Source, props: ReadonlyArray<Property>): Compiled => {
  // Values first (each read once), counting the keys that must be there; then the keys, which must
  // be those, enumerable, in schema order (a plain object has no inherited ones).
  const values = props.map(({ name, node, optional }, i) => {
    const key = JSON.stringify(name)
    const check = `{ const p${i} = v[${key}]; if (!(${node.same(`p${i}`)})) return false }`
    return optional ? `if (${key} in v) { n++; ${check} }` : check
  })
  const names = src.dep(props.map((p) => p.name))
  const same = src.fn(`
    if (typeof v !== "object" || v === null || proto(v) !== OBJECT) return false
    const names = ${names}
    let n = ${props.filter((p) => !p.optional).length}
    ${values.join("\n")}
    let i = 0, seen = 0
    for (const k in v) {
      while (i < ${props.length} && names[i] !== k) i++
      if (i === ${props.length}) return false
      i++
      seen++
    }
    return seen === n`)
  return {
    copy: (v) => {
      if (!isRecord(v)) return NO
      const out: Record<string, unknown> = {}
      for (const { name, node, optional } of props) {
        // The Schema reads a key with `in` (inherited keys too); so does this.
        if (!(name in v)) {
          if (optional) continue
          return NO
        }
        const x = node.copy(v[name])
        if (x === NO) return NO
        out[name] = x
      }
      return out
    },
    same: (x) => `${same}(${x})`,
    identity: false,
  }
}

const arrays = (src: Source, item: Compiled): Compiled => {
  const same = src.fn(`
    if (!Array.isArray(v) || proto(v) !== ARRAY) return false
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) return false
      const x = v[i]
      if (!(${item.same("x")})) return false
    }
    return true`)
  return {
    copy: (v) => {
      if (!Array.isArray(v)) return NO
      const out = new Array<unknown>(v.length)
      for (let i = 0; i < v.length; i++) {
        const x = item.copy(v[i])
        if (x === NO) return NO
        out[i] = x
      }
      return out
    },
    same: (x) => `${same}(${x})`,
    identity: false,
  }
}

/** Exactly one member must take the input: which of several the Schema would pick depends on its candidate order, so an input two members accept is left to the Schema. */
const oneOf = (src: Source, members: ReadonlyArray<Compiled>): Compiled => {
  const tries = members.map((member) =>
    member.identity
      ? `if (${member.same("v")}) { same = true; taken++ }`
      : `if (${member.same("v")}) { same = true; taken++ } else if (${src.dep(member.copy)}(v) !== NO) taken++`,
  )
  const same = src.fn(`let taken = 0, same = false; ${tries.join("; ")}; return same && taken === 1`)
  return {
    copy: (v) => {
      let found: unknown = NO
      for (const member of members) {
        const x = member.copy(v)
        if (x === NO) continue
        if (found !== NO) return NO
        found = x
      }
      return found
    },
    same: (x) => `${same}(${x})`,
    identity: members.every((m) => m.identity),
  }
}

/** The compiled node, or undefined when the AST has anything but plain checked data. */
const compile = (src: Source, ast: SchemaAST.AST): Compiled | undefined => {
  if (ast.encoding !== undefined) return undefined
  switch (ast._tag) {
    case "String":
      return identity(
        src,
        ast,
        (v) => typeof v === "string",
        (x) => `typeof ${x} === "string"`,
      )
    case "Number":
      return identity(
        src,
        ast,
        (v) => typeof v === "number",
        (x) => `typeof ${x} === "number"`,
      )
    case "Boolean":
      return identity(
        src,
        ast,
        (v) => typeof v === "boolean",
        (x) => `typeof ${x} === "boolean"`,
      )
    case "Null":
      return identity(
        src,
        ast,
        (v) => v === null,
        (x) => `${x} === null`,
      )
    case "Undefined":
      return identity(
        src,
        ast,
        (v) => v === undefined,
        (x) => `${x} === undefined`,
      )
    case "Literal": {
      const literal = ast.literal
      const code = literalSource(src, literal)
      return identity(
        src,
        ast,
        (v) => v === literal,
        (x) => `${x} === ${code}`,
      )
    }
    case "Unknown":
    case "Any":
      return identity(
        src,
        ast,
        () => true,
        () => "true",
      )
    case "Arrays": {
      if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
      const item = compile(src, ast.rest[0])
      return item && withChecks(src, ast, arrays(src, item))
    }
    case "Objects": {
      if (ast.indexSignatures.length !== 0 || (ast.encodingChecks?.length ?? 0) !== 0) return undefined
      const props: Array<Property> = []
      for (const p of ast.propertySignatures) {
        const node = compile(src, p.type)
        if (!node || typeof p.name !== "string" || p.name === "__proto__") return undefined
        props.push({ name: p.name, node, optional: p.type.context?.isOptional === true })
      }
      return withChecks(src, ast, objects(src, props))
    }
    case "Union": {
      if ((ast.encodingChecks?.length ?? 0) !== 0 || (ast.options as { mode?: string } | undefined)?.mode === "oneOf") return undefined
      const members: Array<Compiled> = []
      for (const type of ast.types) {
        const node = compile(src, type)
        if (!node) return undefined
        members.push(node)
      }
      return withChecks(src, ast, tagDispatch(src, ast, members) ?? oneOf(src, members))
    }
    default:
      return undefined
  }
}

/**
 * The fast path of `schema` (the same function serves its encode and its decode, which are equal
 * for plain checked data), or undefined when the schema transforms or has a node this does not
 * compile. The function returns undefined for any input it does not accept, and the input itself
 * when it already is the output.
 */
export const compileFastPath = (schema: Schema.Top): ((input: unknown) => unknown) | undefined => {
  const src = new Source()
  const node = compile(src, schema.ast)
  if (!node) return undefined
  const { copy } = node
  const same = src.root(node.same)
  return (input) => {
    if (same(input)) return input
    const out = copy(input)
    return out === NO ? undefined : out
  }
}
