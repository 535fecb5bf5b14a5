/**
 * `grounded_claims`: are the facts the agent states backed by something it was told earlier?
 *
 * Claims: the checkable facts (`factsIn`: amounts, dates, ids, counts, durations) of every text the
 * agent wrote itself (not the task's message history), each (kind, value) once per message.
 *
 * Sources, earlier in the episode than the message: the policy the agent was given, the task's
 * message history, the user's messages, and the outputs of the agent's own tool calls (the user's
 * tool outputs are on the user's device, which the agent does not see). Numbers of sources are
 * their standalone numerals (dates excluded) and number words; their dates are found as in claims;
 * a JSON tool output also gives the length of each of its lists.
 *
 * A claim is grounded when:
 * - id: it occurs, case-insensitively, in a source text (`W2378156` in `#W2378156`, `9513926` in
 *   `credit_card_9513926`);
 * - amount: it equals a source number, or the sum or difference of two (to the cent);
 * - count: as an amount, or it is the length of a list in a tool output;
 * - duration: as an amount, or (days, weeks) it is the distance between two source dates;
 * - date: it is a source date, or a source date plus or minus a source number of days; a date
 *   without a year matches the same month and day.
 *
 * The score is grounded / claims; null when the agent stated no checkable fact.
 */
import { isObject, PyJson, type PyValue } from "@tau-sim/engine"
import { Schema } from "effect"
import { hasTextContent } from "../messages.ts"
import type { SupportDeskEpisode } from "./episode.ts"
import { DATE_PATTERNS, dayNumber, extractWith, type Fact, FACT_KINDS, factsIn } from "./facts.ts"
import { cents, numbersIn } from "./text.ts"

export const Claim = Schema.Struct({
  turn: Schema.Int,
  seq: Schema.NullOr(Schema.Int),
  kind: Schema.Literals(FACT_KINDS),
  /** As the agent wrote it. */
  text: Schema.String,
  /** Normalised (see `factsIn`). */
  value: Schema.String,
})
export type Claim = typeof Claim.Type

export const GroundedClaims = Schema.Struct({
  /** grounded / claims; null when there is no checkable claim. */
  score: Schema.NullOr(Schema.Number),
  claims: Schema.Int,
  grounded: Schema.Int,
  ungrounded: Schema.Array(Claim),
})
export type GroundedClaims = typeof GroundedClaims.Type

/** What the agent had been told so far. */
class Sources {
  private readonly texts: string[] = []
  /** In cents. */
  private readonly numbers = new Set<number>()
  private readonly lengths = new Set<number>()
  private readonly dates = new Set<string>()
  private readonly monthDays = new Set<string>()

  add(text: string): void {
    this.texts.push(text.toLowerCase())
    const { facts, rest } = extractWith(text, DATE_PATTERNS)
    for (const f of facts) {
      if (f.value.startsWith("--")) this.monthDays.add(f.value.slice(2))
      else {
        this.dates.add(f.value)
        this.monthDays.add(f.value.slice(5))
      }
    }
    for (const n of numbersIn(rest)) this.numbers.add(cents(n))
    const json = parseJson(text)
    if (json !== undefined) this.addLengths(json)
  }

  private addLengths(v: PyValue): void {
    if (Array.isArray(v)) {
      this.lengths.add(v.length)
      for (const x of v) this.addLengths(x)
    } else if (isObject(v)) for (const x of Object.values(v)) this.addLengths(x)
  }

  /** A source number, or the sum or difference of two (in cents). */
  private arithmetic(c: number): boolean {
    if (this.numbers.has(c)) return true
    for (const a of this.numbers) if (this.numbers.has(c - a) || this.numbers.has(a - c)) return true
    return false
  }

  private dateWithin(day: number): boolean {
    for (const d of this.dates) {
      const distance = Math.abs(day - dayNumber(d))
      if (this.numbers.has(cents(distance))) return true
    }
    return false
  }

  grounds(f: Fact): boolean {
    switch (f.kind) {
      case "id":
        return this.texts.some((t) => t.includes(f.value))
      case "amount":
        return this.arithmetic(cents(f.n ?? Number.NaN))
      case "count":
        return this.lengths.has(f.n ?? -1) || this.arithmetic(cents(f.n ?? Number.NaN))
      case "duration": {
        if (this.arithmetic(cents(f.n ?? Number.NaN))) return true
        const perUnit = f.unit === "day" ? 1 : f.unit === "week" ? 7 : 0
        if (perUnit === 0) return false
        const days = [...this.dates].map(dayNumber)
        return days.some((a) => days.some((b) => b - a === (f.n ?? 0) * perUnit))
      }
      case "date": {
        if (f.value.startsWith("--")) {
          const md = f.value.slice(2)
          if (this.monthDays.has(md)) return true
          // Without a year: read it in the year of each source date.
          return [...this.dates].some((d) => this.dateWithin(dayNumber(`${d.slice(0, 4)}-${md}`)))
        }
        return this.dates.has(f.value) || this.dateWithin(dayNumber(f.value))
      }
    }
  }
}

const parseJson = (text: string): PyValue | undefined => {
  if (!/^\s*[[{]/.test(text)) return undefined
  try {
    return PyJson.parse(text)
  } catch {
    return undefined
  }
}

export const groundedClaims = (episode: SupportDeskEpisode): GroundedClaims => {
  const sources = new Sources()
  sources.add(episode.policy)
  const ungrounded: Claim[] = []
  let claims = 0
  for (const [turn, m] of episode.messages.entries()) {
    const setup = episode.setup[turn]
    if (m.role === "assistant" && !setup && hasTextContent(m)) {
      for (const f of factsIn(m.content ?? "")) {
        claims++
        if (!sources.grounds(f)) ungrounded.push({ turn, seq: episode.seqs[turn] ?? null, kind: f.kind, text: f.text, value: f.value })
      }
    }
    // What the agent was told: history, the user's words, its own tools' outputs.
    const told = setup || m.role === "user" || (m.role === "tool" && m.requestor === "assistant")
    if (told && m.content !== null) sources.add(m.content)
  }
  return { score: claims === 0 ? null : (claims - ungrounded.length) / claims, claims, grounded: claims - ungrounded.length, ungrounded }
}
