/**
 * Property: for random scripted sessions on the demo domain (valid, invalid and unknown tool calls
 * from both sides, broken argument JSON, text turns, stops), the world rebuilt from the stored
 * events at every seq equals the world the live tool executions produced, `verifyEpisode` passes,
 * and tampering with any stored tool execution is caught at exactly that seq, both by the hash
 * chain and by re-execution.
 */
import {
  type EpisodeEvent,
  materialize,
  type PyObject,
  PyJson,
  pyEquals,
  type PyValue,
  scriptedParticipant,
  type ParticipantTurn,
  type ProposedToolCall,
} from "@tau-sim/engine"
import { Result } from "effect"
import fc from "fast-check"
import { afterAll, describe, expect, it } from "vitest"
import { type DeterminismViolation, findingRecord, statesOf, verifyEpisode } from "../../src/replay.ts"
import { domain, driveRecordingLiveWorld, overwriteEventBody, rawRows, readStored, startedEvent, tempDir, withStore } from "./harness.ts"

const tmp = tempDir("replay-property")
afterAll(tmp.dispose)

const base = materialize(domain.initialWorld) as PyObject
const agentDb = base.agent as PyObject
const memberIds = Object.keys(agentDb.members as PyObject)
const emails = Object.values(agentDb.members as PyObject).map((m) => String((m as PyObject).email))
const loanIds = Object.keys(agentDb.loans as PyObject)
const bookIds = Object.keys(agentDb.books as PyObject)
// Write tools twice as likely: they are the ones that change the world.
const agentTools = domain.agentToolkit.tools.flatMap((t) => (t.kind === "write" ? [t.name, t.name] : [t.name]))
const userTools = (domain.userToolkit?.tools ?? []).map((t) => t.name)

// ---- generators: argument JSON as raw text, so floats (`2.0`) and broken JSON survive as written.

const quoted = (s: string) => JSON.stringify(s)
const idText = (ids: ReadonlyArray<string>, missing: string) =>
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: fc.constant(missing) }).map(quoted)
const amountText = fc.oneof(
  fc.integer({ min: -2, max: 15 }).map(String),
  fc.integer({ min: 0, max: 60 }).map((n) => (n / 4).toFixed(n % 4 === 0 ? 1 : 2)), // 2.0, 2.25, 2.5 ...
  fc.constantFrom("9.5", "7.5", "0.0", "1e-05", '"5"', "null", "true"),
)
/** A valid value for each known parameter name. */
const paramValue: Record<string, fc.Arbitrary<string>> = {
  member_id: idText(memberIds, "M999"),
  loan_id: idText(loanIds, "L999"),
  book_id: idText(bookIds, "B999"),
  email: fc
    .oneof(
      fc.constantFrom(...emails),
      fc.constantFrom(...emails).map((e) => e.toUpperCase()),
      fc.constant("nobody@example.org"),
    )
    .map(quoted),
  query: fc.oneof(fc.constantFrom("river", "Stone", "garcia", "zzz", ""), fc.string({ maxLength: 4 })).map(quoted),
  amount: amountText,
  summary: fc.string({ maxLength: 12 }).map(quoted),
}
const paramsOf = (name: string): string[] =>
  [...domain.agentToolkit.tools, ...(domain.userToolkit?.tools ?? [])].find((t) => t.name === name)?.params.map((p) => p.name) ?? []

const objectText = (entries: ReadonlyArray<readonly [string, string]>) => `{${entries.map(([k, v]) => `${quoted(k)}: ${v}`).join(", ")}}`

const argumentsFor = (name: string): fc.Arbitrary<string> => {
  const params = paramsOf(name)
  const valid = params.length === 0 ? fc.constant("{}") : fc.tuple(...params.map((p) => paramValue[p].map((v) => [p, v] as const))).map(objectText)
  return fc.oneof(
    { weight: 6, arbitrary: valid },
    // Missing or unexpected arguments (Python binding errors).
    { weight: 1, arbitrary: valid.map((t) => (t === "{}" ? '{"extra": 1}' : t.replace(/^\{"[^"]*": [^,}]*(, )?/, "{"))) },
    { weight: 1, arbitrary: valid.map((t) => (t === "{}" ? '{"x": null}' : t.replace(/\}$/, ', "unexpected": 2.0}'))) },
    // Any JSON object, and text that is not a JSON object at all.
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("member_id", "loan_id", "a"), fc.jsonValue({ maxDepth: 1 })).map((o) => JSON.stringify(o)) },
    { weight: 1, arbitrary: fc.constantFrom("{", "", "null", "[1, 2]", '"text"', '{"member_id": }', "{'a': 1}", "nope") },
  )
}

const toolCall = (names: ReadonlyArray<string>): fc.Arbitrary<ProposedToolCall> =>
  fc
    .oneof({ weight: 8, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constantFrom("no_such_tool", "") })
    .chain((name) => argumentsFor(name).map((argumentsJson) => ({ name, argumentsJson })))

const chatter = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("Hi.", "Please renew my loan.", "Done.", "What is due?", "Thanks") },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
)
const agentTurn: fc.Arbitrary<ParticipantTurn> = fc.oneof(
  { weight: 3, arbitrary: chatter.map((text) => ({ text, toolCalls: [] })) },
  { weight: 6, arbitrary: fc.array(toolCall([...agentTools, "log_in"]), { minLength: 1, maxLength: 3 }).map((toolCalls) => ({ text: null, toolCalls })) },
  // Text beside tool calls goes to the environment, never to the user.
  { weight: 1, arbitrary: fc.tuple(chatter, toolCall(agentTools)).map(([text, c]) => ({ text, toolCalls: [c] })) },
  { weight: 1, arbitrary: fc.constant({ text: "All done. ###STOP###", toolCalls: [] }) },
)
const userTurn: fc.Arbitrary<ParticipantTurn> = fc.oneof(
  { weight: 3, arbitrary: chatter.map((text) => ({ text, toolCalls: [] })) },
  {
    weight: 3,
    arbitrary: fc.array(toolCall([...userTools, "find_member_by_email"]), { minLength: 1, maxLength: 2 }).map((toolCalls) => ({ text: null, toolCalls })),
  },
)
const stopTurn = fc.constantFrom("###STOP###", "Bye ###TRANSFER###", "###OUT-OF-SCOPE###").map((text) => ({ text, toolCalls: [] }))

const session = fc.record({
  taskId: fc.constantFrom(...domain.tasks.map((t) => t.id)),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  maxSteps: fc.integer({ min: 3, max: 50 }),
  maxErrors: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 6, max: 12 })),
  // The agent opens with tool calls so that almost every episode has something to tamper with.
  agent: fc
    .tuple(
      fc.array(toolCall(agentTools), { minLength: 1, maxLength: 2 }).map((toolCalls): ParticipantTurn => ({ text: null, toolCalls })),
      fc.array(agentTurn, { maxLength: 10 }),
    )
    .map(([first, rest]) => [first, ...rest]),
  user: fc
    .tuple(fc.array(userTurn, { maxLength: 7 }), fc.option(stopTurn, { nil: undefined, freq: 4 }))
    .map(([turns, stop]) => [{ text: "Hi, I need some help.", toolCalls: [] }, ...turns, ...(stop ? [stop] : [])]),
  tamper: fc.record({
    pick: fc.nat(),
    kind: fc.constantFrom("output", "error", "patch-add", "patch-clear", "arguments"),
  }),
})

// ---- tampering: rewrite one ToolExecuted body so it stays valid JSON and a valid event.

const TAMPER_OP = { op: "replace", path: "/agent/books/B001/title", value: "tampered title" }

const tamperedBody = (body: string, kind: string): { body: string; kind: string } => {
  const raw = JSON.parse(body) as { output: string; error: boolean; patchJson: string; argumentsJson: string }
  let effective = kind
  if (kind === "patch-clear" && raw.patchJson === "[]") effective = "patch-add"
  switch (effective) {
    case "output":
      raw.output = `${raw.output} (tampered)`
      break
    case "error":
      raw.error = !raw.error
      break
    case "patch-add":
      raw.patchJson = PyJson.compact([...(PyJson.parse(raw.patchJson) as PyValue[]), TAMPER_OP as PyValue])
      break
    case "patch-clear":
      raw.patchJson = "[]"
      break
    case "arguments": {
      let args: PyValue
      try {
        args = PyJson.parse(raw.argumentsJson)
      } catch {
        args = null
      }
      const obj = args !== null && typeof args === "object" && !Array.isArray(args) ? (args as PyObject) : {}
      raw.argumentsJson = PyJson.compact({ ...obj, tampered: 1 })
      break
    }
  }
  return { body: JSON.stringify(raw), kind: effective }
}

const worldText = (v: PyValue) => PyJson.compact(v)

describe("replay rebuilds the live world and verify catches tampering (property)", () => {
  it("holds for random scripted demo sessions", async () => {
    let runs = 0
    let tampered = 0
    const reasons = new Map<string, number>()
    const toolErrors = { calls: 0, errors: 0, worldChanges: 0 }
    await fc.assert(
      fc.asyncProperty(session, async (s) => {
        runs++
        const path = tmp.db()
        const episodeId = `ep_prop_${runs}`
        const task = domain.tasks.find((t) => t.id === s.taskId)
        if (!task) throw new Error(`no task ${s.taskId}`)
        const started = startedEvent({ episodeId, taskId: s.taskId, seed: s.seed, limits: { maxSteps: s.maxSteps, maxErrors: s.maxErrors } })
        const driven = await withStore(
          path,
          driveRecordingLiveWorld(started, task, {
            agent: scriptedParticipant("scripted:agent", s.agent),
            user: scriptedParticipant("scripted:user", s.user),
          }),
        )
        reasons.set(driven.final.ended ?? "none", (reasons.get(driven.final.ended ?? "none") ?? 0) + 1)

        // The stream as a later process reads it: gapless, one event per live snapshot.
        const stored = await readStored(path, episodeId)
        expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i))
        expect(stored).toHaveLength(driven.live.length)
        const events: EpisodeEvent[] = stored.map((e) => e.event)

        // The world at every seq, rebuilt from stored patches, equals the live world.
        const states = Result.getOrThrow(statesOf(domain, events))
        for (let seq = 0; seq < events.length; seq++) {
          const rebuilt = materialize(states[seq].world)
          const live = materialize(driven.live[seq])
          if (!pyEquals(rebuilt, live) || worldText(rebuilt) !== worldText(live)) {
            throw new Error(`episode ${episodeId}: world rebuilt at seq ${seq} (${events[seq]._tag}) differs from the live world`)
          }
        }
        expect(states.at(-1)?.ended).toBe(driven.final.ended)
        expect([states.at(-1)?.steps, states.at(-1)?.errors]).toEqual([driven.final.steps, driven.final.errors])
        for (const e of events) {
          if (e._tag === "ToolExecuted" && !e.setup) {
            toolErrors.calls++
            if (e.error) toolErrors.errors++
            if (e.patchJson !== "[]") toolErrors.worldChanges++
          }
        }

        const clean = await withStore(path, verifyEpisode(episodeId))
        if (!clean.verified) throw new Error(`verify failed on an untouched episode: ${clean.findings.map((f) => findingRecord(f).detail).join("; ")}`)

        // Tamper with one participant tool execution, directly in SQLite.
        const candidates = events.flatMap((e, seq) => (e._tag === "ToolExecuted" && !e.setup && e.actor !== "env" ? [seq] : []))
        if (candidates.length === 0) return
        tampered++
        const seq = candidates[s.tamper.pick % candidates.length]
        const row = rawRows(path, episodeId)[seq]
        const { body, kind } = tamperedBody(row.body, s.tamper.kind)
        overwriteEventBody(path, episodeId, seq, body)
        const verdict = await withStore(path, verifyEpisode(episodeId))
        if (verdict.verified) throw new Error(`tampered ${kind} at seq ${seq} was not detected`)
        // The chain names the edited row; re-executing names it too (later calls may differ as well,
        // having run on a world the tampered patch changed).
        expect(verdict.findings.filter((f) => !("_tag" in f))).toEqual([expect.objectContaining({ kind: "chain", seq, looksLike: "edited", episodeId })])
        const violations = verdict.findings.filter((f): f is DeterminismViolation => "_tag" in f && f._tag === "DeterminismViolation")
        expect(violations.length).toBeGreaterThan(0)
        const violation = violations[0]
        expect({ kind, seq: violation.seq, episode: violation.episodeId }).toEqual({ kind, seq, episode: episodeId })
        const expectedPath = { output: "output", error: "error", arguments: "arguments", "patch-add": TAMPER_OP.path } as Record<string, string>
        if (kind in expectedPath) expect(violation.path).toBe(expectedPath[kind])
        expect(violation.message).toContain(`seq ${seq}`)
      }),
      { numRuns: 120, seed: Number(process.env.TAU_PROPERTY_SEED ?? Date.now() % 2 ** 31) },
    )
    console.log(
      `property: ${runs} sessions, ${tampered} tampered; endings ${JSON.stringify(Object.fromEntries(reasons))}; tool calls ${toolErrors.calls} (${toolErrors.errors} errors, ${toolErrors.worldChanges} changed the world)`,
    )
    // The generators must reach the interesting cases, or the property proves little.
    expect(tampered).toBeGreaterThanOrEqual(runs * 0.9)
    expect(reasons.size).toBeGreaterThanOrEqual(4)
    expect(toolErrors.errors).toBeGreaterThan(0)
    expect(toolErrors.worldChanges).toBeGreaterThan(runs / 4)
  })
})
