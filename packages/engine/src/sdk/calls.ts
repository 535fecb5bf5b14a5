/**
 * The calls a task is made of, as a generator writes them: initialisation calls that break a world
 * (τ²'s `EnvFunctionCall`), sanity checks that must hold while it is broken (run, never stored),
 * assertions on the world (`EnvAssertion`) and the gold tool calls that fix it (`Action`).
 */
import type { PyValue } from "../py/value.ts"

/** A call of an initialisation function or an assertion function on one side of the world. */
export interface EnvCall {
  readonly env_type: "user" | "assistant"
  readonly func_name: string
  readonly arguments: Readonly<Record<string, PyValue>>
  /** Present on assertions: what τ² stores as `EnvAssertion.message`. */
  readonly assertion?: { readonly message: string | null }
}

/** A gold tool call (`Action` without its id, which the generator assigns). */
export interface GoldCall {
  readonly requestor: "user" | "assistant"
  readonly name: string
  readonly arguments: Readonly<Record<string, PyValue>>
  /** Which arguments the ACTION reward compares (τ² `compare_args`; null: all of them). */
  readonly compare_args?: ReadonlyArray<string> | null
}

/** An initialisation call: `initCall("user", "log_out")`, `initCall("assistant", "block_card", { member_id: "M001" })`. */
export const initCall = (env_type: EnvCall["env_type"], func_name: string, args: Record<string, PyValue> = {}): EnvCall => ({
  env_type,
  func_name,
  arguments: args,
})

/**
 * An assertion: as a subtask's `assertions` it is stored with the task (`env_assertions`); inside
 * `init` it is a sanity check, run during generation (it must hold) and not stored.
 */
export const assertion = (env_type: EnvCall["env_type"], func_name: string, args: Record<string, PyValue> = {}, message: string | null = null): EnvCall => ({
  env_type,
  func_name,
  arguments: args,
  assertion: { message },
})

/** A gold tool call: `gold("assistant", "renew_loan", { loan_id: "L001" })`; the user's own calls have requestor `user`. */
export const gold = (
  requestor: GoldCall["requestor"],
  name: string,
  args: Record<string, PyValue> = {},
  compare_args?: ReadonlyArray<string> | null,
): GoldCall => ({
  requestor,
  name,
  arguments: args,
  ...(compare_args !== undefined ? { compare_args } : {}),
})

/** How a call reads in a message: `block_card({"member_id": "M001"})`. */
export const describeCall = (name: string, args: Readonly<Record<string, PyValue>>): string =>
  `${name}(${Object.keys(args).length === 0 ? "" : JSON.stringify(args, (_k, v) => (v && typeof v === "object" && "value" in v && Object.keys(v).length === 1 ? v.value : v))})`
