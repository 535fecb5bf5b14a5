/**
 * Checkable facts in a text: dates, amounts, durations, counts and ids, found by fixed patterns,
 * each consumed before the next kind is looked for (so `2025-03-20` is one date, not numbers).
 *
 * - date: ISO `2025-03-20` (a time after it is part of it), `March 20, 2025`, `20 March 2025`;
 *   without a year (`March 20`) the value is `--03-20`.
 * - amount: `$9.50`, `USD 9.50`, `9.50 dollars`, or a bare number with exactly two decimals (`1819.92`).
 * - duration: a number (digits or two..twelve) followed by minute/hour/day/week/month/year(s),
 *   optionally "business"/"working"/"calendar" in between.
 * - count: an integer below 1000 (digits or two..twelve) followed by a word that is not a
 *   preposition, article, unit or `%` (`3 items`, `two other orders`).
 * - id: a token of at least 3 characters with a digit and a letter, `#` or `_` (`L001`, `#W2378156`,
 *   `credit_card_9513926`), or of at least 5 digits (item ids, zips); not a numeral with a unit
 *   suffix (`5GB`, `10am`, `2nd`).
 */
import { NUMBER_WORD, numeralValue } from "./text.ts"

export const FACT_KINDS = ["amount", "date", "id", "count", "duration"] as const
export type FactKind = (typeof FACT_KINDS)[number]

export interface Fact {
  readonly kind: FactKind
  /** As written. */
  readonly text: string
  /** Normalised: ISO date (`--MM-DD` without a year), number, `N unit`, or lower-case id without `#`. */
  readonly value: string
  /** The number of an amount, count or duration. */
  readonly n?: number
  readonly unit?: string
  /** Where it starts in the text. */
  readonly at: number
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
const MONTH = "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
const ORD = "(?:st|nd|rd|th)?"
const NUM = "\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?"
const COUNTABLE = `\\d+|${NUMBER_WORD}`

const pad = (n: number) => String(n).padStart(2, "0")
const monthNo = (name: string) => MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1
const validDay = (m: number, d: number) => m >= 1 && m <= 12 && d >= 1 && d <= 31

interface Pattern {
  readonly kind: FactKind
  readonly re: RegExp
  /** The fact of a match, or undefined to leave the match alone. */
  readonly fact: (m: RegExpMatchArray) => Omit<Fact, "kind" | "text" | "at"> | undefined
}

const date = (y: string | undefined, m: number, d: number) =>
  validDay(m, d) ? { value: y === undefined ? `--${pad(m)}-${pad(d)}` : `${y}-${pad(m)}-${pad(d)}` } : undefined

export const DATE_PATTERNS: ReadonlyArray<Pattern> = [
  { kind: "date", re: /\b(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\b/g, fact: (m) => date(m[1], Number(m[2]), Number(m[3])) },
  { kind: "date", re: new RegExp(`\\b${MONTH}\\.? (\\d{1,2})${ORD}(?:,? (\\d{4}))?\\b`, "gi"), fact: (m) => date(m[3], monthNo(m[1]), Number(m[2])) },
  { kind: "date", re: new RegExp(`\\b(\\d{1,2})${ORD} (?:of )?${MONTH}\\.?(?:,? (\\d{4}))?\\b`, "gi"), fact: (m) => date(m[3], monthNo(m[2]), Number(m[1])) },
]

const amount = (written: string) => {
  const n = numeralValue(written)
  return { value: String(n), n }
}

const NOT_COUNTED =
  /^(?:to|and|or|of|in|on|at|by|for|from|with|than|the|a|an|is|are|was|were|be|per|percent|am|pm|x|minutes?|hours?|days?|weeks?|months?|years?|business|working|calendar|dollars?|usd|cents?)$/

const PATTERNS: ReadonlyArray<Pattern> = [
  ...DATE_PATTERNS,
  { kind: "amount", re: new RegExp(`(?:\\$|\\busd ?|\\bus\\$ ?)(${NUM})`, "gi"), fact: (m) => amount(m[1]) },
  { kind: "amount", re: new RegExp(`(?<![\\w.#])(${NUM}) ?(?:dollars|usd)\\b`, "gi"), fact: (m) => amount(m[1]) },
  { kind: "amount", re: /(?<![\w.#])(\d+\.\d{2})(?![\w]|\.\d)/g, fact: (m) => amount(m[1]) },
  {
    kind: "duration",
    re: new RegExp(`(?<![\\w.#])(${COUNTABLE}) (?:(?:business|working|calendar) )?(minute|hour|day|week|month|year)s?\\b`, "gi"),
    fact: (m) => {
      const n = numeralValue(m[1])
      const unit = m[2].toLowerCase()
      return { value: `${n} ${unit}`, n, unit }
    },
  },
  {
    kind: "count",
    re: new RegExp(`(?<![\\w.#$,])(${COUNTABLE})(?![\\w.,]\\d) ([a-z%]+)`, "gi"),
    fact: (m) => {
      const n = numeralValue(m[1])
      if (!Number.isInteger(n) || n >= 1000 || NOT_COUNTED.test(m[2].toLowerCase()) || m[2] === "%") return undefined
      return { value: String(n), n }
    },
  },
  {
    kind: "id",
    re: /(?<![\w#])#?[a-z0-9][a-z0-9_-]*[a-z0-9]/gi,
    fact: (m) => {
      const token = m[0]
      if (token.replace("#", "").length < 3 || !/\d/.test(token)) return undefined
      if (/^\d+(?:\.\d+)?[a-z]{1,3}$/i.test(token)) return undefined
      if (!/[a-z#_]/i.test(token) && token.replace(/\D/g, "").length < 5) return undefined
      return { value: token.replace(/^#/, "").toLowerCase() }
    },
  },
]

/** Blanks the consumed spans (same length), so that later patterns do not see them. */
const blank = (text: string, from: number, length: number) => text.slice(0, from) + " ".repeat(length) + text.slice(from + length)

/** Runs patterns over a text in order, each on what the earlier ones left; returns the facts and the rest. */
export const extractWith = (text: string, patterns: ReadonlyArray<Pattern>): { facts: Fact[]; rest: string } => {
  const facts: Fact[] = []
  let rest = text
  for (const p of patterns) {
    for (const m of [...rest.matchAll(p.re)]) {
      const fact = p.fact(m)
      if (fact === undefined) continue
      facts.push({ kind: p.kind, text: m[0], at: m.index ?? 0, ...fact })
      rest = blank(rest, m.index ?? 0, m[0].length)
    }
  }
  return { facts, rest }
}

/** The checkable facts of a text in the order written, each (kind, value) once. */
export const factsIn = (text: string): Fact[] => {
  const seen = new Set<string>()
  const { facts } = extractWith(text.replace(/###[A-Z-]+###/g, " "), PATTERNS)
  return facts
    .sort((a, b) => a.at - b.at)
    .filter((f) => {
      const key = `${f.kind}\u0000${f.value}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
}

/** Days since the epoch of an ISO date. */
export const dayNumber = (iso: string): number => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / 86_400_000
