/**
 * The environment a task generator works in: a telecom world that initialisation calls and sanity
 * assertions run against (each followed by sync, like the reference's `run_env_function_call`), and
 * read access to the scenario's customer, line and plan for computing call arguments.
 */
import { type Domain, materialize, type Node, nodeAt, type PyValue, runHelper, scopeOf, seededRandom, type Side, syncWorld } from "@tau-sim/engine"
import { customerByPhone, lineByPhone, planById } from "../agent-db.ts"
import { model, type Obj } from "../python.ts"

/** A call of an initialisation function (`EnvFunctionCall`) or an assertion (`EnvAssertion`). */
export interface EnvCall {
  readonly env_type: "user" | "assistant"
  readonly func_name: string
  readonly arguments: Readonly<Record<string, PyValue>>
  /** Present on assertions: what the reference stores as `EnvAssertion.message`. */
  readonly assertion?: { readonly message: string | null }
}

export const call = (env_type: EnvCall["env_type"], func_name: string, args: Record<string, PyValue> = {}): EnvCall => ({
  env_type,
  func_name,
  arguments: args,
})

export const assertion = (env_type: EnvCall["env_type"], func_name: string, args: Record<string, PyValue>, message: string | null = null): EnvCall => ({
  env_type,
  func_name,
  arguments: args,
  assertion: { message },
})

/** A tool call of a gold fix (`ToolCall`). */
export interface FixCall {
  readonly requestor: "user" | "assistant"
  readonly name: string
  readonly arguments: Readonly<Record<string, PyValue>>
}

export const fix = (requestor: FixCall["requestor"], name: string, args: Record<string, PyValue> = {}): FixCall => ({ requestor, name, arguments: args })

export class TaskGenerationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "TaskGenerationError"
  }
}

export class ScenarioEnv {
  readonly #domain: Domain
  #world: Node
  readonly #random = seededRandom(0)

  constructor(domain: Domain) {
    this.#domain = domain
    this.#world = syncWorld(domain, domain.initialWorld).world
  }

  /** Runs an initialisation call or checks an assertion (which must hold), then syncs. */
  run(step: EnvCall): void {
    const side: Side = step.env_type === "user" ? "user" : "agent"
    const ran = runHelper(this.#domain, this.#world, side, step.func_name, step.arguments, { random: this.#random })
    this.#world = syncWorld(this.#domain, ran.world).world
    if (step.assertion && ran.result !== true)
      throw new TaskGenerationError(
        `sanity assertion ${step.func_name}(${JSON.stringify(step.arguments)}) failed: ${step.assertion.message ?? "assertion failed"}`,
      )
  }

  runAll(steps: ReadonlyArray<EnvCall>): void {
    for (const step of steps) this.run(step)
  }

  #db(side: Side): Obj {
    const node = nodeAt(this.#world, [scopeOf(this.#world, side)])
    return (node === undefined ? {} : materialize(node)) as Obj
  }

  get surroundings(): Obj {
    return model(this.#db("user"), "surroundings")
  }

  /** The customer and line of the user's phone number (`get_customer_by_phone`, `_get_line_by_phone`). */
  get customer(): Obj {
    return customerByPhone(this.#db("agent"), this.surroundings.phone_number)
  }
  get line(): Obj {
    return lineByPhone(this.#db("agent"), this.surroundings.phone_number)
  }
  get plan(): Obj {
    return planById(this.#db("agent"), this.line.plan_id)
  }
  get bills(): Obj[] {
    return (this.#db("agent").bills ?? []) as Obj[]
  }
}
