/**
 * Gold-fixture conformance harness: replays the reference's gold trajectories against one of our
 * domains and lists every place where we differ from the Python reference.
 *
 * API
 * ---
 *   checkGoldFixtures(domainName, loadDomain, options?) -> ConformanceResult
 *     domainName   "mock" | "airline" | "retail" | "telecom": reads `<CONFORMANCE_DIR>/gold_<name>.jsonl`
 *                  (or `options.fixtureFile`).
 *     loadDomain   () => Domain (called once).
 *     options.taskFor(taskId, line)   the task of a line; default: `domain.tasks` by id (telecom
 *                  passes its generator for the 2285 `full` tasks). Returning undefined = mismatch.
 *     options.filter(line)            only check the lines it accepts (e.g. a sample).
 *     options.contextFor(taskId, i)   the ToolContext of gold call i (default: seeded per task/call).
 *     options.checkHashes             also compare tau2's DB hashes (sha256 of sorted-key json.dumps).
 *   -> { domain, tasksChecked, callsChecked, mismatches: Mismatch[], outputModes }
 *
 *   readGoldFixture(domain) / readJsonl(file)   (from ./fixtures.ts) parse lines with PyJson.parse.
 *   reportConformance(result)                   (from ./report.ts) prints the one-line summary.
 *   formatMismatches(result.mismatches)         (from ./report.ts) readable text for assertions.
 *   checkPerturbedOutputs(domainName, loadDomain, options?)  (from ./perturbed.ts) the same output
 *                  and error-flag checks over `perturbed_<domain>.jsonl` (no state checks there).
 *   compareOutput(outcome, recorded)            one output check (exact / json / errorFlagOnly).
 *
 * Per line (= per task):
 *   1. `applyInitialState(domain, task)`; the agent DB (and the user DB, i.e. whatever DB the user
 *      toolkit points at, see `scopeOf`) must equal the loaded DB + `initial_state_db_patch`
 *      (`initial_state_user_db_patch`).
 *   2. every gold call i runs via `executeToolCall(domain, world, {id: "gold_<i>", ...}, ctx)` with
 *      sync on, then `syncWorld` (the fixture driver's `sync_tools()` after every call, failed or
 *      not). The output must be string-identical to the recorded tool message, or (when the
 *      fixture has `output.json`) equal after JSON parsing (key order ignored, 1 == 1.0);
 *      `outputModes` counts which mode matched. The error flag must match. A recorded
 *      Python argument-binding error (CPython text) is compared by its error flag only.
 *   3. after the last call, the DBs must equal the expected after-initial-state DBs + `final_db_patch`
 *      (`final_user_db_patch`).
 *   States are compared with `pyEquals` on materialised DBs; a mismatch names the first differing
 *   JSON path (in the fixtures' patch order).
 *
 * Usage in `<domain>.int.spec.ts`:
 *   const result = checkGoldFixtures("airline", () => loadTau2Domain("airline", TAU2_DATA_DIR))
 *   reportConformance(result)
 *   expect(formatMismatches(result.mismatches)).toEqual("")
 */
import {
  applyAll,
  applyInitialState,
  diff,
  type Domain,
  executeToolCall,
  materialize,
  type Node,
  nodeAt,
  type Op,
  PyJson,
  pyEquals,
  type PyValue,
  scopeOf,
  seededRandom,
  type Side,
  syncWorld,
  type Task,
  type ToolContext,
} from "@tau-sim/engine"
import { tau2DbHash } from "../../src/index.ts"
import { type FixtureMessage, type GoldLine, readGoldFixture, readJsonl } from "./fixtures.ts"

export type MismatchKind = "missing_task" | "initial_state_error" | "initial_state" | "output" | "error_flag" | "final_state" | "db_hash" | "harness_error"

export interface Mismatch {
  readonly taskId: string
  /** Index of the gold call, or null for task-level differences (initial/final state). */
  readonly callIndex: number | null
  readonly tool?: string
  readonly kind: MismatchKind
  /** Which database, for state and hash mismatches. */
  readonly db?: Side
  /** First differing JSON path (states) or a short description. */
  readonly detail: string
  readonly expected?: unknown
  readonly actual?: unknown
}

export interface OutputModes {
  /** Outputs identical to the recorded string. */
  exact: number
  /** Outputs equal only after JSON parsing (key order / number formatting differ). */
  json: number
  /** Recorded Python argument-binding errors: only the error flag was compared. */
  errorFlagOnly: number
}

export interface ConformanceResult {
  readonly domain: string
  readonly tasksChecked: number
  readonly callsChecked: number
  readonly mismatches: ReadonlyArray<Mismatch>
  readonly outputModes: OutputModes
}

export interface ConformanceOptions {
  readonly taskFor?: (taskId: string, line: GoldLine) => Task | undefined
  readonly filter?: (line: GoldLine) => boolean
  readonly contextFor?: (taskId: string, callIndex: number) => ToolContext
  readonly checkHashes?: boolean
  /** Read this file instead of `<CONFORMANCE_DIR>/gold_<domain>.jsonl`. */
  readonly fixtureFile?: string
}

/** CPython's own argument-binding messages (not part of the tools' contract). */
const PYTHON_BINDING_ERROR = /got an unexpected keyword argument|missing \d+ required (positional|keyword-only) arguments?/

export const isPythonBindingError = (output: string): boolean => PYTHON_BINDING_ERROR.test(output)

/** Deterministic per-call context: a string hash of task id and call index seeds the generator. */
export const defaultContext = (taskId: string, callIndex: number): ToolContext => {
  let h = 2166136261
  for (const ch of `${taskId}#${callIndex}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619)
  return { random: seededRandom(h >>> 0) }
}

/** The database one side's toolkit points at, materialised (undefined if the world has none). */
export const dbOf = (world: Node, side: Side): PyValue | undefined => {
  const node = nodeAt(world, [scopeOf(world, side)])
  return node === undefined ? undefined : materialize(node)
}

export { tau2DbHash }

const firstDifference = (expected: PyValue, actual: PyValue): { path: string; expected: unknown; actual: unknown } | undefined => {
  if (pyEquals(expected, actual)) return undefined
  const ops = diff(expected, actual)
  const op = ops[0]
  if (!op) return { path: "", expected: PyJson.toPlain(expected), actual: PyJson.toPlain(actual) }
  const at = (root: PyValue) => {
    const n = nodeAt(
      root,
      op.path === ""
        ? []
        : op.path
            .slice(1)
            .split("/")
            .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~")),
    )
    return n === undefined ? "<absent>" : PyJson.toPlain(materialize(n))
  }
  return { path: op.path || "<root>", expected: at(expected), actual: at(actual) }
}

/** The exact output string the reference produced for gold call `index`. */
const recordedOutput = (line: GoldLine, index: number): { text: string; error: boolean } | undefined => {
  const id = `gold_${index}`
  const message = line.trajectory.find((m: FixtureMessage) => m.role === "tool" && m.id === id)
  if (message && typeof message.content === "string") return { text: message.content, error: message.error ?? false }
  return undefined
}

export const tryParse = (text: string): { ok: true; value: PyValue } | { ok: false } => {
  try {
    return { ok: true, value: PyJson.parse(text) }
  } catch {
    return { ok: false }
  }
}

/** What the reference recorded for one call: the exact text and/or its JSON value (undefined: not recorded), and the error flag. */
export interface RecordedOutput {
  readonly text?: string | undefined
  readonly json?: PyValue | undefined
  readonly error: boolean
}

type OutputVerdict = keyof OutputModes | Pick<Mismatch, "kind" | "detail" | "expected" | "actual">

/** Compares one call outcome with the reference's record; returns the matching mode or the difference. */
export const compareOutput = (outcome: { output: string; error: boolean }, recorded: RecordedOutput): OutputVerdict => {
  const expectedShown = recorded.text ?? (recorded.json === undefined ? undefined : PyJson.toPlain(recorded.json))
  if (outcome.error !== recorded.error)
    return { kind: "error_flag", detail: `error flag ${outcome.error}, expected ${recorded.error}`, expected: expectedShown, actual: outcome.output }
  if (recorded.text !== undefined && outcome.output === recorded.text) return "exact"
  if (recorded.error && recorded.text !== undefined && isPythonBindingError(recorded.text)) return "errorFlagOnly"
  if (recorded.json !== undefined) {
    const ours = tryParse(outcome.output)
    if (ours.ok && pyEquals(ours.value, recorded.json)) return "json"
  }
  return { kind: "output", detail: "output differs", expected: expectedShown, actual: outcome.output }
}

export const checkGoldFixtures = (domainName: string, loadDomain: () => Domain, options: ConformanceOptions = {}): ConformanceResult => {
  const domain = loadDomain()
  const tasksById = new Map(domain.tasks.map((t) => [t.id, t]))
  const taskFor = options.taskFor ?? ((id: string) => tasksById.get(id))
  const contextFor = options.contextFor ?? defaultContext
  const lines = options.fixtureFile ? (readJsonl(options.fixtureFile) as Iterable<unknown> as Iterable<GoldLine>) : readGoldFixture(domainName)

  const mismatches: Mismatch[] = []
  const outputModes: OutputModes = { exact: 0, json: 0, errorFlagOnly: 0 }
  let tasksChecked = 0
  let callsChecked = 0
  const sides: ReadonlyArray<Side> = domain.userToolkit ? ["agent", "user"] : ["agent"]
  const loaded = new Map(sides.map((s) => [s, dbOf(domain.initialWorld, s)]))

  const patchOf = (line: GoldLine, side: Side, stage: "initial" | "final"): ReadonlyArray<Op> | undefined =>
    side === "agent"
      ? stage === "initial"
        ? line.initial_state_db_patch
        : line.final_db_patch
      : stage === "initial"
        ? line.initial_state_user_db_patch
        : line.final_user_db_patch
  const hashOf = (line: GoldLine, side: Side, stage: "initial" | "final"): string | null | undefined =>
    side === "agent"
      ? stage === "initial"
        ? line.initial_db_hash
        : line.final_db_hash
      : stage === "initial"
        ? line.initial_user_db_hash
        : line.final_user_db_hash

  /** Compares our DBs with `before + patch`; returns the expected DBs for the next stage. */
  const checkStates = (
    line: GoldLine,
    stage: "initial" | "final",
    before: ReadonlyMap<Side, PyValue | undefined>,
    world: Node,
  ): Map<Side, PyValue | undefined> => {
    const expectedNow = new Map<Side, PyValue | undefined>()
    for (const side of sides) {
      const patch = patchOf(line, side, stage)
      const base = before.get(side)
      const ours = dbOf(world, side)
      expectedNow.set(side, ours)
      if (patch === undefined || base === undefined) continue
      let expected: PyValue
      try {
        expected = materialize(applyAll(base, patch))
      } catch (e) {
        mismatches.push({
          taskId: line.task_id,
          callIndex: null,
          kind: stage === "initial" ? "initial_state" : "final_state",
          db: side,
          detail: `the fixture's ${stage} patch does not apply to our expected ${side} DB: ${(e as Error).message}`,
        })
        continue
      }
      expectedNow.set(side, expected)
      const difference = ours === undefined ? { path: "<root>", expected: "<db>", actual: "<absent>" } : firstDifference(expected, ours)
      if (difference) {
        mismatches.push({
          taskId: line.task_id,
          callIndex: null,
          kind: stage === "initial" ? "initial_state" : "final_state",
          db: side,
          detail: `${side} DB differs at ${difference.path}`,
          expected: difference.expected,
          actual: difference.actual,
        })
      }
      const hash = hashOf(line, side, stage)
      const ourHash = options.checkHashes && typeof hash === "string" && ours !== undefined ? tau2DbHash(ours) : undefined
      if (ourHash !== undefined && ourHash !== hash) {
        mismatches.push({
          taskId: line.task_id,
          callIndex: null,
          kind: "db_hash",
          db: side,
          detail: `${stage} ${side} DB hash differs`,
          expected: hash,
          actual: ourHash,
        })
      }
    }
    // A user-DB patch for a domain without a user toolkit means we lack the user side.
    if (!domain.userToolkit && patchOf(line, "user", stage)?.length) {
      mismatches.push({ taskId: line.task_id, callIndex: null, kind: "final_state", db: "user", detail: "fixture changes a user DB but the domain has none" })
    }
    return expectedNow
  }

  for (const line of lines) {
    if (options.filter && !options.filter(line)) continue
    tasksChecked++
    const taskId = line.task_id
    const task = taskFor(taskId, line)
    if (!task) {
      mismatches.push({ taskId, callIndex: null, kind: "missing_task", detail: `task ${taskId} not found` })
      continue
    }
    let world: Node
    try {
      world = applyInitialState(domain, task).world
    } catch (e) {
      mismatches.push({ taskId, callIndex: null, kind: "initial_state_error", detail: String((e as Error).message ?? e) })
      continue
    }
    const afterInit = checkStates(line, "initial", loaded, world)

    line.gold_calls.forEach((call, i) => {
      callsChecked++
      let outcome: ReturnType<typeof executeToolCall>
      try {
        outcome = executeToolCall(
          domain,
          world,
          { id: `gold_${i}`, name: call.name, arguments: call.arguments, requestor: call.requestor },
          contextFor(taskId, i),
          { sync: true },
        )
      } catch (e) {
        mismatches.push({ taskId, callIndex: i, tool: call.name, kind: "harness_error", detail: `executeToolCall threw: ${(e as Error).stack ?? e}` })
        return
      }
      // The fixture driver runs sync_tools() after every call, also after a failed one.
      world = syncWorld(domain, outcome.world).world
      const recorded = recordedOutput(line, i)
      const expected: RecordedOutput = {
        text: recorded?.text ?? ("text" in call.output ? call.output.text : undefined),
        json: "json" in call.output ? call.output.json : undefined,
        error: call.error,
      }
      const verdict = compareOutput(outcome, expected)
      if (typeof verdict === "string") outputModes[verdict]++
      else mismatches.push({ taskId, callIndex: i, tool: call.name, ...verdict })
    })

    checkStates(line, "final", afterInit, world)
  }

  return { domain: domainName, tasksChecked, callsChecked, mismatches, outputModes }
}
