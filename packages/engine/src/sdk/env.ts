/**
 * The world a task generator works in: a fresh copy of the domain's initial world that
 * initialisation calls and sanity checks run against, each followed by the domain's sync (as τ²'s
 * `run_env_function_call`), with read access for computing the arguments of later calls.
 */
import type { Domain, Side } from "../domain.ts"
import { runHelper, scopeOf, syncWorld } from "../execute.ts"
import { seededRandom } from "../initial-state.ts"
import type { PyObject, PyValue } from "../py/value.ts"
import { materialize, type Node, nodeAt } from "../world/tree.ts"
import { describeCall, type EnvCall } from "./calls.ts"
import { TaskGenerationError } from "./errors.ts"

export class GenerationEnv {
  readonly domain: Domain
  #world: Node
  readonly #random = seededRandom(0)

  constructor(domain: Domain) {
    this.domain = domain
    this.#world = syncWorld(domain, domain.initialWorld).world
  }

  /** The world as it is now. */
  get world(): Node {
    return this.#world
  }

  /** Runs an initialisation call, or checks a sanity assertion (which must hold), then syncs. */
  run(step: EnvCall): void {
    const side: Side = step.env_type === "user" ? "user" : "agent"
    let ran: ReturnType<typeof runHelper>
    try {
      ran = runHelper(this.domain, this.#world, side, step.func_name, step.arguments, { random: this.#random })
    } catch (e) {
      throw new TaskGenerationError({ message: `${describeCall(step.func_name, step.arguments)} failed: ${e instanceof Error ? e.message : String(e)}` })
    }
    this.#world = syncWorld(this.domain, ran.world).world
    if (step.assertion && ran.result !== true)
      throw new TaskGenerationError({
        message: `sanity assertion ${step.func_name}(${JSON.stringify(step.arguments)}) failed: ${step.assertion.message ?? "assertion failed"}`,
      })
  }

  runAll(steps: ReadonlyArray<EnvCall>): void {
    for (const step of steps) this.run(step)
  }

  /** One side's database as a plain value (the agent's database, or the user's device). */
  db(side: Side = "agent"): PyObject {
    const node = nodeAt(this.#world, [scopeOf(this.#world, side)])
    return (node === undefined ? {} : materialize(node)) as PyObject
  }

  /** A value inside one side's database: `env.get("agent", "members", "M001")`. */
  get(side: Side, ...path: ReadonlyArray<string>): PyValue | undefined {
    const node = nodeAt(this.#world, [scopeOf(this.#world, side), ...path])
    return node === undefined ? undefined : materialize(node)
  }
}
