/**
 * NL-assertion evaluator (semantics §5.5) with the judge injected.
 *
 * The reference asks an LLM; here a `NlJudge` receives the assertions and the trajectory text and
 * returns one check per graded outcome. `buildNlJudgePrompt` and `parseNlJudgeReply` reproduce the
 * reference's request and reply handling for an LLM-backed judge; `scriptedAllMetJudge` is the
 * deterministic stand-in the conformance fixtures were produced with.
 */
import { isObject, PyJson, pyRepr, type Task } from "@tau-sim/engine"
import { EvaluationError, errorText } from "./errors.ts"
import type { Tau2Message } from "./messages.ts"
import type { EvaluatorInfo, NlAssertionCheck, RewardBreakdown } from "./reward-info.ts"

export interface NlJudgeRequest {
  readonly assertions: ReadonlyArray<string>
  /** One line `<role>: <content>` per message (`None` for messages without content). */
  readonly trajectoryText: string
}

export interface NlJudge {
  /** Recorded in `reward_info.nl_judge` when the judge ran (e.g. `stub:assume_met`). */
  readonly name: string
  readonly judge: (request: NlJudgeRequest) => Promise<ReadonlyArray<NlAssertionCheck>>
}

export const ASSUME_MET_JUSTIFICATION = "oracle NL-judge stub (assume_met); no LLM was called"

/** Marks every assertion as met without calling anything (the fixtures' stub). */
export const scriptedAllMetJudge: NlJudge = {
  name: "stub:assume_met",
  judge: async (request) => request.assertions.map((nl_assertion) => ({ nl_assertion, met: true, justification: ASSUME_MET_JUSTIFICATION })),
}

/** The reference's `trajectory_str`: Python f-string `{role}: {content}` per message. */
export const trajectoryText = (messages: ReadonlyArray<Tau2Message>): string =>
  messages.map((m) => `${m.role}: ${m.content ?? "None"}`).join("\n")

// Both prompts are Python triple-quoted strings; their source indentation is part of the text.
const SYSTEM_PROMPT = [
  "",
  "        TASK",
  "        - You will be given a list of expected outcomes and a conversation that was collected during a test case run.",
  "        - The conversation is between an agent and a customer.",
  "        - Your job is to evaluate whether the agent satisfies each of the expected outcomes.",
  "        - Grade each expected outcome individually.",
  "",
  "        FORMAT",
  "        - Your response should be a JSON object with the following fields:",
  "        - `reasoning`: a short explanation for your classification",
  "        - `metExpectation`: `true` if the agent satisfies the expected outcomes, `false` otherwise",
  "        - `expectedOutcome`: repeat the expectation from the input that you are grading",
  "        ",
  "        Example response structure:",
  "        {",
  '            "results": [',
  "                {",
  '                    "expectedOutcome": "<one of the expected outcomes from the input>",',
  '                    "reasoning": "<reasoning trace>",',
  '                    "metExpectation": <false or true>,',
  "                }",
  "            ]",
  "        }",
  "        ",
].join("\n")

export interface NlJudgePrompt {
  readonly system: string
  readonly user: string
}

/** The judge's system and user messages, byte for byte as the reference sends them. */
export const buildNlJudgePrompt = (request: NlJudgeRequest): NlJudgePrompt => ({
  system: SYSTEM_PROMPT,
  user: `\n        conversation:\n        ${request.trajectoryText}\n        \n        expectedOutcomes:\n        ${pyRepr([...request.assertions])}\n        `,
})

/**
 * Parses the judge's reply like the reference: strict JSON (a fenced or malformed reply is an
 * error), entries of `results` mapped to checks, not reconciled with the asked assertions.
 */
export const parseNlJudgeReply = (content: string): NlAssertionCheck[] => {
  let data
  try {
    data = PyJson.parse(content)
  } catch (e) {
    throw new EvaluationError("nl_judge", "JSONDecodeError", errorText(e), { cause: e })
  }
  if (!isObject(data)) throw new EvaluationError("nl_judge", "AttributeError", "the judge reply is not a JSON object")
  const results = data.results ?? []
  if (!Array.isArray(results)) throw new EvaluationError("nl_judge", "TypeError", "`results` is not a list")
  return results.map((r, i) => {
    if (!isObject(r)) throw new EvaluationError("nl_judge", "TypeError", `results[${i}] is not an object`)
    const { expectedOutcome, metExpectation, reasoning } = r
    if (typeof expectedOutcome !== "string" || typeof metExpectation !== "boolean" || typeof reasoning !== "string")
      throw new EvaluationError("nl_judge", "ValidationError", `results[${i}] lacks expectedOutcome/metExpectation/reasoning`)
    return { nl_assertion: expectedOutcome, met: metExpectation, justification: reasoning }
  })
}

export interface NlEvaluation {
  readonly reward: number
  readonly nl_assertions: ReadonlyArray<NlAssertionCheck>
  readonly reward_breakdown: RewardBreakdown
  readonly info: EvaluatorInfo
  /** The judge's name when it was called. */
  readonly judge: string | null
}

export const evaluateNlAssertions = async (task: Task, messages: ReadonlyArray<Tau2Message>, judge: NlJudge): Promise<NlEvaluation> => {
  const assertions = task.evaluation_criteria?.nl_assertions
  if (!assertions || assertions.length === 0)
    return { reward: 1, nl_assertions: [], reward_breakdown: { NL_ASSERTION: 1 }, info: { note: "No nl_assertions to evaluate" }, judge: null }
  let checks: ReadonlyArray<NlAssertionCheck>
  try {
    // The text is built on first read: a scripted judge never needs it.
    let text: string | undefined
    const request: NlJudgeRequest = {
      assertions,
      get trajectoryText() {
        text ??= trajectoryText(messages)
        return text
      },
    }
    checks = await judge.judge(request)
  } catch (e) {
    if (e instanceof EvaluationError) throw e
    throw new EvaluationError("nl_judge", "Exception", errorText(e), { cause: e })
  }
  const reward = checks.every((c) => c.met) ? 1 : 0
  return { reward, nl_assertions: checks, reward_breakdown: { NL_ASSERTION: reward }, info: null, judge: judge.name }
}
