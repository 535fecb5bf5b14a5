/**
 * The `calculate` tool shared by airline and retail (semantics §4.2):
 *
 *     if not all(char in "0123456789+-*\/(). " for char in expression):
 *         raise ValueError("Invalid characters in expression")
 *     return str(round(float(eval(expression, {"__builtins__": None}, {})), 2))
 *
 * `eval` is emulated with CPython 3.11 semantics (big ints, `**`, `//`, error texts).
 */
import { floatRepr, isFloat, pyRound, type PyValue, ToolError, type ToolDef, typeName } from "@tau-sim/engine"
import { Schema } from "effect"
import { binaryOp, callValue, flt, int, PyException, type PyNumeric, toFloat, unaryOp } from "./python-arithmetic.ts"
import { type Expr, parsePythonExpression } from "./python-expression.ts"

const ALLOWED_TEXT = "0123456789+-*/(). "
const ALLOWED = new Set(ALLOWED_TEXT)

/**
 * CPython's AST optimizer gives up on expressions nested about 3000 levels deep (the exact limit
 * depends on the Python call stack at the time of the `eval`).
 */
const MAX_COMPILE_DEPTH = 2900

const depth = (e: Expr): number => {
  // Iterative: left-nested chains such as `1+1+...+1` are deep.
  let max = 0
  const stack: Array<[Expr, number]> = [[e, 1]]
  while (stack.length > 0) {
    const [node, d] = stack.pop() as [Expr, number]
    if (d > max) max = d
    if (node.type === "unary") stack.push([node.operand, d + 1])
    else if (node.type === "binary") stack.push([node.left, d + 1], [node.right, d + 1])
    else if (node.type === "call") {
      stack.push([node.callee, d + 1])
      if (node.arg) stack.push([node.arg.value, d + 1])
    }
  }
  return max
}

/** Left to right, like CPython's bytecode. */
const evaluate = (e: Expr): PyNumeric => {
  switch (e.type) {
    case "int":
      return int(e.value)
    case "float":
      return flt(e.value)
    case "ellipsis":
      return { type: "ellipsis" }
    case "tuple":
      return { type: "tuple" }
    case "unary":
      return unaryOp(e.op, evaluate(e.operand))
    case "binary": {
      const left = evaluate(e.left)
      return binaryOp(e.op, left, evaluate(e.right))
    }
    case "call": {
      const callee = evaluate(e.callee)
      return callValue(callee, e.arg === null ? null : { kind: e.arg.kind, value: evaluate(e.arg.value) })
    }
  }
}

/** `calculate(expression)`; throws `ToolError` carrying Python's `str(e)`. */
export const calculate = (expression: string): string => {
  for (const ch of expression) if (!ALLOWED.has(ch)) throw new ToolError("Invalid characters in expression")
  try {
    const tree = parsePythonExpression(expression)
    if (depth(tree) > MAX_COMPILE_DEPTH) {
      throw new PyException("RecursionError", "maximum recursion depth exceeded during compilation")
    }
    return floatRepr(pyRound(toFloat(evaluate(tree)), 2))
  } catch (e) {
    if (e instanceof Error) throw new ToolError(e.message)
    throw e
  }
}

/**
 * Arguments are not validated (§3.2): for a non-string, the character check iterates the value
 * (`x in "0123..."` is a substring test that needs a str) and `eval` then rejects it.
 */
const requireString = (value: PyValue): string => {
  if (typeof value === "string") return value
  if (value === null || typeof value !== "object" || isFloat(value)) {
    throw new ToolError(`'${typeName(value)}' object is not iterable`)
  }
  const items: ReadonlyArray<PyValue> = Array.isArray(value) ? value : Object.keys(value)
  for (const item of items) {
    if (typeof item !== "string") throw new ToolError(`'in <string>' requires string as left operand, not ${typeName(item)}`)
    if (!ALLOWED_TEXT.includes(item)) throw new ToolError("Invalid characters in expression")
  }
  throw new ToolError("eval() arg 1 must be a string, bytes or code object")
}

export const calculateTool: ToolDef = {
  name: "calculate",
  kind: "generic",
  description: "Calculate the result of a mathematical expression.",
  params: [
    {
      name: "expression",
      description:
        "The mathematical expression to calculate, such as '2 + 2'. The expression can contain numbers, operators (+, -, *, /), parentheses, and spaces.",
      schema: Schema.String,
    },
  ],
  run: (_db, args) => calculate(requireString(args.expression)),
}
