import { float, type PyObject, PyJson, type PyValue, type Requestor } from "@tau-sim/engine"
import { Cause, Effect, Exit, Result } from "effect"
import { describe, expect, it } from "vitest"
import {
  type EvaluateSimulationInput,
  EvaluationError,
  evaluateSimulation,
  type NlJudge,
  type NlJudgeRequest,
  rewardInfoToPy,
  scriptedAllMetJudge,
  type Tau2Message,
  taskBaseline,
} from "../src/index.ts"
import { task, toyDomain } from "./toy-domain.ts"

const greeting: Tau2Message[] = [
  { role: "assistant", content: "Hi! How can I help you today?", tool_calls: null },
  { role: "user", content: "Hi, I need some help.", tool_calls: null },
]
const stop: Tau2Message = { role: "user", content: "###STOP###", tool_calls: null }
const say = (content: string): Tau2Message => ({ role: "assistant", content, tool_calls: null })

/** A tool call and its recorded result, as a live run would have written them. */
const call = (id: string, name: string, args: PyObject, content: string, requestor: Requestor = "assistant"): Tau2Message[] => [
  { role: requestor, content: null, tool_calls: [{ id, name, arguments: args, requestor }] },
  { role: "tool", id, content, requestor, error: content.startsWith("Error:") },
]

const conversation = (...parts: Array<Tau2Message | Tau2Message[]>): Tau2Message[] => [...greeting, ...parts.flat(), stop]

const run = (t: EvaluateSimulationInput["task"], messages: Tau2Message[], more: Partial<EvaluateSimulationInput> = {}) =>
  Effect.runPromise(evaluateSimulation({ domain: toyDomain, task: t, messages, terminationReason: "user_stop", nlJudge: scriptedAllMetJudge, ...more }))

const setA2 = call("c1", "set_qty", { item: "a", qty: 2 }, '{"item": "a", "qty": 2}')

describe("early exits (§5.1)", () => {
  it("scores a premature termination 0 without evaluating anything", async () => {
    const t = task("t", { actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }] })
    for (const reason of ["max_steps", "too_many_errors", "timeout", "agent_error", "user_error", "infrastructure_error"]) {
      const info = await run(t, conversation(setA2), { terminationReason: reason })
      expect(rewardInfoToPy(info)).toEqual({
        reward: float(0),
        db_check: null,
        env_assertions: null,
        action_checks: null,
        nl_assertions: null,
        communicate_checks: null,
        reward_basis: null,
        reward_breakdown: null,
        info: { note: `Simulation terminated prematurely. Termination reason: ${reason}` },
        nl_judge: null,
      })
    }
  })

  it("evaluates agent_stop like user_stop", async () => {
    const t = task("t", { actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }] })
    expect((await run(t, conversation(setA2), { terminationReason: "agent_stop" })).reward).toBe(1)
  })

  it("scores a task without evaluation criteria 1", async () => {
    const info = await run(task("t", null), conversation())
    expect(info.reward).toBe(1)
    expect(info.reward_basis).toBeNull()
    expect(info.info).toEqual({ note: "No evaluation criteria" })
  })
})

describe("environment evaluator (§5.2)", () => {
  it("short-cuts when the task has neither actions nor env assertions: DB reported but not in the breakdown", async () => {
    const info = await run(task("t", { reward_basis: ["DB", "COMMUNICATE"] }), conversation(setA2))
    expect(info.db_check).toEqual({ db_match: true, db_reward: 1 })
    expect(info.env_assertions).toBeNull()
    expect(info.reward_breakdown).toEqual({ COMMUNICATE: 1 })
    expect(info.info).toEqual({
      env: { note: "No expected actions or env assertions" },
      nl: null,
      communicate: { note: "No communicate_info to evaluate" },
      action: { note: "No actions to evaluate" },
    })
  })

  it("matches the DB when the trajectory reaches the gold state and not otherwise", async () => {
    const t = task("t", { actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }] })
    expect((await run(t, conversation(setA2))).db_check).toEqual({ db_match: true, db_reward: 1 })
    const wrong = await run(t, conversation(call("c1", "set_qty", { item: "b", qty: 2 }, '{"item": "b", "qty": 2}')))
    expect(wrong.db_check).toEqual({ db_match: false, db_reward: 0 })
    expect(wrong.reward).toBe(0)
    expect(wrong.reward_breakdown).toEqual({ DB: 0, COMMUNICATE: 1 })
  })

  it("compares databases like the reference's hash: 2 and 2.0 differ although the action matches", async () => {
    const t = task("t", { actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: float(2) } }] })
    const info = await run(t, conversation(setA2))
    expect(info.db_check?.db_match).toBe(false)
    expect(info.action_checks?.[0].action_match).toBe(true)
  })

  it("notices an array that shrank even when the values at the touched index are equal", async () => {
    // list ["x", "x"] -> ["x"]: the value at /list/0 is "x" on both sides, the list is not.
    const t = task("t", { actions: [{ action_id: "x", name: "read_item", arguments: { item: "a" } }] })
    const info = await run(t, conversation(call("c1", "remove_first", {}, "removed")))
    expect(info.db_check?.db_match).toBe(false)
  })

  it("skips unknown and non-mutating tools during replay, even when their recorded output is odd", async () => {
    const t = task("t", { actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }] })
    const messages = conversation(
      call("c0", "nonexistent_tool", { q: 1 }, "Error: Tool 'nonexistent_tool' not found."),
      call("c1", "read_item", { item: "a" }, "something the tool never said"),
      setA2,
    )
    expect((await run(t, messages)).db_check?.db_match).toBe(true)
  })

  it("compares JSON-decoded outputs in strict replay (key order and 2 vs 2.0 do not matter) and raises on a real mismatch", async () => {
    const t = task("t", { actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }] })
    const reordered = conversation(call("c1", "set_qty", { item: "a", qty: 2 }, '{"qty": 2.0, "item": "a"}'))
    expect((await run(t, reordered)).db_check?.db_match).toBe(true)

    const lying = conversation(call("c1", "set_qty", { item: "a", qty: 2 }, '{"item": "a", "qty": 3}'))
    const error = await run(t, lying).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EvaluationError)
    expect((error as EvaluationError).stage).toBe("replay")
    // Lenient replay keeps going and still applies the call.
    expect((await run(t, lying, { strict: false })).db_check?.db_match).toBe(true)
  })

  it("raises on a trajectory whose tool messages do not pair with their calls", async () => {
    const t = task("t", { actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }] })
    const orphan: Tau2Message = { role: "tool", id: "c9", content: "x", requestor: "assistant", error: false }
    const mismatched = [setA2[0], { ...(setA2[1] as Extract<Tau2Message, { role: "tool" }>), id: "other" }]
    for (const messages of [conversation(orphan), conversation(mismatched), conversation(setA2[0])]) {
      const error = await run(t, messages).catch((e: unknown) => e)
      expect((error as EvaluationError).stage).toBe("trajectory")
    }
  })

  it("runs gold actions without the sync, so a synced perfect run does not match the user DB", async () => {
    const t = task("t", { actions: [{ action_id: "x", name: "set_mirror", arguments: { value: "v" } }] })
    const info = await run(t, conversation(call("c1", "set_mirror", { value: "v" }, "ok")))
    expect(info.action_checks?.[0].action_match).toBe(true)
    expect(info.db_check?.db_match).toBe(false)
  })

  it("draws random ids independently on the gold and the predicted side, like the reference's uuid4", async () => {
    const t = task("t", { actions: [{ action_id: "x", name: "new_ticket", arguments: {} }] })
    const info = await run(t, conversation(call("c1", "new_ticket", {}, "ticket opened")))
    expect(info.db_check?.db_match).toBe(false)
  })

  it("applies the task's initial state and replays its message history on both sides", async () => {
    const history = call("h1", "set_qty", { item: "b", qty: 7 }, '{"item": "b", "qty": 7}')
    const t = task(
      "t",
      {
        actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }],
        env_assertions: [
          { env_type: "assistant", func_name: "assert_qty", arguments: { item: "b", qty: 7 } },
          { env_type: "assistant", func_name: "assert_qty", arguments: { item: "c", qty: 3 } },
        ],
        reward_basis: ["DB", "ENV_ASSERTION"],
      },
      { initial_state: { initialization_data: { agent_data: { items: { c: { qty: 3 } } } }, message_history: history as unknown as PyValue } },
    )
    const info = await run(t, [...history, ...setA2, say("done"), stop])
    expect(info.db_check?.db_match).toBe(true)
    expect(info.env_assertions?.map((c) => c.met)).toEqual([true, true])
    expect(info.reward).toBe(1)
  })
})

describe("env assertions (§3.6)", () => {
  const withAssertions = (assertions: PyObject[]) =>
    task("t", {
      actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }],
      env_assertions: assertions,
      reward_basis: ["ENV_ASSERTION"],
    })

  it("checks each assertion against assert_value on the predicted state", async () => {
    const info = await run(
      withAssertions([
        { env_type: "assistant", func_name: "assert_qty", arguments: { item: "a", qty: 2 } },
        { env_type: "assistant", func_name: "assert_qty", arguments: { item: "a", qty: 1 }, assert_value: false, message: "not 1" },
        { env_type: "user", func_name: "assert_flag", arguments: { expected: true } },
      ]),
      conversation(setA2),
    )
    expect(rewardInfoToPy(info).env_assertions).toEqual([
      {
        env_assertion: { env_type: "assistant", func_name: "assert_qty", arguments: { item: "a", qty: 2 }, assert_value: true, message: null },
        met: true,
        reward: float(1),
      },
      {
        env_assertion: { env_type: "assistant", func_name: "assert_qty", arguments: { item: "a", qty: 1 }, assert_value: false, message: "not 1" },
        met: true,
        reward: float(1),
      },
      {
        env_assertion: { env_type: "user", func_name: "assert_flag", arguments: { expected: true }, assert_value: true, message: null },
        met: false,
        reward: float(0),
      },
    ])
    expect(info.reward_breakdown).toEqual({ ENV_ASSERTION: 0 })
    expect(info.reward).toBe(0)
  })

  it("makes the whole evaluation raise when an assertion raises or does not return a boolean", async () => {
    const raising = await run(withAssertions([{ env_type: "assistant", func_name: "assert_exists", arguments: { item: "zz" } }]), conversation(setA2)).catch(
      (e: unknown) => e,
    )
    expect(raising).toBeInstanceOf(EvaluationError)
    expect((raising as EvaluationError).detail).toBe("Item zz not found")

    const notBool = await run(withAssertions([{ env_type: "assistant", func_name: "count_items", arguments: {} }]), conversation(setA2)).catch(
      (e: unknown) => e,
    )
    expect((notBool as EvaluationError).detail).toBe("Function count_items returned <class 'int'> instead of bool")
  })
})

describe("action checks (§5.3)", () => {
  const evaluate = async (action: PyObject, ...calls: Tau2Message[][]) => {
    const info = await run(task("t", { actions: [action], reward_basis: ["ACTION"] }), conversation(...calls))
    return info
  }
  const transfer = (args: PyObject, id = "c1") => call(id, "transfer", args, "Transfer successful")

  it("compares the call's own arguments: gold-only arguments are ignored, call-only arguments fail", async () => {
    const gold = { action_id: "x", name: "transfer", arguments: { summary: "s", extra: 1 } }
    expect((await evaluate(gold, transfer({ summary: "s" }))).reward).toBe(1)
    expect((await evaluate({ ...gold, arguments: { summary: "s" } }, transfer({ summary: "s", other: 1 }))).reward).toBe(0)
  })

  it("uses Python equality: 1 == 1.0 == True, key order irrelevant", async () => {
    const gold = { action_id: "x", name: "transfer", arguments: { summary: { a: 1, b: [1, 1] } } }
    expect((await evaluate(gold, transfer({ summary: { b: [float(1), true], a: float(1) } }))).reward).toBe(1)
    expect((await evaluate(gold, transfer({ summary: { a: 1, b: [1, 3] } }))).reward).toBe(0)
  })

  it("honours compare_args: empty means name only, a key on one side only is a mismatch", async () => {
    const gold = { action_id: "x", name: "transfer", arguments: { summary: "s" }, compare_args: [] as string[] }
    expect((await evaluate(gold, transfer({ summary: "anything" }))).reward).toBe(1)
    const onSummary = { ...gold, compare_args: ["summary"] }
    expect((await evaluate(onSummary, transfer({ summary: "s", other: 2 }))).reward).toBe(1)
    expect((await evaluate(onSummary, transfer({ other: 2 }))).reward).toBe(0)
  })

  it("ignores requestor and order, lets one call satisfy several actions, and reports every action", async () => {
    const t = task("t", {
      actions: [
        { action_id: "1", name: "toggle", arguments: {}, requestor: "user" },
        { action_id: "2", name: "transfer", arguments: { summary: "s" } },
        { action_id: "3", name: "transfer", arguments: { summary: "s" }, info: "again" },
        { action_id: "4", name: "set_qty", arguments: { item: "a", qty: 2 } },
      ],
      reward_basis: ["ACTION"],
    })
    const info = await run(t, conversation(transfer({ summary: "s" }), call("u1", "toggle", {}, "Error: Tool 'toggle' not found.", "assistant")))
    expect(rewardInfoToPy(info).action_checks).toEqual([
      {
        action: { action_id: "1", requestor: "user", name: "toggle", arguments: {}, info: null, compare_args: null },
        action_match: true,
        action_reward: float(1),
        tool_type: "write",
      },
      {
        action: { action_id: "2", requestor: "assistant", name: "transfer", arguments: { summary: "s" }, info: null, compare_args: null },
        action_match: true,
        action_reward: float(1),
        tool_type: "generic",
      },
      {
        action: { action_id: "3", requestor: "assistant", name: "transfer", arguments: { summary: "s" }, info: "again", compare_args: null },
        action_match: true,
        action_reward: float(1),
        tool_type: "generic",
      },
      {
        action: { action_id: "4", requestor: "assistant", name: "set_qty", arguments: { item: "a", qty: 2 }, info: null, compare_args: null },
        action_match: false,
        action_reward: float(0),
        tool_type: "write",
      },
    ])
    expect(info.reward).toBe(0)
  })

  it("reports the checks even when ACTION is not in the basis", async () => {
    const info = await run(task("t", { actions: [{ action_id: "x", name: "transfer", arguments: { summary: "s" } }] }), conversation())
    expect(info.action_checks?.[0].action_match).toBe(false)
    expect(info.reward_breakdown).toEqual({ DB: 1, COMMUNICATE: 1 })
    expect(info.reward).toBe(1)
  })
})

describe("communicate checks (§5.4)", () => {
  const criteria = (info: string[]) => task("t", { communicate_info: info, reward_basis: ["COMMUNICATE"] })

  it("finds each string case-insensitively in an assistant message with its commas removed", async () => {
    const info = await run(criteria(["$1234.50", "Paid", "user"]), conversation(say("You paid $1,234.50 today.")))
    expect(info.communicate_checks).toEqual([
      { info: "$1234.50", met: true, justification: "Information '$1234.50' communicated in the message:\n 'You paid $1,234.50 today.'" },
      { info: "Paid", met: true, justification: "Information 'Paid' communicated in the message:\n 'You paid $1,234.50 today.'" },
      { info: "user", met: false, justification: "Information 'user' not communicated." },
    ])
    expect(info.reward).toBe(0)
  })

  it("does not remove commas from the expected string and ignores user messages", async () => {
    const info = await run(criteria(["1,234"]), conversation({ role: "user", content: "1,234", tool_calls: null }, say("1,234")))
    expect(info.communicate_checks?.[0].met).toBe(false)
  })

  it("counts the greeting and takes the first message that matches", async () => {
    const info = await run(criteria(["help you"]), conversation(say("I can help you more")))
    expect(info.communicate_checks?.[0].justification).toBe("Information 'help you' communicated in the message:\n 'Hi! How can I help you today?'")
    expect(info.reward).toBe(1)
  })
})

describe("NL assertions (§5.5) and combination (§5.6)", () => {
  const recordingJudge = (met: boolean) => {
    const requests: NlJudgeRequest[] = []
    const judge: NlJudge = {
      name: "test-judge",
      judge: (r) =>
        Effect.sync(() => {
          requests.push(r)
          return r.assertions.map((a) => ({ nl_assertion: a, met, justification: "because" }))
        }),
    }
    return { judge, requests }
  }

  it("calls the judge only when NL_ASSERTION is in the basis", async () => {
    const { judge, requests } = recordingJudge(false)
    const notInBasis = await run(task("t", { nl_assertions: ["polite"] }), conversation(), { nlJudge: judge })
    expect(requests).toHaveLength(0)
    expect(notInBasis.nl_assertions).toBeNull()
    expect(notInBasis.nl_judge).toBeNull()

    const inBasis = await run(task("t", { nl_assertions: ["polite"], reward_basis: ["NL_ASSERTION"] }), conversation(say("ok")), { nlJudge: judge })
    expect(requests).toEqual([
      {
        assertions: ["polite"],
        trajectoryText: "assistant: Hi! How can I help you today?\nuser: Hi, I need some help.\nassistant: ok\nuser: ###STOP###",
      },
    ])
    expect(inBasis.nl_assertions).toEqual([{ nl_assertion: "polite", met: false, justification: "because" }])
    expect(inBasis.reward).toBe(0)
    expect(inBasis.nl_judge).toBe("test-judge")
    expect(inBasis.info).toEqual({
      env: { note: "No expected actions or env assertions" },
      nl: null,
      communicate: { note: "No communicate_info to evaluate" },
      action: { note: "No actions to evaluate" },
    })
  })

  it("scores 1 without calling the judge when there are no assertions", async () => {
    const { judge, requests } = recordingJudge(false)
    const info = await run(task("t", { reward_basis: ["NL_ASSERTION"] }), conversation(), { nlJudge: judge })
    expect(requests).toHaveLength(0)
    expect(info.nl_assertions).toEqual([])
    expect(info.reward_breakdown).toEqual({ NL_ASSERTION: 1 })
    expect((info.info as { nl: unknown }).nl).toEqual({ note: "No nl_assertions to evaluate" })
    expect(info.nl_judge).toBeNull()
  })

  it("multiplies the basis' components and lists them in the reference order (env, action, NL, communicate)", async () => {
    const t = task("t", {
      actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }],
      communicate_info: ["done"],
      nl_assertions: ["fine"],
      reward_basis: ["COMMUNICATE", "NL_ASSERTION", "ACTION", "DB"],
    })
    const info = await run(t, conversation(setA2, say("done")))
    expect(Object.keys(info.reward_breakdown ?? {})).toEqual(["DB", "ACTION", "NL_ASSERTION", "COMMUNICATE"])
    expect(info.reward).toBe(1)
    expect(info.reward_basis).toEqual(["COMMUNICATE", "NL_ASSERTION", "ACTION", "DB"])
    expect(info.nl_judge).toBe("stub:assume_met")
    const missed = await run(t, conversation(setA2, say("bye")))
    expect(missed.reward_breakdown).toEqual({ DB: 1, ACTION: 1, NL_ASSERTION: 1, COMMUNICATE: 0 })
    expect(missed.reward).toBe(0)
  })

  const politeTask = task("t", { nl_assertions: ["polite"], reward_basis: ["NL_ASSERTION"] })
  const judged = (judge: NlJudge["judge"]) =>
    evaluateSimulation({
      domain: toyDomain,
      task: politeTask,
      messages: conversation(say("ok")),
      terminationReason: "user_stop",
      nlJudge: { name: "j", judge },
    })

  it("is an Exit when the judge answers at once (nothing to run), and runs a judge whose answer needs running", async () => {
    // Rescoring evaluates episode after episode: a fiber per evaluation cost more than the NL step itself.
    const atOnce = evaluateSimulation({
      domain: toyDomain,
      task: politeTask,
      messages: conversation(say("ok")),
      terminationReason: "user_stop",
      nlJudge: scriptedAllMetJudge,
    })
    expect(Exit.isExit(atOnce)).toBe(true)
    expect(Effect.runSync(atOnce).nl_judge).toBe("stub:assume_met")
    const { judge, requests } = recordingJudge(true)
    const later = evaluateSimulation({ domain: toyDomain, task: politeTask, messages: conversation(say("ok")), terminationReason: "user_stop", nlJudge: judge })
    expect(Exit.isExit(later)).toBe(false)
    expect(requests).toHaveLength(0) // the judge's Effect runs with the evaluation
    expect((await Effect.runPromise(later)).nl_assertions).toEqual([{ nl_assertion: "polite", met: true, justification: "because" }])
    expect(requests).toHaveLength(1)
  })

  it("fails with an nl_judge Exception when the judge dies, keeps the judge's own EvaluationError, and dies when the judge throws", async () => {
    const errorOf = (judge: NlJudge["judge"]) => Effect.runPromise(Effect.flip(judged(judge)))
    const died = { stage: "nl_judge", pythonType: "Exception", detail: "judge down" }
    expect(await errorOf(() => Effect.die(new Error("judge down")))).toMatchObject(died)
    expect(await errorOf(() => Effect.suspend(() => Effect.die(new Error("judge down"))))).toMatchObject(died)
    const own = new EvaluationError({ stage: "nl_judge", pythonType: "JSONDecodeError", detail: "Expecting value" })
    expect(await errorOf(() => Effect.fail(own))).toBe(own)
    const thrown = await Effect.runPromiseExit(
      judged(() => {
        throw new Error("not an Effect")
      }),
    )
    expect(Exit.isFailure(thrown) && Cause.hasDies(thrown.cause)).toBe(true)
  })

  it("builds an EvaluationError without stack frames and leaves Error.stackTraceLimit as it was", async () => {
    const limit = Error.stackTraceLimit
    const error = await Effect.runPromise(Effect.flip(judged(() => Effect.die(new Error("judge down")))))
    expect(error.stack?.split("\n").filter((line) => line.trimStart().startsWith("at "))).toEqual([])
    expect(Error.stackTraceLimit).toBe(limit)
  })

  it("uses the default basis [DB, COMMUNICATE] when the task has none", async () => {
    const info = await run(task("t", { actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }] }), conversation(setA2))
    expect(info.reward_basis).toEqual(["DB", "COMMUNICATE"])
    expect(PyJson.dumps(rewardInfoToPy(info).reward_breakdown)).toBe('{"DB": 1.0, "COMMUNICATE": 1.0}')
  })
})

describe("gold-state cache", () => {
  it("computes the gold world once per task and evaluator version", () => {
    const t = task("t", { actions: [{ action_id: "x", name: "set_qty", arguments: { item: "a", qty: 2 } }] })
    const baseline = (...args: Parameters<typeof taskBaseline>) => Result.getOrThrow(taskBaseline(...args))
    const first = baseline(toyDomain, t, true)
    expect(baseline(toyDomain, t, true)).toBe(first)
    expect(baseline(toyDomain, t, false)).not.toBe(first)
    expect(baseline({ ...toyDomain, hashes: { ...toyDomain.hashes, data: "other" } }, t, true)).not.toBe(first)
  })
})
