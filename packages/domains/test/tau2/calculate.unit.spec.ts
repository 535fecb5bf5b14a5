/**
 * The shared `calculate` tool against outputs of the reference's code on CPython 3.11
 * (`str(round(float(eval(expression, {"__builtins__": None}, {})), 2))` and its exception texts).
 */
import { describe, expect, it } from "vitest"
import { float } from "@tau-sim/engine"
import { calculate, calculateTool } from "../../src/tau2/common/calculate.ts"

const run = (expression: string): string => {
  try {
    return calculate(expression)
  } catch (e) {
    return `Error: ${(e as Error).message}`
  }
}

describe("calculate: values", () => {
  it.each([
    ["2 + 2", "4.0"],
    ["1319.43 - 302.67 + 271.89", "1288.65"],
    ["135.24 - 153.23", "-17.99"],
    ["155.33 - 147.05 + 268.77 - 235.13", "41.92"],
    ["1/3", "0.33"],
    ["2/3*3", "2.0"],
    ["0.1+0.2", "0.3"],
    ["2.675", "2.67"], // round() works on the binary value
    ["1.005*1", "1.0"],
    ["2**10", "1024.0"],
    ["2**-1", "0.5"],
    ["-2**2", "-4.0"], // ** binds tighter than unary minus
    ["2 ** -1 ** 2", "0.5"], // right-associative
    ["7//-2", "-4.0"],
    ["-7.5//2", "-4.0"],
    ["0/-5", "-0.0"],
    ["-0.0", "-0.0"],
    ["00", "0.0"],
    ["01.5", "1.5"],
    ["1.", "1.0"],
    [".5", "0.5"],
    [" 1+1", "2.0"],
    ["10**400/10**399", "10.0"], // exact big-int true division
    ["123456789012345678901234567890/7", "1.763668414462081e+28"],
  ])("%s -> %s", (expression, expected) => {
    expect(run(expression)).toBe(expected)
  })
})

describe("calculate: Python error texts", () => {
  it.each([
    ["1e5", "Invalid characters in expression"],
    ["2 x 3", "Invalid characters in expression"],
    ["", "invalid syntax (<string>, line 0)"],
    ["1 +", "invalid syntax (<string>, line 1)"],
    ["1 2", "invalid syntax (<string>, line 1)"],
    ["(1 2)", "invalid syntax. Perhaps you forgot a comma? (<string>, line 1)"],
    ["(1 2 3", "invalid syntax. Perhaps you forgot a comma? (<string>, line 1)"],
    ["(1 2", "'(' was never closed (<string>, line 1)"], // the parser reads past the end inside '('
    ["1 2 (", "'(' was never closed (<string>, line 1)"],
    ["(1 * * 2", "invalid syntax (<string>, line 1)"], // ... but not here
    ["2)", "unmatched ')' (<string>, line 1)"],
    ["(1 2) 007", "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers (<string>, line 1)"],
    ["(*2)", "cannot use starred expression here (<string>, line 1)"],
    ["(**2)", "cannot use double starred expression here (<string>, line 1)"],
    ["1/0", "division by zero"],
    ["1.0/0", "float division by zero"],
    ["1//0", "integer division or modulo by zero"],
    ["1.0//0", "float floor division by zero"],
    ["0**-1", "0.0 cannot be raised to a negative power"],
    ["10.0**400", "(34, 'Numerical result out of range')"],
    ["2**10000", "int too large to convert to float"],
    ["10**400/3", "integer division result too large for a float"],
    ["(-8)**0.5", "float() argument must be a string or a real number, not 'complex'"],
    ["()", "float() argument must be a string or a real number, not 'tuple'"],
    ["...", "float() argument must be a string or a real number, not 'ellipsis'"],
    ["() + 1", 'can only concatenate tuple (not "int") to tuple'],
    ["1+()", "unsupported operand type(s) for +: 'int' and 'tuple'"],
    ["-()", "bad operand type for unary -: 'tuple'"],
    ["() * 2.0", "can't multiply sequence by non-int of type 'float'"],
    ["2(3)", "'int' object is not callable"],
    ["2(1/0)", "division by zero"], // arguments are evaluated before the call fails
    ["2.5(*2)", "2.5 argument after * must be an iterable, not int"],
    ["1(**())", "1 argument after ** must be a mapping, not tuple"],
    [`${"(".repeat(201)}1${")".repeat(201)}`, "too many nested parentheses (<string>, line 1)"],
    [`${"1+".repeat(5000)}1`, "maximum recursion depth exceeded during compilation"],
  ])("%s -> Error: %s", (expression, expected) => {
    expect(run(expression)).toBe(`Error: ${expected}`)
  })
})

describe("calculate tool", () => {
  it("takes the expression unvalidated, failing like Python on other types", () => {
    const call = (expression: Parameters<typeof calculateTool.run>[1]["expression"]) => {
      try {
        return calculateTool.run(undefined as never, { expression }, { random: Math.random })
      } catch (e) {
        return `Error: ${(e as Error).message}`
      }
    }
    expect(call("3 * 4")).toBe("12.0")
    expect(call(12)).toBe("Error: 'int' object is not iterable")
    expect(call(float(1.5))).toBe("Error: 'float' object is not iterable")
    expect(call(null)).toBe("Error: 'NoneType' object is not iterable")
    expect(call(["1", "+"])).toBe("Error: eval() arg 1 must be a string, bytes or code object")
    expect(call([1])).toBe("Error: 'in <string>' requires string as left operand, not int")
    expect(call(["x"])).toBe("Error: Invalid characters in expression")
  })
  it("is a generic tool with the reference's docstring", () => {
    expect(calculateTool.kind).toBe("generic")
    expect(calculateTool.params.map((p) => p.name)).toEqual(["expression"])
  })
})
