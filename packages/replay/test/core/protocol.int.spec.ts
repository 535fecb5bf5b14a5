/**
 * The orchestrator's turn protocol (semantics §2) on the demo domain, through the real SQLite
 * store: greeting, limits and the order of termination checks, tool-call errors, and what a
 * misbehaving or failing participant does to an episode.
 */
import {
  type EpisodeEnded,
  type EpisodeEvent,
  EventStore,
  GREETING,
  type Participant,
  ParticipantError,
  type ParticipantTurn,
  scriptedParticipant,
  type ToolExecuted,
} from "@tau-sim/engine"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { demoTask, driveRecordingLiveWorld, readStored, startedEvent, tagsOf, tempDir, withStore } from "./harness.ts"

const tmp = tempDir("protocol")
afterAll(tmp.dispose)

const say = (text: string | null): ParticipantTurn => ({ text, toolCalls: [] })
const calls = (...cs: Array<[name: string, args: string]>): ParticipantTurn => ({
  text: null,
  toolCalls: cs.map(([name, argumentsJson]) => ({ name, argumentsJson })),
})

let episodes = 0

/** Runs one demo episode with the given participants; returns its stored events. */
const runEpisode = async (options: {
  agent: Participant | ReadonlyArray<ParticipantTurn>
  user: Participant | ReadonlyArray<ParticipantTurn>
  maxSteps?: number
  maxErrors?: number
  taskId?: string
}) => {
  const path = tmp.db()
  const episodeId = `ep_protocol_${episodes++}`
  const taskId = options.taskId ?? "renew_loan"
  const asParticipant = (p: Participant | ReadonlyArray<ParticipantTurn>) => ("act" in p ? p : scriptedParticipant("scripted:test", p))
  const started = startedEvent({
    episodeId,
    taskId,
    limits: { maxSteps: options.maxSteps ?? 200, maxErrors: options.maxErrors ?? 10 },
  })
  await withStore(path, driveRecordingLiveWorld(started, demoTask(taskId), { agent: asParticipant(options.agent), user: asParticipant(options.user) }))
  const events = (await readStored(path, episodeId)).map((e) => e.event)
  const row = await withStore(
    path,
    Effect.flatMap(EventStore, (s) => s.getEpisode(episodeId)),
  )
  return { events, row, ended: events.at(-1) as EpisodeEnded }
}

const toolEvents = (events: ReadonlyArray<EpisodeEvent>) => events.filter((e): e is ToolExecuted => e._tag === "ToolExecuted")
const messages = (events: ReadonlyArray<EpisodeEvent>) => events.filter((e) => e._tag === "MessageSent")

describe("orchestrator protocol", () => {
  it("opens with the greeting as setup, then the user speaks first", async () => {
    const { events, ended, row } = await runEpisode({ agent: [say("Hello Ben.")], user: [say("Hi."), say("Bye ###STOP###")] })
    expect(tagsOf(events)).toEqual(["EpisodeStarted", "MessageSent", "MessageSent", "MessageSent", "MessageSent", "EpisodeEnded"])
    expect(events[1]).toMatchObject({ role: "agent", text: GREETING, toolCalls: [], setup: true })
    expect(events[2]).toMatchObject({ role: "user", text: "Hi." })
    expect(events[3]).toMatchObject({ role: "agent", text: "Hello Ben." })
    // The greeting is not a step: user, agent, user = 3.
    expect(ended).toMatchObject({ reason: "user_stop", steps: 3, errors: 0 })
    expect(row).toMatchObject({ status: "ended", terminationReason: "user_stop", version: events.length })
  })

  it("records max_steps, not the user's stop, when the stop lands on the last allowed step", async () => {
    const script = { agent: [say("Hello.")], user: [say("Hi."), say("###STOP###")] }
    const atLimit = await runEpisode({ ...script, maxSteps: 3 })
    expect(atLimit.ended).toMatchObject({ reason: "max_steps", steps: 3 })
    // The stop message itself is stored; only the reason is overwritten.
    expect(messages(atLimit.events).at(-1)).toMatchObject({ role: "user", text: "###STOP###" })
    const belowLimit = await runEpisode({ ...script, maxSteps: 4 })
    expect(belowLimit.ended).toMatchObject({ reason: "user_stop", steps: 3 })
  })

  it("records max_steps over an agent stop on the last allowed step too", async () => {
    const { ended } = await runEpisode({ agent: [say("Done ###STOP###")], user: [say("Hi.")], maxSteps: 2 })
    expect(ended).toMatchObject({ reason: "max_steps", steps: 2 })
    const { ended: free } = await runEpisode({ agent: [say("Done ###STOP###")], user: [say("Hi.")], maxSteps: 3 })
    expect(free).toMatchObject({ reason: "agent_stop", steps: 2 })
  })

  it("ends with too_many_errors once tool errors add up, even with successes in between", async () => {
    const { events, ended } = await runEpisode({
      maxErrors: 3,
      agent: [
        calls(["get_member_details", '{"member_id": "M999"}']), // error 1
        calls(["find_member_by_email", '{"email": "ben.schmidt1@example.org"}']), // ok
        calls(["renew_loan", '{"loan_id": "L999"}']), // error 2
        calls(["get_loan_details", '{"loan_id": "L001"}']), // ok
        calls(["no_such_tool", "{}"]), // error 3
        say("never said"),
      ],
      user: [say("Hi.")],
    })
    const tools = toolEvents(events)
    expect(tools.map((t) => t.error)).toEqual([true, false, true, false, true])
    expect(ended).toMatchObject({ reason: "too_many_errors", errors: 3 })
    // The check runs right after the tool batch that made the third error: the agent never speaks again.
    expect(events.at(-2)).toMatchObject({ _tag: "ToolExecuted", name: "no_such_tool" })
    expect(messages(events).some((m) => m._tag === "MessageSent" && m.text === "never said")).toBe(false)
  })

  it("does not check termination while tool calls are pending", async () => {
    // Step 2 (the agent's tool call) reaches max_steps, but the call still runs; the check follows the batch.
    const steps = await runEpisode({
      maxSteps: 2,
      agent: [calls(["find_member_by_email", '{"email": "ben.schmidt1@example.org"}'])],
      user: [say("Hi.")],
    })
    expect(tagsOf(steps.events).slice(-3)).toEqual(["MessageSent", "ToolExecuted", "EpisodeEnded"])
    expect(toolEvents(steps.events)[0]).toMatchObject({ output: "M001", error: false })
    expect(steps.ended).toMatchObject({ reason: "max_steps", steps: 3 })

    // The user's tool call on the last allowed step runs as well.
    const user = await runEpisode({ maxSteps: 1, taskId: "link_card_in_app", agent: [say("unused")], user: [calls(["log_in", "{}"])] })
    expect(toolEvents(user.events)).toMatchObject([{ actor: "user", name: "log_in", output: "Logged in.", error: false }])
    expect(user.ended).toMatchObject({ reason: "max_steps", steps: 2 })

    // A batch is never cut short by the error limit: every call of it runs, then the check.
    const errors = await runEpisode({
      maxErrors: 1,
      agent: [
        calls(["no_such_tool", "{}"], ["get_member_details", '{"member_id": "M999"}'], ["find_member_by_email", '{"email": "ana.garcia10@example.org"}']),
      ],
      user: [say("Hi.")],
    })
    expect(toolEvents(errors.events).map((t) => [t.name, t.error])).toEqual([
      ["no_such_tool", true],
      ["get_member_details", true],
      ["find_member_by_email", false],
    ])
    expect(errors.ended).toMatchObject({ reason: "too_many_errors", errors: 2 })
  })

  it("records invalid tool-call JSON as an error tool result, with the raw text", async () => {
    const { events, ended } = await runEpisode({
      agent: [calls(["find_member_by_email", '{"email": "ben.schmidt1@'], ["find_member_by_email", '["not", "an object"]']), say("Sorry.")],
      user: [say("Hi."), say("###STOP###")],
    })
    const [broken, notObject] = toolEvents(events)
    expect(broken).toMatchObject({
      actor: "agent",
      name: "find_member_by_email",
      argumentsJson: '{"email": "ben.schmidt1@',
      error: true,
      patchJson: "[]",
      output: 'Error: the tool call arguments are not a valid JSON object: {"email": "ben.schmidt1@',
    })
    expect(notObject).toMatchObject({ error: true, output: 'Error: the tool call arguments are not a valid JSON object: ["not", "an object"]' })
    expect(ended).toMatchObject({ reason: "user_stop", errors: 2 })
  })

  it("answers an unknown tool with the reference's error text, for either side", async () => {
    const { events } = await runEpisode({
      taskId: "link_card_in_app",
      agent: [calls(["x", "{}"], ["log_in", "{}"]), say("Please log in.")],
      user: [say("Hi."), calls(["find_member_by_email", '{"email": "ben.schmidt1@example.org"}'], ["log_in", "{}"]), say("###STOP###")],
    })
    expect(toolEvents(events).map((t) => [t.actor, t.name, t.output, t.error])).toEqual([
      ["agent", "x", "Error: Tool 'x' not found.", true],
      // User tools are not agent tools and the other way round.
      ["agent", "log_in", "Error: Tool 'log_in' not found.", true],
      ["user", "find_member_by_email", "Error: Tool 'find_member_by_email' not found.", true],
      ["user", "log_in", "Logged in.", false],
    ])
  })

  for (const role of ["agent", "user"] as const) {
    const reason = `${role}_error`
    for (const [label, turn] of [
      ["no text and no tool calls", say(null)],
      ["blank text", say("  \n ")],
    ] as const) {
      it(`ends with ${reason} when the ${role} sends an empty message (${label})`, async () => {
        const { events, ended } = await runEpisode(
          role === "agent" ? { agent: [turn], user: [say("Hi.")] } : { agent: [say("Hello.")], user: [say("Hi."), turn] },
        )
        expect(ended).toMatchObject({ reason, note: "empty message" })
        // The empty message is not stored as a turn.
        expect(messages(events).filter((m) => m._tag === "MessageSent" && !m.setup)).toHaveLength(role === "agent" ? 1 : 2)
      })
    }
  }

  const failing = (kind: "participant" | "infrastructure", message: string): Participant => ({
    spec: "failing",
    act: () => Effect.fail(new ParticipantError({ kind, message })),
  })

  it("ends with infrastructure_error when a participant's infrastructure fails", async () => {
    for (const role of ["agent", "user"] as const) {
      const broken = failing("infrastructure", "provider unreachable")
      const { ended, row } = await runEpisode(role === "agent" ? { agent: broken, user: [say("Hi.")] } : { agent: [say("Hello.")], user: broken })
      expect(ended).toMatchObject({ reason: "infrastructure_error", note: "provider unreachable" })
      expect(row).toMatchObject({ status: "ended", terminationReason: "infrastructure_error" })
    }
  })

  it("ends with agent_error / user_error when a participant itself fails", async () => {
    const agent = await runEpisode({ agent: failing("participant", "bad reply"), user: [say("Hi.")] })
    expect(agent.ended).toMatchObject({ reason: "agent_error", note: "bad reply" })
    // A script that runs out is a participant failure too.
    const user = await runEpisode({ agent: [say("Hello.")], user: [say("Hi.")] })
    expect(user.ended).toMatchObject({ reason: "user_error", note: "script has no turn 2" })
  })
})
