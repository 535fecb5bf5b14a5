/**
 * Reading and validating τ² data files. Every failure is a `DataFileError` that names the file, the
 * place inside it (`[3].evaluation_criteria.actions[0].name`) and what was expected there, so a
 * broken data folder is diagnosed without a debugger.
 */
import * as fs from "node:fs"
import { Result, Schema, SchemaIssue, SchemaParser } from "effect"
import { isNumber, type PyFloat, PyJson, type PyValue, typeName } from "@tau-sim/engine"
import { DataFileError } from "./errors.ts"

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

/** Parses a JSON file keeping Python's int/float distinction. */
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
export const decodeOrThrow = <S extends Schema.ConstraintDecoder<unknown>>(
  schema: S,
  value: unknown,
  file: string,
  options: DecodeOptions = {},
): S["Type"] => {
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
      ? issues.length > 1 ? `${issues.length - 1} more issue(s)` : undefined
      : `got ${typeName(found as PyValue)}${issues.length > 1 ? `; ${issues.length - 1} more issue(s)` : ""}`
  throw new DataFileError(file, formatPath([...(options.at ?? []), ...path]), expected, detail)
}

/** Throws the `DataFileError` for an object with keys its (no-extra) model does not declare. */
export const forbidExtraKeys = (
  value: unknown,
  allowed: ReadonlyArray<string>,
  file: string,
  at: ReadonlyArray<PathSegment> = [],
): void => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new DataFileError(file, formatPath([...at, key]), `one of the keys ${allowed.join(", ")}`, `unexpected key ${JSON.stringify(key)}`)
  }
}

/** A Python int or float for DB schemas (`Schema.Number` would reject a boxed `PyFloat`). */
export const PyNumber = Schema.declare((u: unknown): u is number | PyFloat => isNumber(u), { expected: "number" })

/** Freezes a loaded value deeply so that a tool mutating shared data fails loudly. */
export const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
