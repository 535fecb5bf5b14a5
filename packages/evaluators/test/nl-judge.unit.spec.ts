import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import {
  buildNlJudgePrompt,
  EvaluationError,
  parseNlJudgeReply as parseNlJudgeReplyResult,
  scriptedAllMetJudge,
  trajectoryText,
  type Tau2Message,
} from "../src/index.ts"

/** The checks, or the reply's EvaluationError thrown (as the reference raises). */
const parseNlJudgeReply = (content: string) => Result.getOrThrow(parseNlJudgeReplyResult(content))

// The reference's triple-quoted prompts, written out with their source indentation.
const EXPECTED_SYSTEM = `
        TASK
        - You will be given a list of expected outcomes and a conversation that was collected during a test case run.
        - The conversation is between an agent and a customer.
        - Your job is to evaluate whether the agent satisfies each of the expected outcomes.
        - Grade each expected outcome individually.

        FORMAT
        - Your response should be a JSON object with the following fields:
        - \`reasoning\`: a short explanation for your classification
        - \`metExpectation\`: \`true\` if the agent satisfies the expected outcomes, \`false\` otherwise
        - \`expectedOutcome\`: repeat the expectation from the input that you are grading
        ${""}
        Example response structure:
        {
            "results": [
                {
                    "expectedOutcome": "<one of the expected outcomes from the input>",
                    "reasoning": "<reasoning trace>",
                    "metExpectation": <false or true>,
                }
            ]
        }
        `

describe("NL judge request (§5.5)", () => {
  const messages: Tau2Message[] = [
    { role: "assistant", content: "Hi!", tool_calls: null },
    { role: "assistant", content: null, tool_calls: [{ id: "1", name: "f", arguments: {}, requestor: "assistant" }] },
    { role: "tool", id: "1", content: '{"a": 1}', requestor: "assistant", error: false },
    { role: "user", content: "It's fine", tool_calls: null },
  ]

  it("renders the trajectory as `role: content` lines with None for tool-call messages", () => {
    expect(trajectoryText(messages)).toBe('assistant: Hi!\nassistant: None\ntool: {"a": 1}\nuser: It\'s fine')
  })

  it("builds the reference's system and user prompts byte for byte", () => {
    const prompt = buildNlJudgePrompt({ assertions: ["Agent was polite", "User's refund"], trajectoryText: "assistant: Hi!\nuser: ok" })
    expect(prompt.system).toBe(EXPECTED_SYSTEM)
    expect(prompt.user).toBe(
      "\n        conversation:\n        assistant: Hi!\nuser: ok\n        \n        expectedOutcomes:\n        ['Agent was polite', \"User's refund\"]\n        ",
    )
  })
})

describe("NL judge reply", () => {
  it("maps results to checks without reconciling them with the asked assertions", () => {
    const reply =
      '{"results": [{"expectedOutcome": "x", "reasoning": "r", "metExpectation": false}, {"expectedOutcome": "y", "reasoning": "s", "metExpectation": true}]}'
    expect(parseNlJudgeReply(reply)).toEqual([
      { nl_assertion: "x", met: false, justification: "r" },
      { nl_assertion: "y", met: true, justification: "s" },
    ])
    expect(parseNlJudgeReply("{}")).toEqual([])
  })

  it("rejects a fenced or malformed reply like the reference's strict json.loads", () => {
    expect(() => parseNlJudgeReply('```json\n{"results": []}\n```')).toThrow(EvaluationError)
    expect(() => parseNlJudgeReply('{"results": [{"expectedOutcome": "x"}]}')).toThrow(EvaluationError)
  })

  it("has a scripted judge that marks every assertion met", async () => {
    expect(await Effect.runPromise(scriptedAllMetJudge.judge({ assertions: ["a", "b"], trajectoryText: "" }))).toEqual([
      { nl_assertion: "a", met: true, justification: "oracle NL-judge stub (assume_met); no LLM was called" },
      { nl_assertion: "b", met: true, justification: "oracle NL-judge stub (assume_met); no LLM was called" },
    ])
    expect(scriptedAllMetJudge.name).toBe("stub:assume_met")
  })
})
