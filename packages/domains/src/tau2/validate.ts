/**
 * Reading and validating τ² data files. Every failure is a `DataFileError` that names the file, the
 * place inside it (`[3].evaluation_criteria.actions[0].name`) and what was expected there, so a
 * broken data folder is diagnosed without a debugger.
 */
import * as fs from "node:fs"
import { Result, type Schema, SchemaIssue, SchemaParser } from "effect"
import { PyJson, type PyObject, type PyValue, typeName } from "@tau-sim/engine"
import { integerKeyedObjectOrders, rememberKeyOrder } from "./common/key-order.ts"
import { DataFileError } from "./errors.ts"
import { type ModelDef, py, validate, type ValidateOptions, type ValidationIssue } from "./pydantic.ts"

export type PathSegment = string | number

/** `[3].evaluation_criteria.actions[0].name`: indices in brackets, identifier keys dotted. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path
    .map((seg, i) => {
      if (typeof seg === "number") return `[${seg}]`
      const key = String(seg)
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return i === 0 ? key : `.${key}`
      return `[${JSON.stringify(key)}]`
    })
    .join("")

export const readTextFile = (file: string): string => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch (e) {
    throw new DataFileError(file, "", "a readable file", (e as Error).message)
  }
}

/** Parses a data file's text (Python-faithful), naming the file when it is not JSON. */
export const parseJsonText = (file: string, text: string): PyValue => {
  try {
    return PyJson.parse(text)
  } catch (e) {
    throw new DataFileError(file, "", "valid JSON", (e as Error).message)
  }
}

export const readJsonFile = (file: string): PyValue => parseJsonText(file, readTextFile(file))

const valueAt = (root: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let v: unknown = root
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined
    v = (v as Record<PropertyKey, unknown>)[seg as string]
  }
  return v
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

export interface DecodeOptions {
  /** Prepended to every reported path (e.g. the index of a task inside a task file). */
  readonly at?: ReadonlyArray<PathSegment>
  /** `"error"` for pydantic models that forbid extra keys; default ignores them like pydantic. */
  readonly excess?: "ignore" | "error"
}

/**
 * Validates `value` against an Effect schema; on failure throws a `DataFileError` for the first
 * issue (in document order) with the JSON path and the expected type.
 */
export const decodeOrThrow = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, value: unknown, file: string, options: DecodeOptions = {}): S["Type"] => {
  const result = SchemaParser.decodeUnknownResult(schema)(value, {
    errors: "all",
    onExcessProperty: options.excess ?? "ignore",
  })
  if (Result.isSuccess(result)) return result.success
  const issues = formatter(result.failure).issues
  const first = issues[0]
  const path = (first?.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p)) as PropertyKey[]
  const message = first?.message ?? "a valid value"
  const found = valueAt(value, path)
  const expected =
    message === "Missing key"
      ? "a value (required key is missing)"
      : message.startsWith("Unexpected key")
        ? "no such key (extra keys are not allowed)"
        : message.replace(/^Expected /, "")
  const detail =
    found === undefined
      ? issues.length > 1
        ? `${issues.length - 1} more issue(s)`
        : undefined
      : `got ${typeName(found as PyValue)}${issues.length > 1 ? `; ${issues.length - 1} more issue(s)` : ""}`
  throw new DataFileError(file, formatPath([...(options.at ?? []), ...path]), expected, detail)
}

/** What a data file held where it failed, in a few words. */
const describeFound = (issue: ValidationIssue): string => {
  if (issue.type === "missing") return "missing"
  if (issue.type === "extra_forbidden") return `unexpected key ${JSON.stringify(String(issue.loc.at(-1)))}`
  const v: unknown = issue.input
  if (v === undefined) return "missing"
  if (v instanceof Date) return `got a date ${v.toISOString()}`
  // A non-integral JS number comes from TOML, where every number is a JS number.
  const type = typeof v === "number" && !Number.isInteger(v) ? "float" : typeName(v as PyValue)
  return `got ${type} ${PyJson.dumps(v as PyValue).slice(0, 60)}`
}

/**
 * Validates a database file's content against its pydantic model (`DB.load`: `model_validate` of
 * the parsed file); on failure throws a `DataFileError` for the first issue in pydantic's order.
 */
export const decodeModel = (model: ModelDef, raw: unknown, file: string, options: ValidateOptions = {}): PyObject => {
  const { value, issues } = validate(py.model(model), raw, options)
  const first = issues[0]
  if (first === undefined) return value as PyObject
  const more = issues.length > 1 ? `; ${issues.length - 1} more issue(s)` : ""
  throw new DataFileError(file, formatPath(first.loc), first.expected, `${describeFound(first)}${more}`)
}

export interface JsonModelOptions {
  /**
   * Record the file's key order of dicts whose integer-like keys JS would move to the front
   * (`common/key-order.ts`), for tools that list such a dict in Python's order. It costs a second
   * scan of the file, so only domains whose tools need it ask for it.
   */
  readonly keyOrder?: boolean
}

/** A JSON database file's text as its model. */
export const decodeJsonModel = (file: string, text: string, model: ModelDef, options: JsonModelOptions = {}): PyObject => {
  const orders = options.keyOrder ? integerKeyedObjectOrders(text) : new Map<string, string[]>()
  const validateOptions: ValidateOptions =
    orders.size === 0
      ? {}
      : {
          onDict: (dict, at) => {
            const order = orders.get(at.map(String).join("\u0000"))
            if (order !== undefined) rememberKeyOrder(dict, order)
          },
        }
  return decodeModel(model, parseJsonText(file, text), file, validateOptions)
}

/** Reads a JSON database file as its model (`DB.load`). */
export const loadJsonModel = (file: string, model: ModelDef, options: JsonModelOptions = {}): PyObject =>
  decodeJsonModel(file, readTextFile(file), model, options)

/** Freezes a loaded value deeply so that a tool mutating shared data fails loudly. */
export const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value)
    // Databases are megabytes of small objects: members walked in place (no values array per object), scalars not called for.
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i]
        if (v !== null && typeof v === "object") deepFreeze(v)
      }
    } else {
      const o = value as Record<string, unknown>
      for (const k in o) {
        const v = o[k]
        if (v !== null && typeof v === "object") deepFreeze(v)
      }
    }
  }
  return value
}
