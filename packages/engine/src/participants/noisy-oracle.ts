/**
 * `noisy-oracle:<p>`: an offline stochastic agent with a known success probability. It acts as the
 * oracle does, except that each world-changing gold action it would perform is skipped with
 * probability p. The draw for gold action i is the episode's seeded randomness (`toolRandom` over
 * the seed its start event records), so the same seed gives the same skips on every replay and
 * resume, and a fork with a fresh seed draws afresh from its branch point.
 *
 * A skip is itself recorded: instead of the action the agent calls `NOISY_ORACLE_SKIP` (a tool no
 * domain has; the environment answers with an error and nothing changes). The call keeps the gold
 * plan's position (both sides count calls to find the next gold action), so the user side carries
 * on as with the oracle, and later turns never re-draw an earlier decision: it is in the log. From
 * any prefix the probability of success is (1 − p)^(world-changing gold actions not yet decided),
 * and 0 once one was skipped.
 */
import { Effect } from "effect"
import { findTool, mutates, type Domain } from "../domain.ts"
import { toolRandom } from "../episode/random.ts"
import type { TrajectoryMessage } from "../episode/state.ts"
import { isSolo } from "../mode.ts"
import type { Task } from "../task.ts"
import { nextGoldAction, oracleAgent } from "./gold-plan.ts"
import type { Participant } from "./participant.ts"

export const NOISY_ORACLE_PREFIX = "noisy-oracle:"
/** The tool name a skipped action is recorded under (no domain has it). */
export const NOISY_ORACLE_SKIP = "noisy_oracle_skipped_action"

/** The skip probability a `noisy-oracle:<p>` spec names, or an explanation of why it names none. */
export const parseNoisyOracle = (spec: string): { readonly p: number } | { readonly error: string } => {
  const text = spec.slice(NOISY_ORACLE_PREFIX.length)
  const p = Number(text)
  if (text.trim() === "" || !Number.isFinite(p) || p < 0 || p > 1) {
    return { error: `${spec}: the skip probability must be a number from 0 to 1 (noisy-oracle:0.3)` }
  }
  return { p }
}

/** Index in the task's gold actions of the action the oracle performs next, as the oracle finds it. */
const nextActionIndex = (task: Task, trajectory: ReadonlyArray<TrajectoryMessage>, solo: boolean): number => {
  const actions = task.evaluation_criteria?.actions ?? []
  if (solo) return trajectory.reduce((n, m) => (m.role === "assistant" && !m.setup ? n + (m.toolCalls?.length ?? 0) : n), 0)
  const next = nextGoldAction(task, trajectory)
  return next === undefined ? -1 : actions.indexOf(next)
}

/** Whether the agent's call of `name` changes the world (routed as the environment routes the agent's calls). */
const changesWorld = (domain: Domain, name: string, solo: boolean): boolean => {
  const tool = solo ? (findTool(domain.userToolkit, name) ?? findTool(domain.agentToolkit, name)) : findTool(domain.agentToolkit, name)
  return tool !== undefined && mutates(tool)
}

/** The draw for gold action `index` under `seed`: uniform in [0, 1), the same for the same seed. */
export const noisyOracleDraw = (seed: number, index: number): number => toolRandom(seed, `noisy-oracle:${index}`, index)()

export const noisyOracleAgent = (spec: string, p: number): Participant => ({
  spec,
  act: (input) =>
    Effect.map(oracleAgent.act(input), (turn) => {
      const [call] = turn.toolCalls
      const solo = isSolo(input.state.started)
      if (call === undefined || turn.toolCalls.length !== 1 || !changesWorld(input.domain, call.name, solo)) return turn
      const index = nextActionIndex(input.task, input.state.trajectory, solo)
      if (index < 0 || noisyOracleDraw(input.state.started.seed, index) >= p) return turn
      return { ...turn, toolCalls: [{ name: NOISY_ORACLE_SKIP, argumentsJson: JSON.stringify({ action: call.name, gold_index: index }) }] }
    }),
})
