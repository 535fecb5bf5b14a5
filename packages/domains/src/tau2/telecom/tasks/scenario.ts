/**
 * The world a telecom task is generated in: the SDK's generation world (initialisation calls and
 * sanity assertions, each followed by sync, like the reference's `run_env_function_call`) with read
 * access to the scenario's customer, line and plan for computing call arguments.
 */
import { materialize, nodeAt, scopeOf, type Side } from "@tau-sim/engine"
import { assertion, GenerationEnv, type GoldCall, gold, initCall, TaskGenerationError } from "@tau-sim/engine/sdk"
import { customerByPhone, lineByPhone, planById } from "../agent-db.ts"
import { model, type Obj } from "../python.ts"

export type { EnvCall } from "@tau-sim/engine/sdk"
export { assertion, TaskGenerationError }
/** A tool call of a gold fix (the SDK's `GoldCall`). */
export type FixCall = GoldCall
export const call = initCall
export const fix = gold

export class ScenarioEnv extends GenerationEnv {
  #plain(side: Side): Obj {
    const node = nodeAt(this.world, [scopeOf(this.world, side)])
    return (node === undefined ? {} : materialize(node)) as Obj
  }

  get surroundings(): Obj {
    return model(this.#plain("user"), "surroundings")
  }

  /** The customer and line of the user's phone number (`get_customer_by_phone`, `_get_line_by_phone`). */
  get customer(): Obj {
    return customerByPhone(this.#plain("agent"), this.surroundings.phone_number)
  }
  get line(): Obj {
    return lineByPhone(this.#plain("agent"), this.surroundings.phone_number)
  }
  get plan(): Obj {
    return planById(this.#plain("agent"), this.line.plan_id)
  }
  get bills(): Obj[] {
    return (this.#plain("agent").bills ?? []) as Obj[]
  }
}
