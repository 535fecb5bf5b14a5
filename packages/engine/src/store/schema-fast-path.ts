/**
 * A fast path for Schemas that only check, never transform (the event schemas: strings, numbers
 * with Int/Finite checks, literals, null-or, arrays, tagged structs, `Unknown`). For such a schema
 * encode and decode both return the input's known fields in schema order (unknown keys dropped),
 * yet Effect's interpreter costs more per event than `JSON.parse` of its body. This compiles the
 * schema's AST into a plain function that returns that output, or `undefined` whenever it is not
 * sure: invalid input, or a node it does not know. The caller then runs the real Schema, which
 * gives the error (or, were the fast path ever wrong to refuse, the result). So the fast path can
 * only refuse more than the Schema, never accept more; checks run the Schema's own filters.
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

const withChecks = (ast: SchemaAST.AST, node: Node): Node => {
  const checks = ast.checks
  if (!checks || checks.length === 0) return node
  return (input) => {
    const out = node(input)
    return out !== NO && passes(checks, out, ast) ? out : NO
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** A union whose members are structs told apart by a required literal `_tag`. */
const tagDispatch = (ast: SchemaAST.Union, members: ReadonlyArray<Node>): Node | undefined => {
  const byTag = new Map<unknown, Node>()
  for (const [i, member] of ast.types.entries()) {
    if (member._tag !== "Objects") return undefined
    const tag = member.propertySignatures.find((p) => p.name === "_tag")
    if (tag?.type._tag !== "Literal" || tag.type.context?.isOptional || byTag.has(tag.type.literal)) return undefined
    byTag.set(tag.type.literal, members[i])
  }
  return (input) => {
    if (!isRecord(input)) return NO
    const member = byTag.get(input._tag)
    return member ? member(input) : NO
  }
}

/** The compiled node, or undefined when the AST has anything but plain checked data. */
const compile = (ast: SchemaAST.AST): Node | undefined => {
  if (ast.encoding !== undefined) return undefined
  switch (ast._tag) {
    case "String":
      return withChecks(ast, (v) => (typeof v === "string" ? v : NO))
    case "Number":
      return withChecks(ast, (v) => (typeof v === "number" ? v : NO))
    case "Boolean":
      return withChecks(ast, (v) => (typeof v === "boolean" ? v : NO))
    case "Null":
      return withChecks(ast, (v) => (v === null ? v : NO))
    case "Undefined":
      return withChecks(ast, (v) => (v === undefined ? v : NO))
    case "Literal": {
      const literal = ast.literal
      return withChecks(ast, (v) => (v === literal ? v : NO))
    }
    case "Unknown":
    case "Any":
      return withChecks(ast, (v) => v)
    case "Arrays": {
      if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
      const item = compile(ast.rest[0])
      if (!item) return undefined
      return withChecks(ast, (v) => {
        if (!Array.isArray(v)) return NO
        const out = new Array<unknown>(v.length)
        for (let i = 0; i < v.length; i++) {
          const x = item(v[i])
          if (x === NO) return NO
          out[i] = x
        }
        return out
      })
    }
    case "Objects": {
      if (ast.indexSignatures.length !== 0 || (ast.encodingChecks?.length ?? 0) !== 0) return undefined
      const props: Array<{ readonly name: string; readonly node: Node; readonly optional: boolean }> = []
      for (const p of ast.propertySignatures) {
        const node = compile(p.type)
        if (!node || typeof p.name !== "string" || p.name === "__proto__") return undefined
        props.push({ name: p.name, node, optional: p.type.context?.isOptional === true })
      }
      return withChecks(ast, (v) => {
        if (!isRecord(v)) return NO
        const out: Record<string, unknown> = {}
        for (const { name, node, optional } of props) {
          // The Schema reads a key with `in` (inherited keys too); so does this.
          if (!(name in v)) {
            if (optional) continue
            return NO
          }
          const x = node(v[name])
          if (x === NO) return NO
          out[name] = x
        }
        return out
      })
    }
    case "Union": {
      if ((ast.encodingChecks?.length ?? 0) !== 0 || (ast.options as { mode?: string } | undefined)?.mode === "oneOf") return undefined
      const members: Array<Node> = []
      for (const type of ast.types) {
        const node = compile(type)
        if (!node) return undefined
        members.push(node)
      }
      const tagged = tagDispatch(ast, members)
      if (tagged) return withChecks(ast, tagged)
      // Exactly one member must take the input: which of several the Schema would pick depends on
      // its candidate order, so an input two members accept is left to the Schema.
      return withChecks(ast, (v) => {
        let found: unknown = NO
        for (const member of members) {
          const x = member(v)
          if (x === NO) continue
          if (found !== NO) return NO
          found = x
        }
        return found
      })
    }
    default:
      return undefined
  }
}

/**
 * The fast path of `schema` (the same function serves its encode and its decode, which are equal
 * for plain checked data), or undefined when the schema transforms or has a node this does not
 * compile. The function returns undefined for any input it does not accept.
 */
export const compileFastPath = (schema: Schema.Top): ((input: unknown) => unknown) | undefined => {
  const node = compile(schema.ast)
  if (!node) return undefined
  return (input) => {
    const out = node(input)
    return out === NO ? undefined : out
  }
}
