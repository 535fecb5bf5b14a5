/**
 * The event schema's compiled fast path against the Schema itself: whatever the fast path accepts,
 * the Schema accepts with the very same output (keys, order, values), for valid events and for
 * events damaged in every way a stored body or a caller could damage them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import * as fc from "fast-check"
import { EpisodeEvent, type EpisodeStarted } from "../../src/events.ts"
import { decodeFields, encodeFields } from "../../src/store/event-fields.ts"
import { compileFastPath } from "../../src/store/schema-fast-path.ts"
import { arbLaterEvent, started } from "@tau-sim/engine/testing"

const fast = compileFastPath(EpisodeEvent)
const decode = Schema.decodeUnknownExit(EpisodeEvent)
const encode = Schema.encodeUnknownExit(EpisodeEvent)

/** Text that keeps key order, `undefined` values and `-0`, for comparing outputs exactly. */
const exact = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x === undefined ? "<undefined>" : Object.is(x, -0) ? "<-0>" : typeof x === "number" && !Number.isFinite(x) ? `<${x}>` : x))

const arbStarted: fc.Arbitrary<EpisodeStarted> = fc
  .record({ id: fc.string({ maxLength: 8 }), trial: fc.nat(), parent: fc.option(fc.record({ episodeId: fc.string(), seq: fc.nat() }), { nil: null }) })
  .map(({ id, trial, parent }) => started(id, { trial, parent }))
const arbEvent = fc.oneof(arbStarted, arbLaterEvent)

/** A value that is wrong for almost any field. */
const arbWrong = fc.oneof(
  fc.constantFrom(undefined, null, NaN, Infinity, -0, 1.5, -1, "", "x", true, [], {}, [1], { a: 1 }, "agent", 2, 1, "EpisodeEnded"),
  fc.anything({ maxDepth: 2 }),
)

/** The event with one field (possibly nested) replaced, removed or added. */
const damaged = (event: Record<string, unknown>, path: ReadonlyArray<number>, how: number, wrong: unknown): unknown => {
  const copy = structuredClone(event) as Record<string, unknown>
  let target: Record<string, unknown> = copy
  for (const step of path) {
    const keys = Object.keys(target)
    if (keys.length === 0) break
    const key = keys[step % keys.length]
    const next = target[key]
    if (typeof next !== "object" || next === null) break
    target = next as Record<string, unknown>
  }
  const keys = Object.keys(target)
  const key = keys.length === 0 ? "extra" : keys[how % keys.length]
  if (how % 3 === 0) delete target[key]
  else if (how % 3 === 1) target[key] = wrong
  else target[`extra${how}`] = wrong
  return copy
}

const agrees = (input: unknown) => {
  const out = fast?.(input)
  for (const run of [decode, encode]) {
    const exit = run(input)
    if (out !== undefined) {
      assert.isTrue(exit._tag === "Success", `fast path accepted what the Schema refuses: ${exact(input)}`)
      if (exit._tag === "Success") assert.strictEqual(exact(out), exact(exit.value))
    }
  }
  return out
}

describe("event schema fast path", () => {
  it("compiles the event schema", () => {
    assert.isDefined(fast)
  })

  it("takes every valid event, giving the Schema's output", () => {
    fc.assert(
      fc.property(arbEvent, (event) => {
        assert.isDefined(agrees(event), `fast path refused a valid event: ${exact(event)}`)
      }),
      { numRuns: 500 },
    )
  })

  it("never accepts more than the Schema, whatever the damage", () => {
    fc.assert(
      fc.property(arbEvent, fc.array(fc.nat(), { maxLength: 3 }), fc.nat(), arbWrong, (event, path, how, wrong) => {
        agrees(damaged(event as unknown as Record<string, unknown>, path, how, wrong))
      }),
      { numRuns: 3000 },
    )
    for (const input of [null, undefined, 1, "x", [], {}, { _tag: "Nope" }, Object.create({ _tag: "EpisodeEnded" })]) agrees(input)
  })

  it("drops unknown keys and keeps schema order, as the Schema does", () => {
    const event = { note: null, errors: 0, steps: 3, reason: "user_stop", v: 1, _tag: "EpisodeEnded", extra: 1 }
    const out = agrees(event)
    assert.deepStrictEqual(Object.keys(out as object), ["_tag", "v", "reason", "steps", "errors", "note"])
  })

  it("returns the input itself when it already is the output: a stored body, parsed", () => {
    fc.assert(
      fc.property(arbEvent, (event) => {
        const parsed = JSON.parse(JSON.stringify(fast?.(event)))
        assert.strictEqual(agrees(parsed), parsed)
      }),
      { numRuns: 300 },
    )
  })

  it("copies what only looks like its output: other key order, extra, inherited or unenumerable keys", () => {
    const ended = () => ({ _tag: "EpisodeEnded", v: 1, reason: "user_stop", steps: 3, errors: 0, note: null })
    const reordered = { v: 1, _tag: "EpisodeEnded", reason: "user_stop", steps: 3, errors: 0, note: null }
    const inherited = Object.assign(Object.create({ note: null }), { _tag: "EpisodeEnded", v: 1, reason: "user_stop", steps: 3, errors: 0 })
    const message = { _tag: "MessageSent", v: 1, role: "user", text: "hi", toolCalls: [] }
    // An optional key the Schema reads (`in`) though a key walk does not see it.
    const hiddenOptional = Object.defineProperty({ ...message }, "setup", { value: true, enumerable: false })
    for (const input of [reordered, { ...ended(), extra: 1 }, inherited, hiddenOptional]) {
      const out = agrees(input)
      assert.isDefined(out)
      assert.notStrictEqual(out, input)
    }
    assert.deepStrictEqual(Object.keys(agrees(hiddenOptional) as object), ["_tag", "v", "role", "text", "toolCalls", "setup"])
    const plain = ended()
    assert.strictEqual(agrees(plain), plain)
  })

  it("the store's codec falls back to the Schema and its errors", () => {
    const bad = { _tag: "EpisodeEnded", v: 1, reason: "user_stop", steps: 1.5, errors: 0, note: null }
    assert.throws(() => encodeFields(bad as never), /steps|int/i)
    assert.throws(() => decodeFields("ep-1", 4, bad), /ep-1#4 cannot be read/)
    assert.throws(() => decodeFields("ep-1", 5, null), /ep-1#5 cannot be read/)
  })
})
