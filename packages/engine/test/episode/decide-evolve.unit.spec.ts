/**
 * The orchestrator's decide/evolve as given/when/then specs (Emmett's decider habit): given a
 * recorded history, the next hop produces exactly these events, and folding them gives this state.
 * Semantics references are to shared/reference/tau2-semantics.md.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { EpisodeEnded, EpisodeEvent, EpisodeStarted, MessageSent, Mode, ToolExecuted } from "../../src/events.ts"
import { type EpisodeParticipants, GREETING, nextHop, setupEvents } from "../../src/episode/orchestrator.ts"
import { foldHistory } from "../../src/episode/history.ts"
import { scriptedParticipant } from "../../src/participants/scripted.ts"
import { get } from "../../src/world/tree.ts"
import { started } from "../../testing/sample-events.ts"
import { counterDomain, counterTask } from "./counter-domain.ts"
import { decider, failsWith, says, silent } from "./given.ts"

const start = (mode: Mode = "default", limits = { maxSteps: 200, maxErrors: 10 }): EpisodeStarted => ({
  ...started("ep"),
  domain: "counter",
  taskId: "bump",
  mode,
  limits,
})

// The expected facts, written out: what each hop must record.
const message = (role: "agent" | "user", text: string | null, toolCalls: MessageSent["toolCalls"] = []): MessageSent => ({
  _tag: "MessageSent",
  v: 1,
  role,
  text,
  toolCalls,
})
const executed = (fields: Omit<ToolExecuted, "_tag" | "v" | "error"> & { error?: boolean }): ToolExecuted => ({
  _tag: "ToolExecuted",
  v: 1,
  error: false,
  ...fields,
})
const ended = (reason: EpisodeEnded["reason"], steps: number, errors: number, note: string | null = null): EpisodeEnded => ({
  _tag: "EpisodeEnded",
  v: 1,
  reason,
  steps,
  errors,
  note,
})

const spec = decider(counterDomain, counterTask)
const setup = (mode?: Mode, limits?: { maxSteps: number; maxErrors: number }) => setupEvents(start(mode, limits), counterDomain, counterTask)
const greeted = [start(), message("agent", GREETING)].map((e) => (e._tag === "MessageSent" ? { ...e, setup: true } : e))
const count = (world: unknown) => get(world as never, ["agent", "count"])

describe("the episode's setup", () => {
  it("a dual-control episode opens with the agent's greeting, as setup; the user speaks next", () => {
    assert.deepStrictEqual(setup(), greeted)
    const state = foldHistory(counterDomain, greeted)
    assert.strictEqual(state.next, "user")
    assert.strictEqual(state.steps, 0)
  })

  it("a solo episode has no greeting: the agent opens (§2.2 step 7)", () => {
    assert.deepStrictEqual(setup("no-user"), [start("no-user")])
    assert.strictEqual(foldHistory(counterDomain, setup("no-user")).next, "agent")
  })
})

describe("a normal turn", () => {
  it.effect("given the greeting, when the user speaks, then one message; the agent is next", () =>
    Effect.gen(function* () {
      const state = yield* spec
        .given(setup())
        .when({ agent: silent, user: says("Please add 2 to my counter.") })
        .then([message("user", "Please add 2 to my counter.")])
      assert.strictEqual(state.next, "agent")
      assert.strictEqual(state.steps, 1)
      assert.deepStrictEqual(
        state.trajectory.map((m) => [m.role, m.role === "tool" ? m.content : m.content]),
        [
          ["assistant", GREETING],
          ["user", "Please add 2 to my counter."],
        ],
      )
    }),
  )

  it.effect("a proposed call gets an id when it has none; the environment runs the batch next and the world changes", () =>
    Effect.gen(function* () {
      const asked = [...setup(), message("user", "Please add 2.")]
      const proposing = yield* spec
        .given(asked)
        .when({ agent: says(null, [{ name: "increment", argumentsJson: '{"by": 2}' }]), user: silent })
        .then([message("agent", null, [{ id: "agent_3_0", name: "increment", argumentsJson: '{"by": 2}' }])])
      assert.strictEqual(proposing.next, "env")
      assert.deepStrictEqual(
        proposing.pending.map((c) => c.id),
        ["agent_3_0"],
      )

      const state = yield* spec
        .given([...asked, message("agent", null, [{ id: "agent_3_0", name: "increment", argumentsJson: '{"by": 2}' }])])
        .when({ agent: silent, user: silent })
        .then([
          executed({
            callId: "agent_3_0",
            actor: "agent",
            name: "increment",
            argumentsJson: '{"by":2}',
            output: "count is 3",
            patchJson: '[{"op":"replace","path":"/agent/count","value":3}]',
          }),
        ])
      // The batch is done: back to the agent, which counts as a step (§2.4).
      assert.strictEqual(state.next, "agent")
      assert.deepStrictEqual(state.pending, [])
      assert.strictEqual(state.steps, 3)
      assert.strictEqual(count(state.world), 3)
    }),
  )
})

describe("a tool call that fails", () => {
  const calling = (name: string, argumentsJson: string) => [
    ...setup(),
    message("user", "Reset it."),
    message("agent", null, [{ id: "c1", name, argumentsJson }]),
  ]

  it.effect("a tool's exception is its output, writes made before it stay, and it counts as an error", () =>
    Effect.gen(function* () {
      const state = yield* spec
        .given(calling("reset_all", "{}"))
        .when({ agent: silent, user: silent })
        .then([
          executed({
            callId: "c1",
            actor: "agent",
            name: "reset_all",
            argumentsJson: "{}",
            output: "Error: resetting is not allowed",
            error: true,
            patchJson: '[{"op":"replace","path":"/agent/count","value":0}]',
          }),
        ])
      assert.strictEqual(state.errors, 1)
      assert.strictEqual(state.next, "agent")
      assert.strictEqual(count(state.world), 0)
      const last = state.trajectory.at(-1)
      assert.deepStrictEqual(last?.role === "tool" ? [last.error, last.content] : null, [true, "Error: resetting is not allowed"])
    }),
  )

  it.effect("an unknown tool and arguments that are not a JSON object are errors, recorded as produced", () =>
    Effect.gen(function* () {
      yield* spec
        .given(calling("nope", "{}"))
        .when({ agent: silent, user: silent })
        .then([
          executed({ callId: "c1", actor: "agent", name: "nope", argumentsJson: "{}", output: "Error: Tool 'nope' not found.", error: true, patchJson: "[]" }),
        ])
      yield* spec
        .given(calling("increment", "{oops"))
        .when({ agent: silent, user: silent })
        .then([
          executed({
            callId: "c1",
            actor: "agent",
            name: "increment",
            argumentsJson: "{oops",
            output: "Error: the tool call arguments are not a valid JSON object: {oops",
            error: true,
            patchJson: "[]",
          }),
        ])
    }),
  )

  it.effect("the error that reaches max errors ends the episode with too_many_errors in the same hop", () =>
    Effect.gen(function* () {
      const history = [
        ...setup("default", { maxSteps: 200, maxErrors: 1 }),
        message("user", "Reset it."),
        message("agent", null, [{ id: "c1", name: "reset_all", argumentsJson: "{}" }]),
      ]
      const state = yield* spec
        .given(history)
        .when({ agent: silent, user: silent })
        .then([
          executed({
            callId: "c1",
            actor: "agent",
            name: "reset_all",
            argumentsJson: "{}",
            output: "Error: resetting is not allowed",
            error: true,
            patchJson: '[{"op":"replace","path":"/agent/count","value":0}]',
          }),
          ended("too_many_errors", 3, 1),
        ])
      assert.strictEqual(state.ended, "too_many_errors")
    }),
  )
})

describe("max steps", () => {
  it.effect("the message that reaches max steps is recorded, then the episode ends with max_steps", () =>
    spec
      .given([...setup("default", { maxSteps: 2, maxErrors: 10 }), message("user", "Hi.")])
      .when({ agent: says("Hello, what can I do?"), user: silent })
      .then([message("agent", "Hello, what can I do?"), ended("max_steps", 2, 0)]),
  )

  it.effect("a hop that hands over to the environment is not cut off: the limit is checked when a participant is next", () =>
    Effect.gen(function* () {
      const limits = { maxSteps: 2, maxErrors: 10 }
      const call = [{ id: "c1", name: "get_count", argumentsJson: "{}" }]
      yield* spec
        .given([...setup("default", limits), message("user", "What is the count?")])
        .when({ agent: says(null, call), user: silent })
        .then([message("agent", null, call)])
      yield* spec
        .given([...setup("default", limits), message("user", "What is the count?"), message("agent", null, call)])
        .when({ agent: silent, user: silent })
        .then([executed({ callId: "c1", actor: "agent", name: "get_count", argumentsJson: "{}", output: "1", patchJson: "[]" }), ended("max_steps", 3, 0)])
    }),
  )
})

describe("stop tokens", () => {
  it.effect("the user's stop token ends the episode with user_stop after its message", () =>
    spec
      .given([...setup(), message("user", "Add 2."), message("agent", "Done, the count is 3.")])
      .when({ agent: silent, user: says("Thanks! ###STOP###") })
      .then([message("user", "Thanks! ###STOP###"), ended("user_stop", 3, 0)]),
  )

  it.effect("a transfer is a user stop too; a stop token beside a tool call is not a stop", () =>
    Effect.gen(function* () {
      yield* spec
        .given([...setup(), message("user", "Add 2."), message("agent", "I cannot.")])
        .when({ agent: silent, user: says("###TRANSFER###") })
        .then([message("user", "###TRANSFER###"), ended("user_stop", 3, 0)])
      const toggle = [{ id: "u1", name: "toggle", argumentsJson: "{}" }]
      const state = yield* spec
        .given([...setup(), message("user", "Add 2."), message("agent", "Flip your switch.")])
        .when({ agent: silent, user: says("###STOP###", toggle) })
        .then([message("user", "###STOP###", toggle)])
      assert.strictEqual(state.next, "env")
    }),
  )

  it.effect("the agent's stop token ends the episode with agent_stop", () =>
    spec
      .given([...setup(), message("user", "Bye.")])
      .when({ agent: says("Goodbye. ###STOP###"), user: silent })
      .then([message("agent", "Goodbye. ###STOP###"), ended("agent_stop", 2, 0)]),
  )
})

describe("a solo (no-user) episode", () => {
  it.effect("the agent opens; a user-side tool it calls runs on the user's side of the world", () =>
    Effect.gen(function* () {
      const call = [{ id: "c1", name: "toggle", argumentsJson: "{}" }]
      yield* spec
        .given(setup("no-user"))
        .when({ agent: says(null, call) })
        .then([message("agent", null, call)])
      const state = yield* spec
        .given([...setup("no-user"), message("agent", null, call)])
        .when({ agent: silent })
        .then([
          executed({
            callId: "c1",
            actor: "agent",
            name: "toggle",
            argumentsJson: "{}",
            output: "on",
            patchJson: '[{"op":"replace","path":"/user/on","value":true}]',
          }),
        ])
      assert.strictEqual(state.next, "agent")
    }),
  )

  it.effect("a solo agent's text without a tool call or stop token is an agent error; its stop token is agent_stop", () =>
    Effect.gen(function* () {
      yield* spec
        .given(setup("no-user"))
        .when({ agent: says("What should I do?") })
        .then([message("agent", "What should I do?"), ended("agent_error", 1, 0)])
      yield* spec
        .given(setup("no-user"))
        .when({ agent: says("All done. ###STOP###") })
        .then([message("agent", "All done. ###STOP###"), ended("agent_stop", 1, 0)])
    }),
  )

  it.effect("a dual-control episode without a user participant ends with user_error, naming why", () =>
    spec
      .given(setup())
      .when({ agent: silent })
      .then([ended("user_error", 0, 0, "no user participant in a dual-control episode")]),
  )
})

describe("participants that fail", () => {
  it.effect("an empty message is the participant's error (§1.2); an infrastructure failure errors the episode", () =>
    Effect.gen(function* () {
      yield* spec
        .given([...setup(), message("user", "Hi.")])
        .when({ agent: says("   "), user: silent })
        .then([ended("agent_error", 1, 0, "empty message")])
      yield* spec
        .given([...setup(), message("user", "Hi.")])
        .when({ agent: failsWith("infrastructure", "provider unreachable"), user: silent })
        .then([ended("infrastructure_error", 1, 0, "provider unreachable")])
    }),
  )
})

describe("resume mid-episode", () => {
  // A whole episode, hop by hop, with participants that follow scripts (their turns depend on the
  // history they are shown, as every participant's do).
  const participants = (): EpisodeParticipants => ({
    agent: scriptedParticipant("scripted:agent", [
      { text: null, toolCalls: [{ name: "get_count", argumentsJson: "{}" }] },
      {
        text: null,
        toolCalls: [
          { name: "increment", argumentsJson: '{"by": 2}' },
          { name: "reset_all", argumentsJson: "{}" },
        ],
      },
      { text: "Please flip the switch on your phone.", toolCalls: [] },
    ]),
    user: scriptedParticipant("scripted:user", [
      { text: "Please add 2.", toolCalls: [] },
      { text: null, toolCalls: [{ name: "toggle", argumentsJson: "{}" }] },
      { text: "Thanks ###STOP###", toolCalls: [] },
    ]),
  })
  const recorded = Effect.gen(function* () {
    const hops: Array<ReadonlyArray<EpisodeEvent>> = []
    let history: ReadonlyArray<EpisodeEvent> = setup()
    const p = participants()
    for (let state = foldHistory(counterDomain, history); state.ended === null; state = foldHistory(counterDomain, history)) {
      const hop = yield* nextHop(state, counterDomain, counterTask, p)
      hops.push(hop)
      history = [...history, ...hop]
    }
    return hops
  })

  it.effect("given any recorded prefix of hops, the next hop is the recorded one", () =>
    Effect.gen(function* () {
      const hops = yield* recorded
      // The script reached what it was written for: a batch of two calls, an error, a user tool, the stop.
      const flat = hops.flat()
      assert.strictEqual(hops.length, 9)
      assert.isTrue(flat.some((e) => e._tag === "ToolExecuted" && e.error))
      assert.isTrue(flat.some((e) => e._tag === "ToolExecuted" && e.actor === "user"))
      assert.deepStrictEqual(flat.at(-1), ended("user_stop", 9, 1))
      for (let k = 0; k < hops.length; k++) {
        // Fresh participants each time, as a resumed process has.
        yield* spec
          .given([...setup(), ...hops.slice(0, k).flat()])
          .when(participants())
          .then(hops[k])
      }
    }),
  )
})
