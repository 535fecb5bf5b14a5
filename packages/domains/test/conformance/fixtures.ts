/**
 * Reading the reference's conformance fixtures (`/work/shared/conformance/*.jsonl`, see its README).
 *
 * Every line is parsed with `PyJson.parse` so that `2` and `2.0` stay an int and a float, exactly as
 * the Python reference wrote them.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Op, PyJson, type PyObject, type PyValue, type Requestor } from "@tau-sim/engine"
import { testDataDirs } from "../../testing/locate.ts"

// The suites using this helper declared their needs (needsData); missing folders are placeholders.
const { conformance: CONFORMANCE_DIR } = testDataDirs()

/** One gold call of a fixture line: the expected action plus what the reference returned. */
export interface GoldCall {
  readonly name: string
  readonly arguments: Readonly<Record<string, PyValue>>
  readonly requestor: Requestor
  /** `{json}` when the output string parses as JSON, else `{text}`. */
  readonly output: { readonly json: PyValue } | { readonly text: string }
  readonly error: boolean
}

/** A trajectory message (only the fields the fixtures write). */
export interface FixtureMessage {
  readonly role: "assistant" | "user" | "tool" | "system"
  readonly content?: string | null
  readonly id?: string
  readonly error?: boolean
  readonly requestor?: Requestor
  readonly tool_calls?: ReadonlyArray<{ id: string; name: string; arguments: PyObject; requestor: Requestor }>
}

/** One line of `gold_<domain>.jsonl`. */
export interface GoldLine {
  readonly task_id: string
  readonly domain: string
  readonly gold_calls: ReadonlyArray<GoldCall>
  readonly initial_state_db_patch: ReadonlyArray<Op>
  readonly final_db_patch: ReadonlyArray<Op>
  readonly initial_db_hash?: string
  readonly final_db_hash?: string
  readonly initial_state_user_db_patch?: ReadonlyArray<Op>
  readonly final_user_db_patch?: ReadonlyArray<Op>
  readonly initial_user_db_hash?: string | null
  readonly final_user_db_hash?: string | null
  readonly trajectory: ReadonlyArray<FixtureMessage>
  /** Everything else of the line (reward_info, communicate_message, ...), untyped. */
  readonly [field: string]: unknown
}

/** Parses a JSON Lines file lazily, one PyValue per non-empty line (keeps int/float identity). */
export function* readJsonl(file: string): Generator<PyValue> {
  const text = fs.readFileSync(file, "utf8")
  let start = 0
  let lineNo = 0
  while (start < text.length) {
    let end = text.indexOf("\n", start)
    if (end < 0) end = text.length
    lineNo++
    const line = text.slice(start, end).trim()
    start = end + 1
    if (line === "") continue
    try {
      yield PyJson.parse(line)
    } catch (e) {
      throw new Error(`${file}:${lineNo}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
}

export const goldFixturePath = (domain: string, dir: string = CONFORMANCE_DIR): string => path.join(dir, `gold_${domain}.jsonl`)

/** The lines of `gold_<domain>.jsonl`, lazily. */
export const readGoldFixture = (domain: string, dir?: string): Iterable<GoldLine> =>
  readJsonl(goldFixturePath(domain, dir)) as Iterable<unknown> as Iterable<GoldLine>
