/**
 * Whole episodes with model-backed agent and user over HTTP (the run service, an in-memory store):
 * every model call is recorded before the message it produced, and each failure mode of a
 * provider or a model ends in a clear recorded outcome.
 */
import { builtinDomains } from "@tau-sim/domains"
import { type EpisodeEvent, EventStore, layerMemory, type ModelCalled, ParticipantFactory } from "@tau-sim/engine"
import { executeRun, forkEpisode, type RunConfig } from "@tau-sim/runs"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { type Brain, demoBrain, type FakeCall, type FakeLlmServer, type Reply, startFakeLlmServer } from "../testing/index.ts"
import { makeModelRuntime, type ModelRuntimeShape, modelParticipants } from "../src/index.ts"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

let server: FakeLlmServer
let runtime: ModelRuntimeShape
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: demoBrain })
  runtime = makeModelRuntime({
    env: {
      OPENAI_API_KEY: "sk-test-episodes-0123456789",
      ANTHROPIC_API_KEY: "sk-ant-test-episodes-0123",
      OPENAI_BASE_URL: server.baseURL,
      ANTHROPIC_BASE_URL: server.baseURL,
    },
    // No backoff: nothing here waits on the clock except the 2 s hang timeout (schedules: timing.unit.spec.ts).
    backoffBaseMs: 0,
    backoffMaxMs: 0,
    maxRetries: 1,
    timeoutMs: 2_000,
  })
})

/** An in-memory store, the built-in domains, and the model participants over this runtime (which points at the local server). */
const services = () => Layer.mergeAll(layerMemory, builtinDomains(), Layer.succeed(ParticipantFactory, modelParticipants(runtime)))
afterAll(() => server.close())

const isAgent = (c: FakeCall) => !c.system.includes("<scenario>")

/** The demo brain, with the agent's `n`-th call (0-based) replaced. */
const agentCallReplaced = (n: number, reply: Reply): Brain => {
  let k = 0
  return (c, i) => (isAgent(c) && k++ === n ? reply : demoBrain(c, i))
}

interface Outcome {
  readonly reason: string | null
  readonly reward: number | null
  readonly events: ReadonlyArray<EpisodeEvent>
  readonly episodeId: string
}

let runs = 0
const runTask = (taskId: string, options: Partial<RunConfig> = {}): Promise<Outcome> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const config: RunConfig = {
        runId: `run-${runs++}`,
        domain: "demo",
        dataDir: null,
        policyVariant: "default",
        agent: "openai:gpt-4.1",
        user: "openai:gpt-4.1-mini",
        mode: "default",
        trials: 1,
        seed: 300,
        maxSteps: 40,
        maxErrors: 10,
        taskIds: [taskId],
        maxConcurrency: 1,
        ...options,
      }
      const [summary] = yield* executeRun(config)
      const store = yield* EventStore
      const events = (yield* store.read(summary.episode_id)).map((s) => s.event)
      return { reason: summary.termination_reason, reward: summary.reward, events, episodeId: summary.episode_id }
    }).pipe(Effect.provide(services())),
  )

const modelCalls = (events: ReadonlyArray<EpisodeEvent>) => events.filter((e): e is ModelCalled => e._tag === "ModelCalled")
const ended = (events: ReadonlyArray<EpisodeEvent>) => events.find((e) => e._tag === "EpisodeEnded") as Extract<EpisodeEvent, { _tag: "EpisodeEnded" }>

describe("model-backed episodes", () => {
  it.each([
    ["openai agent and user (JSON)", "openai:gpt-4.1", "openai:gpt-4.1-mini"],
    ["anthropic agent, streaming compat user", 'anthropic:claude-sonnet-4-5{"stream":true}', 'compat:local@BASE{"stream":true}'],
  ])("%s: solve the demo tasks, each message preceded by the call that produced it", async (_, agent, user) => {
    for (const taskId of ["renew_loan", "link_card_in_app"]) {
      server.setBrain(demoBrain)
      const before = server.calls.length
      const outcome = await runTask(taskId, { agent, user: user.replace("BASE", server.baseURL) })
      expect([taskId, outcome.reason, outcome.reward]).toEqual([taskId, "user_stop", 1])
      const calls = modelCalls(outcome.events)
      expect(calls).toHaveLength(server.calls.length - before)
      outcome.events.forEach((e, i) => {
        if (e._tag !== "MessageSent" || e.setup) return
        const previous = outcome.events[i - 1]
        expect(previous._tag).toBe("ModelCalled")
        expect((previous as ModelCalled).participant).toBe(e.role)
      })
      // The user simulator of the dual-control task operated its phone tools.
      if (taskId === "link_card_in_app") {
        expect(outcome.events.filter((e) => e._tag === "ToolExecuted" && e.actor === "user").map((e) => (e as { name: string }).name)).toEqual([
          "log_in",
          "scan_library_card",
        ])
      }
    }
  })

  it("passes invalid tool-call JSON through: the tool call is an error result and the episode goes on", async () => {
    server.setBrain(
      agentCallReplaced(0, { type: "message", toolCalls: [{ id: "call_bad", name: "find_member_by_email", arguments: '{"email": "ben.schmidt1@' }] }),
    )
    const outcome = await runTask("renew_loan")
    const message = outcome.events.find((e) => e._tag === "MessageSent" && e.toolCalls.some((c) => c.id === "call_bad"))
    expect(message).toMatchObject({ toolCalls: [{ argumentsJson: '{"email": "ben.schmidt1@' }] })
    const result = outcome.events.find((e) => e._tag === "ToolExecuted" && e.callId === "call_bad")
    expect(result).toMatchObject({ error: true, output: 'Error: the tool call arguments are not a valid JSON object: {"email": "ben.schmidt1@' })
    expect(outcome.reason).toBe("user_stop")
  })

  it("passes unknown tool names through: the environment answers with a tool error", async () => {
    server.setBrain(agentCallReplaced(0, { type: "message", toolCalls: [{ id: "call_x", name: "teleport", arguments: "{}" }] }))
    const outcome = await runTask("renew_loan")
    expect(outcome.events.find((e) => e._tag === "ToolExecuted" && e.callId === "call_x")).toMatchObject({
      name: "teleport",
      error: true,
      output: "Error: Tool 'teleport' not found.",
    })
    expect(outcome.reason).toBe("user_stop")
  })

  it("ends with agent_error on an empty reply, keeping the call that produced it", async () => {
    server.setBrain(agentCallReplaced(0, { type: "message", text: null }))
    const outcome = await runTask("renew_loan")
    expect(outcome.reason).toBe("agent_error")
    expect(ended(outcome.events).note).toBe("empty message")
    expect(outcome.events.at(-2)).toMatchObject({ _tag: "ModelCalled", participant: "agent", error: null, response: { text: null, toolCalls: [] } })
  })

  it("ends with a context-window outcome when the conversation no longer fits", async () => {
    server.setBrain(agentCallReplaced(1, { type: "context_length" }))
    const outcome = await runTask("renew_loan")
    expect(outcome.reason).toBe("context_window_exceeded")
    // The failed call is recorded before the end of the episode.
    expect(outcome.events.at(-2)).toMatchObject({ _tag: "ModelCalled", participant: "agent" })
    expect(ended(outcome.events).note).toMatch(/^context_window_exceeded: openai:gpt-4\.1: context_length \(HTTP 400\): /)
  })

  it("marks the episode errored (infrastructure), not failed, when the provider stays down", async () => {
    server.setBrain((c, i) => (isAgent(c) ? demoBrain(c, i) : { type: "error", status: 429 }))
    const storm = await runTask("renew_loan")
    expect(storm.reason).toBe("infrastructure_error")
    // Every failed attempt stays on record.
    expect(storm.events.filter((e) => e._tag === "ModelCalled" && e.error !== null).length).toBeGreaterThanOrEqual(2)
    expect(ended(storm.events).note).toMatch(/^openai:gpt-4\.1-mini: gave up after 2 attempts: rate_limited \(HTTP 429\)/)

    server.setBrain(() => ({ type: "hang" }))
    const hang = await Effect.runPromise(Effect.promise(() => runTask("renew_loan")).pipe(Effect.timeout("20 seconds")))
    expect(hang.reason).toBe("infrastructure_error")
    expect(ended(hang.events).note).toMatch(/gave up after 2 attempts: timeout: no answer within 2000 ms/)
  })

  data.it("runs the solo agent on a τ² mock ticket: tool calls only, `done` ends the episode", async () => {
    const requests: FakeCall[] = []
    server.setBrain((c) => {
      requests.push(c)
      const calledCreate = c.messages.some((m) => m.role === "tool")
      return calledCreate
        ? { type: "message", toolCalls: [{ name: "done", arguments: "{}" }] }
        : { type: "message", toolCalls: [{ name: "create_task", arguments: '{"user_id": "user_1", "title": "Important Meeting"}' }] }
    })
    const outcome = await runTask("create_task_1", { domain: "mock", dataDir: TAU2_DATA_DIR, mode: "no-user", user: "none" })
    expect(outcome.reason).toBe("agent_stop")
    expect(requests).toHaveLength(2)
    expect(requests[0].body.tool_choice).toBe("required")
    expect(requests[0].tools).toContain("done")
    expect(requests[0].system).toContain("<ticket>")
    const messages = outcome.events.filter((e) => e._tag === "MessageSent")
    expect(messages.at(-1)).toMatchObject({ role: "agent", text: "###STOP###", toolCalls: [] })
    expect(outcome.reward).toBe(1)
  })

  it("forks a model-backed episode: the prefix is never sent again, the branch continues live", async () => {
    server.setBrain(demoBrain)
    const parent = await runTask("renew_loan")
    const program = Effect.gen(function* () {
      // Re-run the parent in this store, then fork it after the user's first message.
      const [summary] = yield* executeRun({
        runId: "fork-parent",
        domain: "demo",
        dataDir: null,
        policyVariant: "default",
        agent: "openai:gpt-4.1",
        user: "openai:gpt-4.1-mini",
        mode: "default",
        trials: 1,
        seed: 300,
        maxSteps: 40,
        maxErrors: 10,
        taskIds: ["renew_loan"],
        maxConcurrency: 1,
      })
      const before = server.calls.length
      const child = yield* forkEpisode(summary.episode_id, { atTurn: 2 })
      const store = yield* EventStore
      const own = (yield* store.read(child.episodeId)).map((s) => s.event)
      return { child, own, sent: server.calls.slice(before) }
    })
    const { child, own, sent } = await Effect.runPromise(program.pipe(Effect.provide(services())))
    expect(child.state.ended).toBe("user_stop")
    expect(modelCalls(own)).toHaveLength(sent.length)
    // The branch's first call is the agent answering the inherited user message.
    expect(sent[0].messages.at(-1)).toEqual({ role: "user", text: "Hi, I would like to renew my loan L001. My email is ben.schmidt1@example.org." })
    expect(sent.length).toBe(modelCalls(parent.events).length - 1)
  })
})
