/**
 * What the agent and the user simulator send to their models: system prompts (structure of
 * §6.2-6.5), the scenario rendering (§1.1), tools per side and mode, role flipping, arguments.
 */
import { demoDomain } from "@tau-sim/domains/demo"
import { loadTau2Domain } from "@tau-sim/domains"
import { type Domain, type EpisodeEvent, type EpisodeStarted, float, foldHistory, type Mode, setupEvents, type Task, type TurnInput } from "@tau-sim/engine"
import { describe, expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { agentRequest, agentSystemPrompt, renderCall, renderScenario, resolutionSteps, userRequest, userToolsFor } from "../src/index.ts"

const data = needsData("tau2")
const TAU2_DATA_DIR = data.tau2

const startedFor = (domain: Domain, task: Task, mode: Mode = "default"): EpisodeStarted => ({
  _tag: "EpisodeStarted",
  v: 2,
  runId: "r",
  episodeId: "e",
  domain: domain.name,
  taskId: task.id,
  trial: 0,
  hashes: { task: "t", policy: "p", data: "d" },
  dataDir: null,
  policyVariant: "default",
  mode,
  agent: "openai:gpt-4.1",
  user: "openai:gpt-4.1",
  seed: 626729,
  limits: { maxSteps: 100, maxErrors: 10 },
  engineVersion: "test",
  parent: null,
})

const turnInput = (domain: Domain, task: Task, role: "agent" | "user", later: EpisodeEvent[] = [], mode: Mode = "default"): TurnInput => ({
  role,
  domain,
  task,
  state: foldHistory(domain, [...setupEvents(startedFor(domain, task, mode), domain, task), ...later]),
})

const msg = (role: "agent" | "user", text: string | null, toolCalls: Array<[string, string, string]> = []): EpisodeEvent => ({
  _tag: "MessageSent",
  v: 1,
  role,
  text,
  toolCalls: toolCalls.map(([id, name, argumentsJson]) => ({ id, name, argumentsJson })),
})
const result = (actor: "agent" | "user", callId: string, name: string, output: string): EpisodeEvent => ({
  _tag: "ToolExecuted",
  v: 1,
  callId,
  actor,
  name,
  argumentsJson: "{}",
  output,
  error: false,
  patchJson: "[]",
})

describe("scenario rendering (§1.1)", () => {
  it("renders persona and free-text instructions, tab-indenting non-blank lines", () => {
    expect(renderScenario({ persona: "Calm.\nPolite.", instructions: "Line one.\n\nLine two." })).toBe(
      "Persona:\n\tCalm.\n\tPolite.\nInstructions:\n\tLine one.\n\n\tLine two.",
    )
    expect(renderScenario({ persona: null, instructions: "Only this." })).toBe("Instructions:\n\tOnly this.")
  })

  it("renders structured instructions as their own block, indented under Instructions", () => {
    const text = renderScenario({
      instructions: {
        domain: "telecom",
        reason_for_call: "No signal.",
        known_info: "Phone 555.",
        unknown_info: null,
        task_instructions: "Be brief.\nStop when fixed.",
      },
    })
    expect(text).toBe(
      [
        "Instructions:",
        "\tDomain: telecom",
        "\tReason for call:",
        "\t\tNo signal.",
        "\tKnown info:",
        "\t\tPhone 555.",
        "\tTask instructions:",
        "\t\tBe brief.",
        "\t\tStop when fixed.",
      ].join("\n"),
    )
  })
})

describe("agent prompts (§6.2-6.4)", () => {
  it("orders the blocks instructions, policy, ticket, resolution steps, per mode", () => {
    const plan = [{ action_id: "a", name: "find", arguments: { email: "x@y.org" } }]
    const tags = (text: string) => [...text.matchAll(/^<([a-z_]+)>$/gm)].map((m) => m[1])
    expect(tags(agentSystemPrompt({ policy: "P", plan: null, ticket: null, solo: false }))).toEqual(["instructions", "policy"])
    expect(tags(agentSystemPrompt({ policy: "P", plan, ticket: null, solo: false }))).toEqual(["instructions", "policy", "resolution_steps"])
    expect(tags(agentSystemPrompt({ policy: "P", plan: null, ticket: "T", solo: true }))).toEqual(["instructions", "policy", "ticket"])
    expect(tags(agentSystemPrompt({ policy: "P", plan, ticket: "T", solo: true }))).toEqual(["instructions", "policy", "ticket", "resolution_steps"])
    const noPolicy = agentSystemPrompt({ policy: null, plan: null, ticket: null, solo: false })
    expect(tags(noPolicy)).toEqual(["instructions"])
    expect(noPolicy).not.toContain("policy")
    expect(agentSystemPrompt({ policy: "P", plan: null, ticket: null, solo: false })).toMatch(/<policy>\nP\n<\/policy>$/)
  })

  it("lists resolution steps with Python-rendered argument values, marking what the user must do", () => {
    expect(renderCall({ name: "pay", arguments: { ids: ["a", "b"], amount: float(9.5), n: 2, ok: true, none: null, o: { k: 1 } } })).toBe(
      "pay(ids=['a', 'b'], amount=9.5, n=2, ok=True, none=None, o={'k': 1})",
    )
    const actions = [
      { action_id: "1", name: "find", arguments: { email: "a@b.org" } },
      { action_id: "2", requestor: "user" as const, name: "log_in", arguments: {} },
    ]
    expect(resolutionSteps(actions, false)).toBe("[Step 1] Perform: find(email=a@b.org).\n[Step 2] Have the customer perform: log_in().")
    expect(resolutionSteps(actions, true)).toBe("[Step 1] Perform: find(email=a@b.org).\n[Step 2] Perform: log_in().")
  })
})

describe("agent requests", () => {
  const domain = demoDomain()
  const task = domain.tasks.find((t) => t.id === "renew_loan") as Task

  it("sends the policy prompt, the agent tools with tool_choice auto, and the trial seed over the user's", () => {
    const request = agentRequest(turnInput(domain, task, "agent", [msg("user", "Renew L001 please")]), { temperature: 0, seed: 1 })
    expect(request.messages[0]).toEqual({
      role: "system",
      content: agentSystemPrompt({ policy: domain.policy.default, plan: null, ticket: null, solo: false }),
    })
    expect(request.messages.slice(1)).toEqual([
      { role: "assistant", content: "Hi! How can I help you today?", toolCalls: [] },
      { role: "user", content: "Renew L001 please" },
    ])
    expect(request.tools.map((t) => t.function.name)).toEqual(domain.agentToolkit.tools.map((t) => t.name))
    expect(request.toolChoice).toBe("auto")
    expect(request.params).toEqual({ temperature: 0, seed: 626729 })
  })

  it("shows the agent its own calls and their results, but neither the user's tool turns nor their results", () => {
    const later = [
      msg("user", "My app is broken"),
      msg("agent", null, [["c1", "find_member_by_email", '{"email": "a@b.org"}']]),
      result("agent", "c1", "find_member_by_email", "M001"),
      msg("agent", "Please log in."),
      msg("user", "checking", [["u1", "log_in", "{}"]]),
      result("user", "u1", "log_in", "Logged in."),
      msg("user", "Done."),
    ]
    const request = agentRequest(turnInput(domain, task, "agent", later), {})
    expect(request.messages.slice(1)).toEqual([
      { role: "assistant", content: "Hi! How can I help you today?", toolCalls: [] },
      { role: "user", content: "My app is broken" },
      { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "find_member_by_email", argumentsJson: '{"email": "a@b.org"}' }] },
      { role: "tool", toolCallId: "c1", toolName: "find_member_by_email", content: "M001" },
      { role: "assistant", content: "Please log in.", toolCalls: [] },
      { role: "user", content: "Done." },
    ])
  })

  it("reveals the gold actions in oracle-plan mode", () => {
    const request = agentRequest(turnInput(domain, task, "agent", [], "oracle-plan"), {})
    const system = (request.messages[0] as { content: string }).content
    expect(system).toContain(
      "<resolution_steps>\n[Step 1] Perform: find_member_by_email(email=ben.schmidt1@example.org).\n[Step 2] Perform: renew_loan(loan_id=L001).\n</resolution_steps>",
    )
  })

  data.it("gives the solo agent the ticket, the solo policy, both sides' tools and done, with tool_choice required", () => {
    const mock = loadTau2Domain("mock", TAU2_DATA_DIR)
    const soloTask = mock.tasks.find((t) => t.ticket) as Task
    const request = agentRequest(turnInput(mock, soloTask, "agent", [], "no-user"), {})
    expect(request.messages).toHaveLength(1)
    const system = (request.messages[0] as { content: string }).content
    expect(system).toContain(`<policy>\n${mock.policy.solo}\n</policy>`)
    expect(system).toContain(`<ticket>\n${soloTask.ticket}\n</ticket>`)
    expect(request.tools.map((t) => t.function.name)).toEqual([
      ...mock.agentToolkit.tools.map((t) => t.name),
      ...(mock.userToolkit?.tools ?? []).map((t) => t.name),
      "done",
    ])
    expect(request.toolChoice).toBe("required")
  })
})

describe("user simulator requests (§6.5)", () => {
  const domain = demoDomain()

  it("flips roles: its own turns are the assistant's, the agent's texts are the user's, its tool results are tools", () => {
    const task = domain.tasks.find((t) => t.id === "link_card_in_app") as Task
    const later = [
      msg("user", "My app does not show my card."),
      msg("agent", null, [["c1", "get_member_details", '{"member_id": "M001"}']]),
      result("agent", "c1", "get_member_details", "{...}"),
      msg("agent", "Please log in."),
      msg("user", null, [["u1", "log_in", "{}"]]),
      result("user", "u1", "log_in", "Logged in."),
    ]
    const request = userRequest(turnInput(domain, task, "user", later), { temperature: 1 })
    expect(request.messages.slice(1)).toEqual([
      { role: "user", content: "Hi! How can I help you today?" },
      { role: "assistant", content: "My app does not show my card.", toolCalls: [] },
      { role: "user", content: "Please log in." },
      { role: "assistant", content: null, toolCalls: [{ id: "u1", name: "log_in", argumentsJson: "{}" }] },
      { role: "tool", toolCallId: "u1", toolName: "log_in", content: "Logged in." },
    ])
    const system = (request.messages[0] as { content: string }).content
    expect(system.endsWith(`\n\n<scenario>\n${renderScenario(task.user_scenario)}\n</scenario>`)).toBe(true)
    for (const token of ["###STOP###", "###TRANSFER###", "###OUT-OF-SCOPE###"]) expect(system).toContain(token)
    // The task lists its user tools: only those, in the toolkit's order.
    expect(request.tools.map((t) => t.function.name)).toEqual(["check_app_status", "log_in", "scan_library_card"])
    expect(request.toolChoice).toBe("auto")
    expect(request.params).toEqual({ temperature: 1, seed: 626729 })
  })

  it("filters user tools by task.user_tools: null → all, [] → none, an unknown name → none", () => {
    const base = domain.tasks[0]
    const all = (domain.userToolkit?.tools ?? []).map((t) => t.name)
    expect(userToolsFor(domain, { ...base, user_tools: null }).map((t) => t.name)).toEqual(all)
    expect(userToolsFor(domain, { ...base, user_tools: [] })).toEqual([])
    expect(userToolsFor(domain, { ...base, user_tools: ["log_in", "no_such_tool"] })).toEqual([])
    expect(userToolsFor(domain, { ...base, user_tools: ["log_in", "check_app_status"] }).map((t) => t.name)).toEqual(["check_app_status", "log_in"])
  })

  data.it("uses the guidelines without tools (and no tools at all) when the user has none", () => {
    const airline = loadTau2Domain("airline", TAU2_DATA_DIR)
    const task = airline.tasks[0]
    const request = userRequest(turnInput(airline, task, "user"), {})
    expect(request.tools).toEqual([])
    expect(request.toolChoice).toBeNull()
    const system = (request.messages[0] as { content: string }).content
    expect(system).not.toMatch(/tool/i)
    expect(request.messages.slice(1)).toEqual([{ role: "user", content: "Hi! How can I help you today?" }])
  })
})
