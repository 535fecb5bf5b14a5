/**
 * The price table we keep (USD per million tokens, list prices as published by the providers,
 * as of `PRICE_TABLE_VERSION`; prompt-cache discounts are not modelled, so costs are upper bounds).
 * A dated model id (`gpt-4.1-2025-04-14`, `claude-sonnet-4-5-20250929`) is priced as its longest
 * listed prefix. A model with no price has an unknown cost (`costOf` is null, the recorded call's
 * response says `pricing: null`), never 0. Users add or override prices with a price file or
 * `--price` entries (`parsePriceFile`, `parsePriceEntry`), recorded with the run.
 */
import * as fs from "node:fs"
import { Schema } from "effect"
import { parseDocument } from "yaml"

/** The date of the prices below (bump it with any change, so that a recorded run says which table it used). */
export const PRICE_TABLE_VERSION = "tau-sim-2025-11-24"

export interface Price {
  readonly inputPerMTok: number
  readonly outputPerMTok: number
}

const p = (inputPerMTok: number, outputPerMTok: number): Price => ({ inputPerMTok, outputPerMTok })

export const PRICES: Readonly<Record<string, Price>> = {
  // OpenAI
  "gpt-4.1": p(2, 8),
  "gpt-4.1-mini": p(0.4, 1.6),
  "gpt-4.1-nano": p(0.1, 0.4),
  "gpt-4o": p(2.5, 10),
  "gpt-4o-mini": p(0.15, 0.6),
  "gpt-5": p(1.25, 10),
  "gpt-5-mini": p(0.25, 2),
  "gpt-5-nano": p(0.05, 0.4),
  o1: p(15, 60),
  o3: p(2, 8),
  "o3-mini": p(1.1, 4.4),
  "o4-mini": p(1.1, 4.4),
  // Anthropic
  "claude-opus-4-5": p(5, 25),
  "claude-opus-4-1": p(15, 75),
  "claude-opus-4": p(15, 75),
  "claude-sonnet-4-5": p(3, 15),
  "claude-sonnet-4": p(3, 15),
  "claude-3-7-sonnet": p(3, 15),
  "claude-3-5-sonnet": p(3, 15),
  "claude-haiku-4-5": p(1, 5),
  "claude-3-5-haiku": p(0.8, 4),
  "claude-3-haiku": p(0.25, 1.25),
}

/** The price of `model` (also tried without a router prefix such as `openai/`), or null. */
export const priceOf = (model: string, table: Readonly<Record<string, Price>> = PRICES): Price | null => {
  const candidates = model.includes("/") ? [model, model.slice(model.lastIndexOf("/") + 1)] : [model]
  for (const name of candidates) {
    if (table[name]) return table[name]
    let best: string | null = null
    for (const key of Object.keys(table)) {
      if (name.startsWith(`${key}-`) && (best === null || key.length > best.length)) best = key
    }
    if (best !== null) return table[best]
  }
  return null
}

/** USD for `usage` at `price`; null when the price is unknown (never 0: an unpriced call is not free). */
export const costOf = (price: Price | null, usage: { readonly promptTokens: number; readonly completionTokens: number }): number | null =>
  price === null ? null : (usage.promptTokens * price.inputPerMTok + usage.completionTokens * price.outputPerMTok) / 1_000_000

/** Prices a user gave, by model name as the table keys them (they override the table's). */
export type UserPrices = Readonly<Record<string, Price>>

/** The table with the user's prices over it. */
export const withUserPrices = (user: UserPrices, table: Readonly<Record<string, Price>> = PRICES): Readonly<Record<string, Price>> => ({ ...table, ...user })

/** A price file or `--price` entry that cannot be used; `key` is the model (or field) it is about. */
export class PriceFileError extends Schema.TaggedError<PriceFileError>()("PriceFileError", {
  /** The file, or `--price` for a flag entry. */
  source: Schema.String,
  key: Schema.NullOr(Schema.String),
  problem: Schema.String,
}) {
  override get message(): string {
    return `${this.source}${this.key === null ? "" : `: ${this.key}`}: ${this.problem}`
  }
}

const isPrice = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n >= 0

const FIELDS = ["input_per_mtok", "output_per_mtok"] as const
const FILE_SHAPE = '{ "<model>": { "input_per_mtok": <USD>, "output_per_mtok": <USD> } }'

/**
 * The prices of a price file's text (JSON or YAML): `{ "<model>": { "input_per_mtok": n,
 * "output_per_mtok": n } }`, USD per million tokens, each ≥ 0. Anything else is a `PriceFileError`
 * naming the file and the model or field.
 */
export const parsePriceFile = (source: string, text: string): UserPrices => {
  const doc = parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length > 0) throw new PriceFileError({ source, key: null, problem: `not JSON or YAML (${doc.errors[0].message.split("\n")[0]})` })
  const value: unknown = doc.toJS()
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new PriceFileError({ source, key: null, problem: `expected ${FILE_SHAPE}` })
  const out: Record<string, Price> = {}
  for (const [model, entry] of Object.entries(value)) {
    if (model.trim() === "") throw new PriceFileError({ source, key: JSON.stringify(model), problem: "a model name cannot be empty" })
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new PriceFileError({ source, key: model, problem: 'expected { "input_per_mtok": <USD>, "output_per_mtok": <USD> }' })
    }
    const fields = entry as Record<string, unknown>
    const extra = Object.keys(fields).filter((k) => !(FIELDS as ReadonlyArray<string>).includes(k))
    if (extra.length > 0) throw new PriceFileError({ source, key: `${model}.${extra[0]}`, problem: `unknown field (the fields are ${FIELDS.join(", ")})` })
    for (const f of FIELDS) {
      if (!isPrice(fields[f]))
        throw new PriceFileError({
          source,
          key: `${model}.${f}`,
          problem: `expected a number ≥ 0 (USD per million tokens), got ${JSON.stringify(fields[f]) ?? "nothing"}`,
        })
    }
    out[model] = p(fields.input_per_mtok as number, fields.output_per_mtok as number)
  }
  return out
}

/** `parsePriceFile` of a file on disk; a file that cannot be read is a `PriceFileError` too. */
export const readPriceFile = (file: string): UserPrices => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    throw new PriceFileError({ source: file, key: null, problem: `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})` })
  }
  return parsePriceFile(file, text)
}

/** A `--price <model>=<input>,<output>` entry (USD per million tokens). */
export const parsePriceEntry = (entry: string): readonly [string, Price] => {
  const eq = entry.lastIndexOf("=")
  const model = eq < 0 ? "" : entry.slice(0, eq).trim()
  const parts = eq < 0 ? [] : entry.slice(eq + 1).split(",")
  const numbers = parts.map((x) => (x.trim() === "" ? Number.NaN : Number(x)))
  if (model === "" || numbers.length !== 2 || !numbers.every(isPrice)) {
    throw new PriceFileError({
      source: "--price",
      key: model === "" ? JSON.stringify(entry) : model,
      problem: `expected <model>=<input USD per million tokens>,<output USD per million tokens> with numbers ≥ 0, e.g. gpt-4.1=2,8; got ${JSON.stringify(entry)}`,
    })
  }
  return [model, p(numbers[0], numbers[1])]
}

/** User prices in the form a run records them (and a price file has). */
export const recordedPrices = (user: UserPrices): Record<string, { input_per_mtok: number; output_per_mtok: number }> =>
  Object.fromEntries(
    Object.keys(user)
      .sort()
      .map((m) => [m, { input_per_mtok: user[m].inputPerMTok, output_per_mtok: user[m].outputPerMTok }]),
  )

/** Recorded prices back as user prices. */
export const pricesOfRecord = (recorded: Readonly<Record<string, { readonly input_per_mtok: number; readonly output_per_mtok: number }>>): UserPrices =>
  Object.fromEntries(Object.entries(recorded).map(([m, r]) => [m, p(r.input_per_mtok, r.output_per_mtok)]))
