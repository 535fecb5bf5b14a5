/**
 * pydantic v2 validation-error texts. Reference tools that construct pydantic models from tool
 * arguments (mock `create_task`, airline payments, ...) fail with pydantic's `ValidationError`,
 * whose `str()` becomes the tool output after `Error: `.
 */
import { pyRepr, type PyValue, ToolError, typeName } from "@tau-sim/engine"

/**
 * The minor version printed in pydantic's "further information" links. The reference environment's
 * pydantic version is not pinned in the fixtures; 2.11 is the release current with the reference
 * commit.
 */
export const PYDANTIC_DOCS_VERSION = "2.11"

export interface PydanticErrorDetail {
  /** Field location, e.g. `["title"]` or `["payment", 0, "amount"]`. */
  readonly loc: ReadonlyArray<string | number>
  /** Error type, e.g. `string_type`. */
  readonly type: string
  readonly msg: string
  readonly input: PyValue | undefined
}

/** `str(ValidationError)` for a model name and its errors. */
export const validationErrorText = (model: string, errors: ReadonlyArray<PydanticErrorDetail>): string => {
  const head = `${errors.length} validation error${errors.length === 1 ? "" : "s"} for ${model}`
  const body = errors.map((e) => {
    const input = e.input === undefined ? "" : `, input_value=${pyRepr(e.input)}, input_type=${typeName(e.input)}`
    return `${e.loc.join(".")}\n  ${e.msg} [type=${e.type}${input}]\n    For further information visit https://errors.pydantic.dev/${PYDANTIC_DOCS_VERSION}/v/${e.type}`
  })
  return [head, ...body].join("\n")
}

export class PydanticValidationError extends ToolError {
  constructor(model: string, errors: ReadonlyArray<PydanticErrorDetail>) {
    super(validationErrorText(model, errors))
    this.name = "PydanticValidationError"
  }
}

/** pydantic's (lax) `str` check: only strings pass, numbers are not coerced. */
export const checkStr = (loc: string, value: PyValue | undefined, optional = false): PydanticErrorDetail | undefined => {
  if (typeof value === "string" || (optional && value === null)) return undefined
  return { loc: [loc], type: "string_type", msg: "Input should be a valid string", input: value }
}

/** Throws the model's validation error when any field check failed. */
export const validateModel = (model: string, checks: ReadonlyArray<PydanticErrorDetail | undefined>): void => {
  const errors = checks.filter((c): c is PydanticErrorDetail => c !== undefined)
  if (errors.length > 0) throw new PydanticValidationError(model, errors)
}
