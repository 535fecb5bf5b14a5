/**
 * τ²'s own `Results` model as JSON Schema (generated from the reference's pydantic models), checked
 * with a standard validator (ajv, draft 2020-12). The schema is read where the reference material
 * lives, `../shared/reference/` beside the repository (or `TAU2_RESULTS_SCHEMA`), never copied in.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js"
import { PyJson } from "@tau-sim/engine"
import { REPO } from "./tau.ts"

export const TAU2_RESULTS_SCHEMA = process.env.TAU2_RESULTS_SCHEMA ?? path.resolve(REPO, "../shared/reference/tau2-results.schema.json")

/** Whether the schema is there; under `CI=true` a missing schema fails the file instead of skipping it. */
export const schemaPresent = (): boolean => {
  const present = process.env.TAU_TEST_DATA_SEARCH !== "none" && fs.existsSync(TAU2_RESULTS_SCHEMA)
  if (!present && process.env.CI === "true")
    throw new Error(`τ² results schema not found at ${TAU2_RESULTS_SCHEMA} (set TAU2_RESULTS_SCHEMA); CI=true: it fails the run`)
  if (!present) console.warn(`τ² results schema not found at ${TAU2_RESULTS_SCHEMA} (set TAU2_RESULTS_SCHEMA): its suites are skipped`)
  return present
}

/** One line per error: where, what, and the schema rule that said so. */
export const describeErrors = (errors: ReadonlyArray<ErrorObject>): string[] =>
  errors.map((e) => `${e.instancePath || "/"}: ${e.message ?? e.keyword} ${JSON.stringify(e.params)} (${e.schemaPath})`)

/**
 * The errors of a whole run, counted by kind: where (array positions folded into `*`), the rule,
 * and what it names (`/simulations/*: required start_time`).
 */
export const errorKinds = (errors: ReadonlyArray<ErrorObject>): Record<string, number> => {
  const kinds: Record<string, number> = {}
  for (const e of errors) {
    const where = e.instancePath.replace(/\/\d+(?=\/|$)/g, "/*") || "/"
    const what = e.keyword === "required" ? String(e.params.missingProperty) : (e.message ?? "")
    const kind = `${where}: ${e.keyword} ${what}`
    kinds[kind] = (kinds[kind] ?? 0) + 1
  }
  return kinds
}

export interface Tau2ResultsValidator {
  /** The errors of a results document (parsed from its text as τ² would: Python-faithful numbers, NaN included); empty when valid. */
  readonly errorsOf: (text: string) => ReadonlyArray<ErrorObject>
  /** The errors of one simulation (a `simulations/<id>.json` of the dir layout) as τ²'s `SimulationRun`. */
  readonly simulationErrorsOf: (text: string) => ReadonlyArray<ErrorObject>
}

/** The validator, the schema compiled once (its one custom format, pydantic's `path`, is any string). */
export const tau2ResultsValidator = (): Tau2ResultsValidator => {
  const schema = JSON.parse(fs.readFileSync(TAU2_RESULTS_SCHEMA, "utf8")) as object
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true })
  ajv.addFormat("path", true)
  const validate = ajv.compile(schema)
  const validateSimulation = ajv.compile({ $defs: (schema as { $defs: object }).$defs, $ref: "#/$defs/SimulationRun" })
  // Through our Python-faithful parser, then plain JSON values: `1.0` is a number like `1`, as JSON Schema sees it.
  const check = (v: typeof validate, text: string) => (v(PyJson.toPlain(PyJson.parse(text))) ? [] : [...(v.errors ?? [])])
  return { errorsOf: (text) => check(validate, text), simulationErrorsOf: (text) => check(validateSimulation, text) }
}
