/**
 * The support-desk part of a report, from hand-made verdicts whose every number can be worked out
 * by hand: means over the episodes where a component applies (with their bootstrap intervals),
 * median and spread over trials per task, escalation rates, the episodes behind each number, and
 * episodes without a verdict or with an evaluator error. A run without support-desk scores has no
 * support-desk part at all.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { bootstrapMean, DEFAULT_BOOTSTRAP, loadReport, renderHtml, renderJson, renderMarkdown, renderText } from "../src/index.ts"
import { appendSupportDesk, type HandRun, type HandVerdict, withHandStore } from "./fixtures.ts"

const run = (runId: string): HandRun => ({
  runId,
  domain: "demo",
  mode: "default",
  agent: "scripted:agent.json",
  user: "scripted",
  trials: 3,
  taskIds: ["t1", "t2"],
  experiment: null,
  episodes: ["t1", "t2"].flatMap((task) =>
    [0, 1, 2].map((trial) => ({ task, trial, reward: trial === 0 ? 0 : 1, breakdown: { reward_breakdown: { DB: 1 } } })),
  ),
})

const VERDICTS: Record<string, HandVerdict | string | undefined> = {
  "desk/t1/0": { confirm: 0, grounded: 1, unsafe: 1, outcome: "not_needed" },
  "desk/t1/1": { confirm: 1, grounded: null, unsafe: 1, outcome: "not_needed" },
  "desk/t1/2": { confirm: 1, grounded: 0.5, unsafe: 0, outcome: "over_escalated" },
  "desk/t2/0": { confirm: null, grounded: null, unsafe: 1, outcome: "handed_over" },
  "desk/t2/1": { confirm: 0.5, grounded: 1, unsafe: 1, outcome: "missed" },
  "desk/t2/2": "tool message 3 (call c1) has no matching ToolExecuted event",
}

const loaded = (withDesk: boolean) =>
  withHandStore(
    [run("desk")],
    Effect.gen(function* () {
      const before = yield* loadReport({ run: "desk" })
      if (withDesk) for (const [id, v] of Object.entries(VERDICTS)) if (v !== undefined) yield* appendSupportDesk(id, v)
      return { before, after: yield* loadReport({ run: "desk" }) }
    }),
  )

describe("the support-desk part of a report", () => {
  it("is absent, in every format, for a run without support-desk scores", async () => {
    const { after } = await loaded(false)
    expect(after.cells[0]).not.toHaveProperty("support_desk")
    for (const text of [renderText(after), renderMarkdown(after), renderJson(after), await renderHtml(after)])
      expect(text).not.toMatch(/support.desk|deep-report/i)
  })

  it("gives each component's mean over the episodes where it applies, with the episodes behind it", async () => {
    const { before, after } = await loaded(true)
    const desk = after.cells[0].support_desk!
    expect(desk.evaluators).toEqual(["support-desk@1"])
    expect(desk.episodes).toEqual(["desk/t1/0", "desk/t1/1", "desk/t1/2", "desk/t2/0", "desk/t2/1"])
    expect(desk.not_scored).toEqual([])
    expect(desk.failed).toEqual([
      { episode_id: "desk/t2/2", error: "SupportDeskInputError: support-desk: episode desk/t2/2: tool message 3 (call c1) has no matching ToolExecuted event" },
    ])
    const confirm = desk.components.confirm_before_write
    expect(confirm).toEqual({
      mean: bootstrapMean([0, 1, 1, 0.5], DEFAULT_BOOTSTRAP),
      episodes: ["desk/t1/0", "desk/t1/1", "desk/t1/2", "desk/t2/1"],
      below_one: ["desk/t1/0", "desk/t2/1"],
    })
    expect(confirm.mean.estimate).toBe(0.625)
    expect(confirm.mean.low).toBeLessThan(0.625)
    expect(confirm.mean.high).toBeGreaterThan(0.625)
    expect(desk.components.grounded_claims).toMatchObject({ mean: { estimate: (1 + 0.5 + 1) / 3 }, episodes: ["desk/t1/0", "desk/t1/2", "desk/t2/1"] })
    expect(desk.components.unsafe_actions).toMatchObject({ mean: { estimate: 0.8 }, below_one: ["desk/t1/2"] })
    expect(desk.reward.episodes).toHaveLength(5)
    // The τ² part of the report is the one before the support-desk scores were appended.
    const { support_desk: _, ...tau2 } = after.cells[0]
    expect(tau2).toEqual(before.cells[0])
  })

  it("gives median and spread over each task's trials, and the escalation rates", async () => {
    const desk = (await loaded(true)).after.cells[0].support_desk!
    expect(desk.tasks).toEqual([
      {
        task_id: "t1",
        trials: 3,
        episodes: ["desk/t1/0", "desk/t1/1", "desk/t1/2"],
        components: {
          confirm_before_write: { trials: 3, median: 1, min: 0, max: 1 },
          escalation: { trials: 3, median: 1, min: 0, max: 1 },
          grounded_claims: { trials: 2, median: 0.75, min: 0.5, max: 1 },
          unsafe_actions: { trials: 3, median: 1, min: 0, max: 1 },
        },
      },
      {
        task_id: "t2",
        trials: 2,
        episodes: ["desk/t2/0", "desk/t2/1"],
        components: {
          confirm_before_write: { trials: 1, median: 0.5, min: 0.5, max: 0.5 },
          escalation: { trials: 2, median: 0.5, min: 0, max: 1 },
          grounded_claims: { trials: 1, median: 1, min: 1, max: 1 },
          unsafe_actions: { trials: 2, median: 1, min: 1, max: 1 },
        },
      },
    ])
    expect(desk.escalation).toMatchObject({
      episodes: 5,
      needed: 2,
      not_needed: 3,
      accuracy: 3 / 5,
      over_escalation_rate: 1 / 3,
      handover_rate: 1 / 2,
      over_escalation: bootstrapMean([0, 0, 1], DEFAULT_BOOTSTRAP),
      outcome_episodes: { handed_over: ["desk/t2/0"], missed: ["desk/t2/1"], over_escalated: ["desk/t1/2"], not_needed: ["desk/t1/0", "desk/t1/1"] },
    })
  })

  it("is a Support-desk section in text and Markdown, and a deep report in HTML", async () => {
    const { after } = await loaded(true)
    const text = renderText(after)
    expect(text).toContain("\nSupport-desk\n")
    expect(text).toMatch(
      /\ndesk +scripted:agent\.json +5\/6 +0\.\d{3} \[0\.\d{3}, \d\.\d{3}\] n=5 +0\.625 \[\d\.\d{3}, \d\.\d{3}\] n=4 .* 0\.600 \(3\/5\) +0\.333 \(1\/3\)\n/,
    )
    expect(text).toMatch(/\ndesk +t1 +3 +1\.000 \[0\.000, 1\.000\] +1\.000 \[0\.000, 1\.000\] +0\.750 \[0\.500, 1\.000\] +1\.000 \[0\.000, 1\.000\]\n/)
    expect(text).toMatch(/\ndesk +confirm_before_write +desk\/t1\/0 desk\/t1\/1 desk\/t1\/2 desk\/t2\/1 +desk\/t1\/0 desk\/t2\/1\n/)
    expect(text).toMatch(/\ndesk +evaluator error +desk\/t2\/2 +-\n/)
    expect(renderMarkdown(after)).toContain("\n## Support-desk per task\n")
    const html = await renderHtml(after)
    // The deep report takes the place of the support-desk tables.
    expect(html).not.toContain('<section id="support-desk')
    expect(html).toContain('<section id="deep-report" class="deep-report">')
    expect(html).toContain('<article class="deep-cell" id="deep-desk">')
    expect(html).toContain("Evaluator error on <code>desk/t2/2</code>")
    expect(html.match(/<svg [^>]*class="chart rate-chart"/g)).toHaveLength(1)
  })
})
