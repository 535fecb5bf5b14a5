/**
 * The reference's pydantic models, described as data and validated the way pydantic v2 does it in
 * lax (Python) mode. One description serves three uses:
 *
 * - loading a database file (`DB.load` = `model_validate(json.load(f))`): `validate.ts` turns the
 *   first issue into a `DataFileError` naming the file and the place;
 * - a tool building a model from its arguments (`Model(**kwargs)`): `build` returns the model dump
 *   or throws pydantic's `ValidationError`, whose `str()` becomes the tool output after `Error: `;
 * - rendering (`model_dump()`: field order, defaults) and `defaultsOf` (`Model()`).
 *
 * The coercions follow pydantic-core's lax rules (`input/shared.rs`): ints from integral floats,
 * bools and integer strings; floats from ints, bools and numeric strings; bools from 0/1 and a
 * fixed word list. Values JSON cannot hold (datetimes) are kept in their JSON form
 * (`model_dump(mode="json")`).
 */
import { float, isFloat, pyRepr, type PyObject, type PyValue, ToolError, typeName } from "@tau-sim/engine"

/**
 * The minor version printed in pydantic's "further information" links. The reference environment's
 * pydantic version is not pinned in the fixtures; 2.11 is the release current with the reference
 * commit.
 */
export const PYDANTIC_DOCS_VERSION = "2.11"

// --- model descriptions ----------------------------------------------------------------------

export type FieldType =
  | { readonly kind: "str" | "int" | "float" | "bool" | "date" | "datetime" }
  /** `Literal["a", "b"]`, or a string `Enum` when `enumName` is set (pydantic's error type differs). */
  | { readonly kind: "literal"; readonly values: ReadonlyArray<string>; readonly enumName?: string }
  | { readonly kind: "optional"; readonly inner: FieldType }
  | { readonly kind: "list"; readonly item: FieldType }
  | { readonly kind: "dict"; readonly key: FieldType; readonly value: FieldType }
  | { readonly kind: "model"; readonly model: ModelDef }
  /** `Union[A, B, ...]` of models that differ by a `Literal` field `tag`: the tag picks the member. */
  | { readonly kind: "union"; readonly tag: string; readonly members: Readonly<Record<string, ModelDef>> }

export interface FieldDef {
  readonly name: string
  readonly type: FieldType
  /** The Python default (a factory: mutable defaults must not be shared). Absent = required. */
  readonly default?: () => PyValue
}

export interface ModelDef {
  readonly name: string
  readonly fields: ReadonlyArray<FieldDef>
  /** pydantic's `extra`: `BaseModel` ignores (and drops) unknown keys, `BaseModelNoExtra` forbids them. */
  readonly extra: "ignore" | "forbid"
}

/** Field types, named like the Python annotations they stand for. */
export const py = {
  str: { kind: "str" },
  int: { kind: "int" },
  float: { kind: "float" },
  bool: { kind: "bool" },
  date: { kind: "date" },
  datetime: { kind: "datetime" },
  literal: (...values: ReadonlyArray<string>): FieldType => ({ kind: "literal", values }),
  enum: (name: string, values: ReadonlyArray<string>): FieldType => ({ kind: "literal", values, enumName: name }),
  optional: (inner: FieldType): FieldType => ({ kind: "optional", inner }),
  list: (item: FieldType): FieldType => ({ kind: "list", item }),
  dict: (value: FieldType, key: FieldType = { kind: "str" }): FieldType => ({ kind: "dict", key, value }),
  model: (model: ModelDef): FieldType => ({ kind: "model", model }),
  union: (tag: string, members: ReadonlyArray<ModelDef>): FieldType => ({
    kind: "union",
    tag,
    members: Object.fromEntries(members.map((m) => [tagOf(m, tag), m])),
  }),
} as const satisfies Record<string, FieldType | ((...args: never[]) => FieldType)>

/** The single `Literal` value of a union member's tag field. */
const tagOf = (model: ModelDef, tag: string): string => {
  const type = model.fields.find((f) => f.name === tag)?.type
  if (type?.kind !== "literal" || type.values.length !== 1) throw new Error(`${model.name}.${tag} must be a one-value Literal to tag a union`)
  return type.values[0]
}

export const field = (name: string, type: FieldType, fallback?: () => PyValue): FieldDef =>
  fallback === undefined ? { name, type } : { name, type, default: fallback }

/** `name: Optional[X] = None`. */
export const optionalField = (name: string, inner: FieldType): FieldDef => field(name, py.optional(inner), () => null)

export const defineModel = (name: string, fields: ReadonlyArray<FieldDef>, extra: ModelDef["extra"] = "ignore"): ModelDef => ({
  name,
  fields,
  extra,
})

/** A model built from its defaults only (`APNSettings()`). */
export const defaultsOf = (model: ModelDef): PyObject => {
  const out: Record<string, PyValue> = {}
  for (const f of model.fields) {
    if (!f.default) throw new Error(`${model.name}.${f.name} has no default`)
    out[f.name] = f.default()
  }
  return out
}

// --- validation errors -----------------------------------------------------------------------

export interface PydanticErrorDetail {
  /** Field location, e.g. `["title"]` or `["payment", 0, "amount"]`. */
  readonly loc: ReadonlyArray<string | number>
  /** Error type, e.g. `string_type`. */
  readonly type: string
  readonly msg: string
  readonly input: PyValue | undefined
}

/** One failed check: pydantic's error plus what was expected, in words, for data-file reports. */
export interface ValidationIssue extends PydanticErrorDetail {
  readonly expected: string
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

// --- lax coercions (pydantic-core `input/shared.rs`) ------------------------------------------

const JSON_INT = /^-?(0|[1-9]\d*)$/
/** `i64::MAX as f64`: floats from 2^63 on do not fit an i64. */
const I64_LIMIT = 2 ** 63

/** `strip_underscores`: `1_000` -> `1000`; leading, trailing or doubled underscores are invalid. */
const stripUnderscores = (s: string): string | undefined =>
  s.startsWith("_") || s.endsWith("_") || !s.includes("_") || s.includes("__") ? undefined : s.replaceAll("_", "")

/** `strip_leading_zeros`: keeps one zero (`000` -> `0`, `00.0` -> `0.0`). */
const stripLeadingZeros = (s: string): string | undefined => {
  if (s[0] !== "0") return /^[1-9-]/.test(s) ? s : undefined
  for (let i = 1; i < s.length; i++) {
    const c = s[i]
    if (c === "0" || c === "_") continue
    if (/[1-9-]/.test(c)) return s.slice(i)
    if (c === ".") return s.slice(i - 1)
    return undefined
  }
  return s.slice(-1)
}

/** `str_as_int`: a JSON int, else the cleaned text (trimmed, `+`, leading zeros, `.000`, `_`). */
const intOfString = (text: string): number | undefined => {
  if (JSON_INT.test(text)) return Number(text)
  let s: string | undefined = text.trim()
  if (s.startsWith("+")) {
    s = s.slice(1)
    if (s.startsWith("-")) return undefined
  }
  const negative = s.startsWith("-")
  if (negative) {
    s = s.slice(1)
    if (s.startsWith("-") || s.startsWith("+")) return undefined
  }
  s = stripLeadingZeros(s)
  if (s === undefined) return undefined
  const dot = s.indexOf(".")
  if (dot >= 0 && /^0+$/.test(s.slice(dot + 1))) s = s.slice(0, dot)
  s = `${negative ? "-" : ""}${stripUnderscores(s) ?? s}`
  return JSON_INT.test(s) ? Number(s) : undefined
}

/** Rust's `f64::from_str` grammar (case-insensitive `inf`, `infinity`, `nan`). */
const RUST_FLOAT = /^[+-]?(?:inf|infinity|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i

const rustFloat = (s: string): number | undefined => {
  if (!RUST_FLOAT.test(s)) return undefined
  const unsigned = s.replace(/^[+-]/, "").toLowerCase()
  const sign = s.startsWith("-") ? -1 : 1
  if (unsigned === "nan") return Number.NaN
  if (unsigned.startsWith("inf")) return sign * Infinity
  return Number(s)
}

/** `str_as_float`: the trimmed text, else the untrimmed text without underscores. */
const floatOfString = (s: string): number | undefined => {
  const direct = rustFloat(s.trim())
  if (direct !== undefined) return direct
  const stripped = stripUnderscores(s)
  return stripped === undefined ? undefined : rustFloat(stripped)
}

const FALSE_WORDS = ["0", "f", "n", "no", "off", "false"]
const TRUE_WORDS = ["1", "t", "y", "on", "yes", "true"]
/** `eq_ignore_ascii_case`: only ASCII letters fold. */
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase())

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATETIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/

const isCalendarDate = (text: string): boolean => {
  const d = new Date(`${text.slice(0, 10)}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text.slice(0, 10)
}

/** `'a', 'b' or 'c'`, as pydantic lists the members of a Literal or Enum. */
const orList = (values: ReadonlyArray<string>): string => {
  const shown = values.map((v) => pyRepr(v))
  return shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(", ")} or ${shown.at(-1)}`
}
const oneOf = (values: ReadonlyArray<string>): string => `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`

const isDict = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !isFloat(v) && !(v instanceof Date)

// --- the validator ---------------------------------------------------------------------------

export interface ValidateOptions {
  /**
   * The ISO text of a date object of the input format (TOML dates), for `date`/`datetime` fields.
   * Only strings are dates otherwise (`json.load` has no dates).
   */
  readonly dateText?: (v: unknown) => string | undefined
  /** Called with every validated dict and its path (valid during the call only: copy it to keep it). */
  readonly onDict?: (dict: PyObject, path: ReadonlyArray<string | number>) => void
}

/** Model values built by `build`, with their model: Python's `isinstance` for nested model fields. */
const instances = new WeakMap<object, ModelDef>()

/** `isinstance(v, model)` (any model when `model` is omitted) for values made by `build`. */
export const isInstance = (v: PyValue | undefined, model?: ModelDef): boolean => {
  const owner = v !== null && typeof v === "object" ? instances.get(v) : undefined
  return owner !== undefined && (model === undefined || owner === model)
}

class Validation {
  readonly issues: ValidationIssue[] = []
  readonly path: Array<string | number> = []
  readonly options: ValidateOptions
  readonly register: boolean
  constructor(options: ValidateOptions, register: boolean) {
    this.options = options
    this.register = register
  }

  /** Records an issue at the current path; the returned placeholder is never used. */
  fail(type: string, msg: string, input: unknown, expected: string): PyValue {
    this.issues.push({ loc: [...this.path], type, msg, input: input as PyValue | undefined, expected })
    return null
  }

  at<A>(segment: string | number, run: () => A): A {
    this.path.push(segment)
    try {
      return run()
    } finally {
      this.path.pop()
    }
  }

  value(type: FieldType, v: unknown): PyValue {
    switch (type.kind) {
      case "str":
        return typeof v === "string" ? v : this.fail("string_type", "Input should be a valid string", v, "a string")
      case "int":
        return this.int(v)
      case "float":
        return this.float(v)
      case "bool":
        return this.bool(v)
      case "date": {
        const text = typeof v === "string" ? v : this.options.dateText?.(v)
        if (text !== undefined && DATE.test(text) && isCalendarDate(text)) return text
        // pydantic's own date messages are longer; no tool builds a date from its arguments.
        return this.fail("date_parsing", "Input should be a valid date in the format YYYY-MM-DD", v, "a date YYYY-MM-DD")
      }
      case "datetime": {
        const text = typeof v === "string" ? v : this.options.dateText?.(v)
        const m = text === undefined ? null : DATETIME.exec(text.replace(/\.000$/, ""))
        if (!m || !isCalendarDate(m[1])) return this.fail("datetime_parsing", "Input should be a valid datetime", v, "a local date-time YYYY-MM-DDTHH:MM:SS")
        // A date alone means midnight (pydantic accepts it for a datetime field).
        return `${m[1]}T${m[2] ?? "00"}:${m[3] ?? "00"}:${m[4] ?? "00"}`
      }
      case "literal":
        if (typeof v === "string" && type.values.includes(v)) return v
        return this.fail(type.enumName ? "enum" : "literal_error", `Input should be ${orList(type.values)}`, v, oneOf(type.values))
      case "optional":
        return v === null ? null : this.value(type.inner, v)
      case "list":
        if (!Array.isArray(v)) return this.fail("list_type", "Input should be a valid list", v, "a list")
        return v.map((item, i) => this.at(i, () => this.value(type.item, item)))
      case "dict": {
        if (!isDict(v)) return this.fail("dict_type", "Input should be a valid dictionary", v, "an object")
        const out: Record<string, PyValue> = {}
        for (const [k, x] of Object.entries(v)) {
          this.at(k, () => {
            const key = this.value(type.key, k)
            out[key as string] = this.value(type.value, x)
          })
        }
        this.options.onDict?.(out, this.path)
        return out
      }
      case "model":
        return this.model(type.model, v)
      case "union": {
        // The upstream unions are "smart" unions whose members differ by one Literal field, so that
        // field decides; a bad one is reported at the tag (pydantic would list every member's errors).
        if (!isDict(v)) return this.fail("model_type", "Input should be a valid dictionary", v, "an object")
        const tags = Object.keys(type.members)
        const tag = v[type.tag]
        const member = typeof tag === "string" && Object.hasOwn(type.members, tag) ? type.members[tag] : undefined
        if (member !== undefined) return this.model(member, v)
        return this.at(type.tag, () =>
          this.fail(
            "union_tag_invalid",
            `Input tag ${pyRepr((tag ?? null) as PyValue)} found using '${type.tag}' does not match any of the expected tags: ${orList(tags)}`,
            tag,
            oneOf(tags),
          ),
        )
      }
    }
  }

  int(v: unknown): PyValue {
    if (typeof v === "number" && Number.isInteger(v)) return v
    if (typeof v === "boolean") return v ? 1 : 0
    // A non-integral JS number only comes from formats without an int/float distinction (TOML).
    if (isFloat(v) || typeof v === "number") {
      const x = isFloat(v) ? v.value : (v as number)
      if (!Number.isFinite(x)) return this.fail("finite_number", "Input should be a finite number", v, "a finite integer")
      if (!Number.isInteger(x)) return this.fail("int_from_float", "Input should be a valid integer, got a number with a fractional part", v, "an integer")
      if (Math.abs(x) >= I64_LIMIT)
        return this.fail("int_parsing_size", "Unable to parse input string as an integer, exceeded maximum size", v, "a 64-bit integer")
      return x === 0 ? 0 : x
    }
    if (typeof v === "string") {
      const n = intOfString(v)
      return n ?? this.fail("int_parsing", "Input should be a valid integer, unable to parse string as an integer", v, "an integer")
    }
    return this.fail("int_type", "Input should be a valid integer", v, "an integer")
  }

  float(v: unknown): PyValue {
    if (isFloat(v)) return v
    if (typeof v === "number") return float(v)
    if (typeof v === "boolean") return float(v ? 1 : 0)
    if (typeof v === "string") {
      const x = floatOfString(v)
      return x === undefined ? this.fail("float_parsing", "Input should be a valid number, unable to parse string as a number", v, "a number") : float(x)
    }
    return this.fail("float_type", "Input should be a valid number", v, "a number")
  }

  bool(v: unknown): PyValue {
    if (typeof v === "boolean") return v
    const unreadable = () => this.fail("bool_parsing", "Input should be a valid boolean, unable to interpret input", v, "a boolean")
    if (typeof v === "string") {
      const word = asciiLower(v)
      if (FALSE_WORDS.includes(word)) return false
      if (TRUE_WORDS.includes(word)) return true
      return unreadable()
    }
    if (typeof v === "number" || isFloat(v)) {
      const x = isFloat(v) ? v.value : v
      // `float_as_int` first: a fractional float is not even a candidate.
      if (!Number.isInteger(x)) return this.fail("bool_type", "Input should be a valid boolean", v, "a boolean")
      return x === 0 ? false : x === 1 ? true : unreadable()
    }
    return this.fail("bool_type", "Input should be a valid boolean", v, "a boolean")
  }

  model(model: ModelDef, v: unknown): PyValue {
    const owner = v !== null && typeof v === "object" ? instances.get(v) : undefined
    if (owner === model) return v as PyObject
    if (owner !== undefined || !isDict(v))
      return this.fail("model_type", `Input should be a valid dictionary or instance of ${model.name}`, v, `an object (${model.name})`)
    const out: Record<string, PyValue> = {}
    for (const f of model.fields) {
      if (Object.hasOwn(v, f.name)) out[f.name] = this.at(f.name, () => this.value(f.type, v[f.name]))
      else if (f.default) out[f.name] = f.default()
      else this.at(f.name, () => this.fail("missing", "Field required", v, `a value (required ${model.name} field)`))
    }
    // pydantic reports the field errors first, then the extra keys in input order.
    if (model.extra === "forbid") {
      for (const key of Object.keys(v)) {
        if (!model.fields.some((f) => f.name === key))
          this.at(key, () => this.fail("extra_forbidden", "Extra inputs are not permitted", v[key], `no such key (${model.name} forbids extra keys)`))
      }
    }
    if (this.register) instances.set(out, model)
    return out
  }
}

/** Validates `input` against a field type: the coerced value, or every issue in pydantic's order. */
export const validate = (
  type: FieldType,
  input: unknown,
  options: ValidateOptions = {},
): { readonly value: PyValue; readonly issues: ReadonlyArray<ValidationIssue> } => {
  const run = new Validation(options, false)
  const value = run.value(type, input)
  return { value, issues: run.issues }
}

/** `Model(**kwargs)`: the model dump (field order, coerced values, defaults), or pydantic's `ValidationError`. */
export const build = (model: ModelDef, kwargs: PyObject): PyObject => {
  const run = new Validation({}, true)
  const value = run.model(model, kwargs)
  if (run.issues.length > 0) throw new PydanticValidationError(model.name, run.issues)
  return value as PyObject
}
