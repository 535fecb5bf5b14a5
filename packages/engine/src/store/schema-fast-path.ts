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

/** A compiled node: `copy` builds the output (or refuses); `same` says, building nothing, that the output would equal the input. */
interface Compiled {
  readonly copy: Node
  /** True only if `copy(input)` would accept and give a value equal to the input (same keys, order, values). */
  readonly same: (input: unknown) => boolean
}

const withChecks = (ast: SchemaAST.AST, { copy, same }: Compiled): Compiled => {
  const checks = ast.checks
  if (!checks || checks.length === 0) return { copy, same }
  return {
    copy: (input) => {
      const out = copy(input)
      return out !== NO && passes(checks, out, ast) ? out : NO
    },
    same: (input) => same(input) && passes(checks, input, ast),
  }
}

/** A node whose output is its input whenever it accepts (primitives, literals, `Unknown`). */
const identity = (ast: SchemaAST.AST, accepts: (v: unknown) => boolean): Compiled => withChecks(ast, { copy: (v) => (accepts(v) ? v : NO), same: accepts })

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** An object literal's or `JSON.parse`'s: its enumerable keys are its own data (no inherited ones). */
const isPlainRecord = (v: unknown): v is Record<string, unknown> => isRecord(v) && Object.getPrototypeOf(v) === Object.prototype

/** A union whose members are structs told apart by a required literal `_tag`. */
const tagDispatch = (ast: SchemaAST.Union, members: ReadonlyArray<Compiled>): Compiled | undefined => {
  const byTag = new Map<unknown, Compiled>()
  for (const [i, member] of ast.types.entries()) {
    if (member._tag !== "Objects") return undefined
    const tag = member.propertySignatures.find((p) => p.name === "_tag")
    if (tag?.type._tag !== "Literal" || tag.type.context?.isOptional || byTag.has(tag.type.literal)) return undefined
    byTag.set(tag.type.literal, members[i])
  }
  return {
    copy: (input) => {
      if (!isRecord(input)) return NO
      const member = byTag.get(input._tag)
      return member ? member.copy(input) : NO
    },
    same: (input) => {
      if (!isRecord(input)) return false
      const member = byTag.get(input._tag)
      return member?.same(input) === true
    },
  }
}

interface Property {
  readonly name: string
  readonly node: Compiled
  readonly optional: boolean
}

const objects = (props: ReadonlyArray<Property>): Compiled => ({
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
  same: (v) => {
    if (!isPlainRecord(v)) return false
    // The keys in order must be the known fields in schema order, skipping only optional ones.
    let i = 0
    for (const key in v) {
      while (i < props.length && props[i].name !== key) {
        // Absent: then it must not be there unenumerable either (`copy` would take it).
        if (!props[i].optional || props[i].name in v) return false
        i++
      }
      if (i === props.length || !props[i].node.same(v[key])) return false
      i++
    }
    for (; i < props.length; i++) if (!props[i].optional || props[i].name in v) return false
    return true
  },
})

const arrays = (item: Compiled): Compiled => ({
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
  same: (v) => {
    if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return false
    for (let i = 0; i < v.length; i++) if (!(i in v) || !item.same(v[i])) return false
    return true
  },
})

/** Exactly one member must take the input: which of several the Schema would pick depends on its candidate order, so an input two members accept is left to the Schema. */
const oneOf = (members: ReadonlyArray<Compiled>): Compiled => ({
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
  same: (v) => {
    let taken = 0
    let same = false
    for (const member of members) {
      if (member.same(v)) same = true
      else if (member.copy(v) === NO) continue
      if (++taken > 1) return false
    }
    return same
  },
})

/** The compiled node, or undefined when the AST has anything but plain checked data. */
const compile = (ast: SchemaAST.AST): Compiled | undefined => {
  if (ast.encoding !== undefined) return undefined
  switch (ast._tag) {
    case "String":
      return identity(ast, (v) => typeof v === "string")
    case "Number":
      return identity(ast, (v) => typeof v === "number")
    case "Boolean":
      return identity(ast, (v) => typeof v === "boolean")
    case "Null":
      return identity(ast, (v) => v === null)
    case "Undefined":
      return identity(ast, (v) => v === undefined)
    case "Literal": {
      const literal = ast.literal
      return identity(ast, (v) => v === literal)
    }
    case "Unknown":
    case "Any":
      return identity(ast, () => true)
    case "Arrays": {
      if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
      const item = compile(ast.rest[0])
      return item && withChecks(ast, arrays(item))
    }
    case "Objects": {
      if (ast.indexSignatures.length !== 0 || (ast.encodingChecks?.length ?? 0) !== 0) return undefined
      const props: Array<Property> = []
      for (const p of ast.propertySignatures) {
        const node = compile(p.type)
        if (!node || typeof p.name !== "string" || p.name === "__proto__") return undefined
        props.push({ name: p.name, node, optional: p.type.context?.isOptional === true })
      }
      return withChecks(ast, objects(props))
    }
    case "Union": {
      if ((ast.encodingChecks?.length ?? 0) !== 0 || (ast.options as { mode?: string } | undefined)?.mode === "oneOf") return undefined
      const members: Array<Compiled> = []
      for (const type of ast.types) {
        const node = compile(type)
        if (!node) return undefined
        members.push(node)
      }
      return withChecks(ast, tagDispatch(ast, members) ?? oneOf(members))
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
  const node = compile(schema.ast)
  if (!node) return undefined
  const { copy, same } = node
  return (input) => {
    if (same(input)) return input
    const out = copy(input)
    return out === NO ? undefined : out
  }
}
