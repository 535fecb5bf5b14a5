/**
 * NL-assertion evaluator (semantics §5.5) with the judge injected.
 *
 * The reference asks an LLM; here a `NlJudge` receives the assertions and the trajectory text and
 * returns one check per graded outcome. `buildNlJudgePrompt` and `parseNlJudgeReply` reproduce the
 * reference's request and reply handling for an LLM-backed judge (the models package builds one
 * over the model port); `scriptedAllMetJudge` is the deterministic stand-in the conformance
 * fixtures were produced with.
 */
import { isObject, type ModelCalled, PyJson, type PyValue, pyRepr, type Task } from "@tau-sim/engine"
import { Effect, Result } from "effect"
import { succeededAtHand } from "./at-hand.ts"
import { type EvaluationError, errorText, evaluationError } from "./errors.ts"
import type { Tau2Message } from "./messages.ts"
import type { EvaluatorInfo, NlAssertionCheck, RewardBreakdown } from "./reward-info.ts"

export interface NlJudgeRequest {
  readonly assertions: ReadonlyArray<string>
  /** One line `<role>: <content>` per message (`None` for messages without content). */
  readonly trajectoryText: string
}

/** Receives the model calls a judge made for one evaluation, failed attempts included (stored with the score they produced). */
export type JudgeCallSink = (calls: ReadonlyArray<ModelCalled>) => void

export interface NlJudge {
  /** Recorded in `reward_info.nl_judge` when the judge ran (e.g. `stub:assume_met`, `openai:gpt-4.1`). */
  readonly name: string
  /** One check per graded outcome; a judge that cannot answer fails with an `nl_judge` EvaluationError. */
  readonly judge: (request: NlJudgeRequest) => Effect.Effect<ReadonlyArray<NlAssertionCheck>, EvaluationError>
  /**
   * A judge that calls a model: the same judge, reporting every call it makes to `sink` before it
   * answers or fails. Absent: the judge calls no model (the scripted one).
   */
  readonly recordingTo?: (sink: JudgeCallSink) => NlJudge
}

export const ASSUME_MET_JUSTIFICATION = "oracle NL-judge stub (assume_met); no LLM was called"

/** Marks every assertion as met without calling anything (the fixtures' stub). */
export const scriptedAllMetJudge: NlJudge = {
  name: "stub:assume_met",
  judge: (request) => Effect.succeed(request.assertions.map((nl_assertion) => ({ nl_assertion, met: true, justification: ASSUME_MET_JUSTIFICATION }))),
}

/** The reference's `trajectory_str`: Python f-string `{role}: {content}` per message. */
export const trajectoryText = (messages: ReadonlyArray<Tau2Message>): string => messages.map((m) => `${m.role}: ${m.content ?? "None"}`).join("\n")

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
export const parseNlJudgeReply = (content: string): Result.Result<NlAssertionCheck[], EvaluationError> => {
  const fail = (pythonType: string, detail: string) => Result.fail(evaluationError("nl_judge", pythonType, detail))
  let data: PyValue
  try {
    data = PyJson.parse(content)
  } catch (e) {
    return fail("JSONDecodeError", errorText(e))
  }
  if (!isObject(data)) return fail("AttributeError", "the judge reply is not a JSON object")
  const results = data.results ?? []
  if (!Array.isArray(results)) return fail("TypeError", "`results` is not a list")
  const checks: NlAssertionCheck[] = []
  for (const [i, r] of results.entries()) {
    if (!isObject(r)) return fail("TypeError", `results[${i}] is not an object`)
    const { expectedOutcome, metExpectation, reasoning } = r
    if (typeof expectedOutcome !== "string" || typeof metExpectation !== "boolean" || typeof reasoning !== "string")
      return fail("ValidationError", `results[${i}] lacks expectedOutcome/metExpectation/reasoning`)
    checks.push({ nl_assertion: expectedOutcome, met: metExpectation, justification: reasoning })
  }
  return Result.succeed(checks)
}

export interface NlEvaluation {
  readonly reward: number
  readonly nl_assertions: ReadonlyArray<NlAssertionCheck>
  readonly reward_breakdown: RewardBreakdown
  readonly info: EvaluatorInfo
  /** The judge's name when it was called. */
  readonly judge: string | null
}

const noNlAssertions = (): NlEvaluation => ({
  reward: 1,
  nl_assertions: [],
  reward_breakdown: { NL_ASSERTION: 1 },
  info: { note: "No nl_assertions to evaluate" },
  judge: null,
})

// The reference catches any exception of the judge call: a judge that dies fails the evaluation the same way.
const judgeDied = (defect: unknown) => Effect.fail(evaluationError("nl_judge", "Exception", errorText(defect)))

const nlEvaluation = (judge: NlJudge, checks: ReadonlyArray<NlAssertionCheck>): NlEvaluation => {
  const reward = checks.every((c) => c.met) ? 1 : 0
  return { reward, nl_assertions: checks, reward_breakdown: { NL_ASSERTION: reward }, info: null, judge: judge.name }
}

/**
 * Asks the judge when the evaluation is built (the judge's Effect runs when the evaluation runs).
 * A judge that has its answer at once (the scripted one answers with `Effect.succeed`) yields an
 * `Exit`, so the evaluation needs no fiber; this runs once per evaluated episode.
 */
export const evaluateNlAssertions = (task: Task, messages: ReadonlyArray<Tau2Message>, judge: NlJudge): Effect.Effect<NlEvaluation, EvaluationError> => {
  const assertions = task.evaluation_criteria?.nl_assertions
  if (!assertions || assertions.length === 0) return Effect.succeed(noNlAssertions())
  // The text is built on first read: a scripted judge never needs it.
  let text: string | undefined
  const request: NlJudgeRequest = {
    assertions,
    get trajectoryText() {
      text ??= trajectoryText(messages)
      return text
    },
  }
  let answer: Effect.Effect<ReadonlyArray<NlAssertionCheck>, EvaluationError>
  try {
    answer = judge.judge(request)
  } catch (e) {
    // A judge that throws instead of answering is a defect, as it was when the judge was called inside the Effect.
    return Effect.die(e)
  }
  if (succeededAtHand(answer)) return Effect.succeed(nlEvaluation(judge, answer.value))
  return answer.pipe(
    Effect.catchDefect(judgeDied),
    Effect.map((checks) => nlEvaluation(judge, checks)),
  )
}
