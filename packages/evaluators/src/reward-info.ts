/**
 * The reference's RewardInfo (semantics §1.4) and its sub-results.
 *
 * Rewards are JS numbers here (they are always Python floats in the reference); `rewardInfoToPy`
 * gives the JSON form with floats boxed, in the reference's field order, for results files.
 */
import { type Action, type EnvAssertion, float, type PyObject, type PyValue, type RewardType, type ToolKind } from "@tau-sim/engine"

/** An `Action` as pydantic dumps it: every field, defaults filled in. */
export interface ActionDump {
  readonly action_id: string
  readonly requestor: "user" | "assistant"
  readonly name: string
  readonly arguments: PyObject
  readonly info: string | null
  readonly compare_args: ReadonlyArray<string> | null
}

/** An `EnvAssertion` as pydantic dumps it. */
export interface EnvAssertionDump {
  readonly env_type: "user" | "assistant"
  readonly func_name: string
  readonly arguments: PyObject
  readonly assert_value: boolean
  readonly message: string | null
}

export interface DbCheck {
  readonly db_match: boolean
  readonly db_reward: number
}

export interface EnvAssertionCheck {
  readonly env_assertion: EnvAssertionDump
  readonly met: boolean
  readonly reward: number
}

export interface ActionCheck {
  readonly action: ActionDump
  readonly action_match: boolean
  readonly action_reward: number
  readonly tool_type: ToolKind | null
}

export interface NlAssertionCheck {
  readonly nl_assertion: string
  readonly met: boolean
  readonly justification: string
}

export interface CommunicateCheck {
  readonly info: string
  readonly met: boolean
  readonly justification: string
}

export type RewardBreakdown = Partial<Record<RewardType, number>>

/** `{note: ...}` or null, per sub-evaluator. */
export type EvaluatorInfo = { readonly note: string } | null

export interface CombinedInfo {
  readonly env: EvaluatorInfo
  readonly nl: EvaluatorInfo
  readonly communicate: EvaluatorInfo
  readonly action: EvaluatorInfo
}

export interface RewardInfo {
  readonly reward: number
  readonly db_check: DbCheck | null
  readonly env_assertions: ReadonlyArray<EnvAssertionCheck> | null
  readonly action_checks: ReadonlyArray<ActionCheck> | null
  readonly nl_assertions: ReadonlyArray<NlAssertionCheck> | null
  readonly communicate_checks: ReadonlyArray<CommunicateCheck> | null
  readonly reward_basis: ReadonlyArray<RewardType> | null
  readonly reward_breakdown: RewardBreakdown | null
  /** `CombinedInfo` for a full evaluation, `{note}` for the early exits. */
  readonly info: CombinedInfo | EvaluatorInfo
  /** Which NL judge produced `nl_assertions` (e.g. `stub:assume_met`); null when none ran. */
  readonly nl_judge: string | null
}

/** A RewardInfo with every field empty, as pydantic's defaults. */
export const emptyRewardInfo = (reward: number, info: RewardInfo["info"]): RewardInfo => ({
  reward,
  db_check: null,
  env_assertions: null,
  action_checks: null,
  nl_assertions: null,
  communicate_checks: null,
  reward_basis: null,
  reward_breakdown: null,
  info,
  nl_judge: null,
})

export const dumpAction = (a: Action): ActionDump => ({
  action_id: a.action_id,
  requestor: a.requestor ?? "assistant",
  name: a.name,
  arguments: a.arguments as PyObject,
  info: a.info ?? null,
  compare_args: a.compare_args ?? null,
})

export const dumpEnvAssertion = (a: EnvAssertion): EnvAssertionDump => ({
  env_type: a.env_type,
  func_name: a.func_name,
  arguments: a.arguments as PyObject,
  assert_value: a.assert_value ?? true,
  message: a.message ?? null,
})

const listOrNull = <T>(xs: ReadonlyArray<T> | null, f: (x: T) => PyValue): PyValue => (xs === null ? null : xs.map(f))

/** The JSON form of a RewardInfo (floats boxed so that `1.0` renders as `1.0`). */
export const rewardInfoToPy = (r: RewardInfo): PyObject => ({
  reward: float(r.reward),
  db_check: r.db_check && { db_match: r.db_check.db_match, db_reward: float(r.db_check.db_reward) },
  env_assertions: listOrNull(r.env_assertions, (c) => ({
    env_assertion: { ...c.env_assertion },
    met: c.met,
    reward: float(c.reward),
  })),
  action_checks: listOrNull(r.action_checks, (c) => ({
    action: { ...c.action, compare_args: c.action.compare_args && [...c.action.compare_args] },
    action_match: c.action_match,
    action_reward: float(c.action_reward),
    tool_type: c.tool_type,
  })),
  nl_assertions: listOrNull(r.nl_assertions, (c) => ({ ...c })),
  communicate_checks: listOrNull(r.communicate_checks, (c) => ({ ...c })),
  reward_basis: r.reward_basis && [...r.reward_basis],
  reward_breakdown: r.reward_breakdown && Object.fromEntries(Object.entries(r.reward_breakdown).map(([k, v]) => [k, float(v as number)])),
  info: r.info && (Object.fromEntries(Object.entries(r.info).map(([k, v]) => [k, typeof v === "object" && v !== null ? { ...v } : v])) as PyObject),
  nl_judge: r.nl_judge,
})
