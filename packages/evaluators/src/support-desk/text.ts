/**
 * Reading participants' text the same way in every support-desk rule: case, quotes and stop
 * tokens normalised; numbers as values.
 */

/** Lower case, typographic quotes and dashes made plain, stop tokens (`###STOP###`, ...) removed. */
export const normalise = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, "-")
    .replace(/###[a-z-]+###/g, " ")
    .trim()

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
}
/** "one" is left out: it is far more often a pronoun ("the blue one") than a count. */
export const NUMBER_WORD = Object.keys(NUMBER_WORDS).join("|")

/** The value of a numeral as written: `1,819.92`, `9.5`, `three`. */
export const numeralValue = (written: string): number => NUMBER_WORDS[written.toLowerCase()] ?? Number(written.replace(/,/g, ""))

/**
 * Standalone numerals: not part of a word or id (`L001`, `credit_card_9513926`, `v2`), thousands
 * separators allowed (`$9.50` is 9.5). A trailing full stop is punctuation, not a decimal point.
 */
const NUMERAL = /(?<![\w.#])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w,]|\.\d)|(?<![\w.#])\d+(?:\.\d+)?(?![\w]|\.\d)/g

/** Every standalone number in a text, and number words (two .. twelve). */
export const numbersIn = (text: string): number[] => {
  const out: number[] = []
  for (const m of text.matchAll(NUMERAL)) out.push(numeralValue(m[0]))
  for (const m of text.toLowerCase().matchAll(new RegExp(`\\b(${NUMBER_WORD})\\b`, "g"))) out.push(numeralValue(m[1]))
  return out
}

/** Amounts compared in cents (tool outputs carry floats such as 1819.9199999). */
export const cents = (x: number): number => Math.round(x * 100)
