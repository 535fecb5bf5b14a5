/** The event constructors and the patch codec beside the schemas. */
import { assert, describe, it } from "@effect/vitest"
import { decodeEvent, decodePatch, encodeEvent, encodePatch, Events } from "../src/events.ts"
import { float } from "../src/py/value.ts"
import { PatchError } from "../src/world/tree.ts"

describe("event constructors", () => {
  it("give each event its tag and current version, and what they build decodes as itself", () => {
    const built = [
      Events.messageSent({ role: "agent", text: "Hello", toolCalls: [] }),
      Events.toolExecuted({ callId: "c1", actor: "agent", name: "renew_loan", argumentsJson: "{}", output: "ok", error: false, patchJson: "[]" }),
      Events.episodeEnded({ reason: "user_stop", steps: 3, errors: 0, note: null }),
      Events.externalRecord({ source: "tau2", json: "{}" }),
      Events.modelCalled({
        participant: "agent",
        provider: "openai",
        model: "gpt-4.1",
        request: { messages: [] },
        response: null,
        usage: { promptTokens: 1, completionTokens: 2 },
        cost: 0,
        latencyMs: 1,
        attempt: 1,
        requestHash: "h",
        error: null,
      }),
    ]
    assert.deepStrictEqual(
      built.map((e) => [e._tag, e.v]),
      [
        ["MessageSent", 1],
        ["ToolExecuted", 1],
        ["EpisodeEnded", 1],
        ["ExternalRecord", 1],
        ["ModelCalled", 1],
      ],
    )
    for (const event of built) assert.deepStrictEqual(decodeEvent("ep", 0, encodeEvent(event)), event)
  })
})

describe("patch codec", () => {
  it("round-trips a world change, floats included", () => {
    const patch = [
      { op: "replace" as const, path: "/agent/users/u1/balance", value: float(2) },
      { op: "add" as const, path: "/agent/loans/L9", value: { id: "L9", renewals: 0 } },
      { op: "remove" as const, path: "/agent/holds/H1" },
    ]
    const json = encodePatch(patch)
    assert.strictEqual(
      json,
      '[{"op":"replace","path":"/agent/users/u1/balance","value":2.0},{"op":"add","path":"/agent/loans/L9","value":{"id":"L9","renewals":0}},{"op":"remove","path":"/agent/holds/H1"}]',
    )
    assert.strictEqual(encodePatch(decodePatch(json)), json)
    assert.deepStrictEqual(decodePatch("[]"), [])
  })

  it("refuses text that is not a patch of ours, with a PatchError", () => {
    for (const json of ['{"op":"add"}', '[{"op":"move","path":"/a","from":"/b"}]', '[{"op":"add","path":"/a"}]', '[{"op":"remove"}]', "[1]"]) {
      assert.throws(() => decodePatch(json), PatchError)
    }
  })
})
