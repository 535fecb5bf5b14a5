/**
 * The telecom domain's fixed clock and the few `datetime.date` operations its tools use. Dates are
 * ISO `YYYY-MM-DD` strings, as in the database JSON.
 */

/** The reference's `get_today()`: the scenario is frozen on 2025-02-25. */
export const TODAY = "2025-02-25"

const parse = (iso: string): Date => new Date(`${iso}T00:00:00Z`)
const format = (d: Date): string => d.toISOString().slice(0, 10)

/** `d + timedelta(days=n)`. */
export const addDays = (iso: string, n: number): string => {
  const d = parse(iso)
  d.setUTCDate(d.getUTCDate() + n)
  return format(d)
}

/** `d.replace(day=1)`. */
export const firstOfMonth = (iso: string): string => `${iso.slice(0, 8)}01`

/** `d.replace(year=y, month=m)` for a first-of-month date. */
const withMonth = (year: number, month: number): string => `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-01`

/** First day of the month after `iso` (the reference: `replace(day=1) + 32 days`, then `replace(day=1)`). */
export const firstOfNextMonth = (iso: string): string => firstOfMonth(addDays(firstOfMonth(iso), 32))

/** Last day of the month of `iso`. */
export const lastOfMonth = (iso: string): string => {
  const year = Number(iso.slice(0, 4))
  const month = Number(iso.slice(5, 7))
  return addDays(month < 12 ? withMonth(year, month + 1) : withMonth(year + 1, 1), -1)
}

/** Last day of the month before `iso`. */
export const lastOfPreviousMonth = (iso: string): string => addDays(firstOfMonth(iso), -1)

/** A pydantic `datetime` as Python's `str()` renders it inside tool outputs (`default=str`). */
export const datetimeStr = (iso: string): string => iso.replace("T", " ")
