/** The end-of-run line counts as τ² does (issue 14 item 2): errored episodes apart, pass^k over the rest. */
import type { EpisodeSummary } from "@tau-sim/runs"
import { expect, it } from "vitest"
import { runOutcome } from "../src/commands/run.ts"

const episode = (task_id: string, trial: number, termination_reason: string, reward: number | null): EpisodeSummary => ({
  run_id: "r",
  episode_id: `${task_id}-${trial}`,
  task_id,
  trial,
  termination_reason,
  reward,
  ran: true,
})

it("leaves infrastructure errors out of the average and pass^k, and counts them", () => {
  const line = runOutcome([
    episode("a", 0, "user_stop", 1),
    episode("a", 1, "user_stop", 0),
    episode("b", 0, "infrastructure_error", 0),
    episode("b", 1, "user_stop", 1),
  ])
  // Average over the three evaluated (2/3, not 2/4); pass^1 over tasks a (1/2) and b (1/1); k ≤ b's one evaluated trial.
  expect(line).toBe("4 episodes, average reward 0.67, pass^1 0.750; 1 errored (infrastructure_error: not in the average or pass^k)")
})

it("says there is no average when every episode errored", () => {
  expect(runOutcome([episode("a", 0, "infrastructure_error", 0)])).toBe(
    "1 episode, average reward -; 1 errored (infrastructure_error: not in the average or pass^k)",
  )
})
