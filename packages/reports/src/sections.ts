/**
 * The report as titled tables, shared by the text, Markdown and HTML renderers so that every format
 * shows the same numbers with the same rounding.
 */
import { describeForkPoint } from "@tau-sim/runs"
import type { CellReport, Report } from "./build.ts"
import { formatCost } from "@tau-sim/engine"
import { addUsage, PARTICIPANT_KINDS, type UsageTotals, usageCost, zeroUsage } from "./collect.ts"
import type { Interval } from "./stats.ts"
import { comparisonSections } from "./compare.ts"
import { type RateStat, shownComponents, type SupportDeskCell, type TrialSpread } from "./support-desk.ts"

/**
 * What a column's values are, so that the HTML report can link them to the viewer's pages and the
 * text report can wrap them: a run id, an episode id, episode ids separated by spaces, a task id
 * (of the row's run), or a turn of one episode.
 */
export type ColumnKind = "run" | "episode" | "episodes" | "task" | { readonly turnOf: string }

export interface Section {
  readonly id: string
  readonly title: string
  readonly note?: string
  readonly headers: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
  /** Per column (absent or null: plain values). */
  readonly kinds?: ReadonlyArray<ColumnKind | null>
}

export const fmt = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || Number.isNaN(x) ? "-" : x.toFixed(digits))

/** A signed difference; a value that rounds to zero has no sign. */
const signed = (x: number, digits = 3): string => {
  if (Number.isNaN(x)) return "-"
  const magnitude = Math.abs(x).toFixed(digits)
  return Number(magnitude) === 0 ? magnitude : `${x > 0 ? "+" : "-"}${magnitude}`
}

export const fmtInterval = (i: Interval): string => `${signed(i.estimate)} [${fmt(i.low)}, ${fmt(i.high)}]`

/** A cost: `$0.1234`; a usage's, a lower bound (`≥ $0.12 (3 calls unpriced)`) or `unknown (...)` when some calls had no price. */
export const fmtCost = (x: number | UsageTotals): string => (typeof x === "number" ? `$${x.toFixed(4)}` : formatCost(usageCost(x)))

/** Said under a cost table with unknown costs: what they are and how to give prices. */
export const UNKNOWN_COST_NOTE =
  "Unknown cost: calls of models without a price (give prices with --prices FILE or --price MODEL=IN,OUT when running); ≥: a lower bound over the priced calls."

const maxK = (cells: ReadonlyArray<CellReport>): number => Math.max(0, ...cells.map((c) => c.max_k))

const overview = (report: Report): Section => {
  const k = maxK(report.cells)
  const ks = Array.from({ length: k }, (_, i) => i + 1)
  return {
    id: "overview",
    title: "Overview",
    note: "pass^k: the reference's per-task estimator C(c,k)/C(n,k), averaged over tasks; avg reward over simulations.",
    headers: ["run", "domain", "mode", "agent", "user", "episodes", "tasks", "avg reward", ...ks.map((j) => `pass^${j}`)],
    kinds: ["run"],
    rows: report.cells.map((c) => [
      c.run_id,
      c.domain,
      c.mode,
      c.agent,
      c.user,
      c.episodes.unfinished > 0 ? `${c.episodes.finished}/${c.episodes.total}` : String(c.episodes.finished),
      String(c.tasks.length),
      fmt(c.avg_reward),
      ...ks.map((j) => fmt(c.pass_hat_k[j])),
    ]),
  }
}

const deltas = (report: Report): Section | null => {
  if (report.deltas.length === 0) return null
  return {
    id: "deltas",
    title: `Mode vs ${report.baseline_mode}`,
    note: `Paired over common tasks; ${Math.round(report.bootstrap.confidence * 100)}% percentile bootstrap intervals over tasks (${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed}).`,
    headers: ["domain", "agent", "mode", "baseline user", "tasks", "avg reward", "Δ avg reward [CI]", "pass^1", "Δ pass^1 [CI]"],
    rows: report.deltas.map((d) => [
      d.domain,
      d.agent,
      d.mode,
      d.baseline_user,
      String(d.tasks),
      `${fmt(d.avg_reward.baseline)} → ${fmt(d.avg_reward.value)}`,
      fmtInterval(d.avg_reward.delta),
      `${fmt(d.pass_hat_1.baseline)} → ${fmt(d.pass_hat_1.value)}`,
      fmtInterval(d.pass_hat_1.delta),
    ]),
  }
}

const components = (report: Report): Section => {
  const names = [...new Set(report.cells.flatMap((c) => Object.keys(c.reward_components)))].sort()
  const checks = [...new Set(report.cells.flatMap((c) => Object.keys(c.checks)))].sort()
  return {
    id: "components",
    title: "Reward breakdown",
    note: "Component columns: mean of each reward_breakdown entry over the episodes whose score has it. Check columns: passed/total individual checks.",
    headers: ["run", ...names, ...checks.map((c) => `${c} checks`)],
    kinds: ["run"],
    rows: report.cells.map((c) => [
      c.run_id,
      ...names.map((n) => fmt(c.reward_components[n]?.mean)),
      ...checks.map((n) => (c.checks[n] ? `${c.checks[n].passed}/${c.checks[n].total}` : "-")),
    ]),
  }
}

const terminations = (report: Report): Section => {
  const reasons = [...new Set(report.cells.flatMap((c) => Object.keys(c.termination_reasons)))].sort()
  return {
    id: "terminations",
    title: "Termination reasons",
    headers: ["run", ...reasons],
    kinds: ["run"],
    rows: report.cells.map((c) => [c.run_id, ...reasons.map((r) => String(c.termination_reasons[r] ?? 0))]),
  }
}

const usage = (report: Report): Section => ({
  id: "usage",
  title: "Cost and tokens by participant",
  note: `From the episodes' ModelCalled events (offline participants make none).${
    report.cells.some((c) => PARTICIPANT_KINDS.some((p) => c.usage[p].cost === null)) ? ` ${UNKNOWN_COST_NOTE}` : ""
  }`,
  headers: ["run", "participant", "calls", "prompt tokens", "completion tokens", "cost"],
  kinds: ["run"],
  rows: report.cells.flatMap((c) =>
    PARTICIPANT_KINDS.map((p) => [
      c.run_id,
      p,
      String(c.usage[p].calls),
      String(c.usage[p].prompt_tokens),
      String(c.usage[p].completion_tokens),
      fmtCost(c.usage[p]),
    ]),
  ),
})

const usageRow = (run: string, model: string, u: UsageTotals): string[] => [
  run,
  model,
  String(u.calls),
  String(u.prompt_tokens),
  String(u.completion_tokens),
  fmtCost(u),
]

const sumUsage = (us: ReadonlyArray<UsageTotals>): UsageTotals => us.reduce(addUsage, zeroUsage())

/** What each model cost, per run and in all (a total over unknown costs is a lower bound), and the prices each run recorded. */
const modelCosts = (report: Report): Section | null => {
  const cells = report.cells.filter((c) => c.usage_by_model !== undefined)
  if (cells.length === 0) return null
  const rows: string[][] = []
  for (const c of cells) {
    const byModel = Object.entries(c.usage_by_model ?? {})
    for (const [model, u] of byModel) rows.push(usageRow(c.run_id, model, u))
    if (byModel.length > 1) rows.push(usageRow(c.run_id, "all models", sumUsage(byModel.map(([, u]) => u))))
  }
  if (cells.length > 1) rows.push(usageRow("all runs", "all models", sumUsage(cells.flatMap((c) => Object.values(c.usage_by_model ?? {})))))
  const prices = cells.map((c) => {
    if (!c.pricing) return `${c.run_id}: no prices recorded`
    const user = Object.entries(c.pricing.user).map(([m, p]) => `${m} ${p.input_per_mtok}/${p.output_per_mtok}`)
    return `${c.run_id}: table ${c.pricing.table}${user.length ? `, user prices (USD per million input/output tokens) ${user.join(", ")}` : ""}`
  })
  const unknown = cells.some((c) => Object.values(c.usage_by_model ?? {}).some((u) => u.cost === null))
  return {
    id: "model-costs",
    title: "Cost by model",
    note: `Prices: ${prices.join("; ")}. Prompt-cache discounts are not modelled.${unknown ? ` ${UNKNOWN_COST_NOTE}` : ""}`,
    headers: ["run", "model", "calls", "prompt tokens", "completion tokens", "cost"],
    kinds: ["run"],
    rows,
  }
}

const perTask = (report: Report): Section => ({
  id: "tasks",
  title: "Per task",
  note: "successes/simulations, mean reward and pass^k of each task in each run.",
  headers: ["run", "task", "successes", "avg reward", "pass^k (k = 1..)"],
  kinds: ["run", "task"],
  rows: report.cells.flatMap((c) =>
    c.tasks.map((t) => [
      c.run_id,
      t.task_id,
      `${t.successes}/${t.simulations}`,
      fmt(t.avg_reward),
      Object.keys(t.pass_hat_k)
        .map((k) => fmt(t.pass_hat_k[Number(k)]))
        .join(" "),
    ]),
  ),
})

const counterfactual = (report: Report): Section[] => {
  const cf = report.counterfactual
  if (!cf) return []
  const what = [cf.agent && `agent ${cf.agent}`, cf.user && `user ${cf.user}`, cf.mode && `mode ${cf.mode}`].filter(Boolean).join(", ")
  const t = cf.transitions
  return [
    {
      id: "counterfactual",
      title: `Counterfactual: branches of ${cf.parent_run_id}`,
      note: `Forked at ${cf.at ? describeForkPoint(cf.at) : "?"}${what ? ` under ${what}` : ""}. Δ = branch − parent reward, per-task mean, bootstrap interval over tasks.`,
      headers: ["pairs", "parent avg reward", "branch avg reward", "Δ reward [CI]", "improved", "regressed", "still success", "still failure", "not branched"],
      rows: [
        [
          String(cf.pairs),
          fmt(cf.parent_avg_reward),
          fmt(cf.branch_avg_reward),
          fmtInterval(cf.delta),
          String(t.improved),
          String(t.regressed),
          String(t.still_success),
          String(t.still_failure),
          String(cf.not_branched.length),
        ],
      ],
    },
    {
      id: "branches",
      title: "Branches",
      headers: ["task", "trial", "parent", "branch", "parent reward", "branch reward", "termination (parent -> branch)"],
      kinds: [null, null, "episode", "episode"],
      rows: cf.rows.map((r) => [
        r.task_id,
        String(r.trial),
        r.parent_episode_id,
        r.episode_id,
        fmt(r.parent_reward),
        fmt(r.reward),
        `${r.parent_termination_reason ?? "-"} -> ${r.termination_reason ?? "-"}`,
      ]),
    },
  ]
}

/** A rate with its interval and the number of episodes behind it: `0.750 [0.500, 1.000] n=4`. */
export const fmtRate = (r: RateStat): string =>
  r.episodes.length === 0 ? "-" : `${fmt(r.mean.estimate)} [${fmt(r.mean.low)}, ${fmt(r.mean.high)}] n=${r.episodes.length}`

export const fmtSpread = (s: TrialSpread | null): string => (s === null ? "-" : `${fmt(s.median)} [${fmt(s.min)}, ${fmt(s.max)}]`)

export const fmtRatio = (value: number | null, hits: number, of: number): string => (value === null ? "-" : `${fmt(value)} (${hits}/${of})`)

export const deskCells = (report: Report): Array<{ cell: CellReport; desk: SupportDeskCell }> =>
  report.cells.flatMap((cell) => (cell.support_desk ? [{ cell, desk: cell.support_desk }] : []))

const ids = (xs: ReadonlyArray<string>): string => (xs.length === 0 ? "-" : xs.join(" "))

/** The support-desk sections: only when some cell has support-desk verdicts (other reports are unchanged). */
export const supportDeskSections = (report: Report): Section[] => {
  const cells = deskCells(report)
  if (cells.length === 0) return []
  const shown = shownComponents(cells.map((c) => c.desk))
  const conf = Math.round(report.bootstrap.confidence * 100)
  return [
    {
      id: "support-desk",
      title: "Support-desk",
      note: `Latest support-desk verdict per episode (tau rescore --evaluator support-desk; ${[...new Set(cells.flatMap((c) => c.desk.evaluators))].join(", ")}), never the reward above. Each component: mean over the episodes where it applies, ${conf}% percentile bootstrap interval over those episodes (${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed}), n episodes. Escalation accuracy: correct hand-over decisions / episodes; over-escalation: hand-overs / episodes whose task needs none.`,
      headers: ["run", "agent", "scored", "reward", ...shown, "escalation accuracy", "over-escalation"],
      kinds: ["run"],
      rows: cells.map(({ cell, desk }) => [
        cell.run_id,
        cell.agent,
        desk.not_scored.length + desk.failed.length > 0
          ? `${desk.episodes.length}/${desk.episodes.length + desk.not_scored.length + desk.failed.length}`
          : String(desk.episodes.length),
        fmtRate(desk.reward),
        ...shown.map((c) => fmtRate(desk.components[c])),
        fmtRatio(desk.escalation.accuracy, desk.escalation.outcomes.handed_over + desk.escalation.outcomes.not_needed, desk.escalation.episodes),
        fmtRatio(desk.escalation.over_escalation_rate, desk.escalation.outcomes.over_escalated, desk.escalation.not_needed),
      ]),
    },
    {
      id: "support-desk-tasks",
      title: "Support-desk per task",
      note: "Median [min, max] of each component over the task's trials where it applies.",
      headers: ["run", "task", "trials", ...shown],
      kinds: ["run", "task"],
      rows: cells.flatMap(({ cell, desk }) =>
        desk.tasks.map((t) => [cell.run_id, t.task_id, String(t.trials), ...shown.map((c) => fmtSpread(t.components[c]))]),
      ),
    },
    {
      id: "support-desk-episodes",
      title: "Support-desk episodes",
      note: "The episodes behind each number: where a component applies, and those scored below 1; escalation outcomes; episodes without a verdict.",
      headers: ["run", "number", "episodes", "below 1"],
      kinds: ["run", null, "episodes", "episodes"],
      rows: cells.flatMap(({ cell, desk }) => [
        ...[["reward", desk.reward] as const, ...shown.map((c) => [c, desk.components[c]] as const)].map(([name, r]) => [
          cell.run_id,
          name,
          ids(r.episodes),
          ids(r.below_one),
        ]),
        ...Object.entries(desk.escalation.outcome_episodes)
          .filter(([, es]) => es.length > 0)
          .map(([outcome, es]) => [cell.run_id, `escalation: ${outcome}`, ids(es), "-"]),
        ...(desk.not_scored.length > 0 ? [[cell.run_id, "not scored", ids(desk.not_scored), "-"]] : []),
        ...(desk.failed.length > 0 ? [[cell.run_id, "evaluator error", ids(desk.failed.map((f) => f.episode_id)), "-"]] : []),
      ]),
    },
  ]
}

const pct = (x: number | null): string => (x === null ? "-" : x.toFixed(2))

/** A critical-turn analysis: the estimate per turn with its exact interval, the critical turn marked `<`. */
const critical = (report: Report): Section[] =>
  (report.critical ?? []).map((c) => {
    const level = `${Number((c.confidence * 100).toFixed(6))}%`
    const at = c.turns.find((t) => t.turn === c.critical_turn)
    const where =
      at && c.drop !== null
        ? `Critical turn ${at.turn} (${at.role} ${at.kind}): drop ${pct(c.drop)}, ${level} CI ${pct(c.drop_ci_low)}..${pct(c.drop_ci_high)}.`
        : "No turn lowers the estimated chance of success."
    return {
      id: `critical-${c.run_id}`,
      title: `Critical turns of ${c.episode_id}`,
      note: `${where} From each turn, forks continued under agent ${c.agent}, user ${c.user}: ${c.finished} samples (at most ${c.samples_per_turn} a turn); ${level} exact (Clopper–Pearson) intervals.`,
      headers: ["turn", "role", "message", "samples", "successes", "estimate", `${level} CI`],
      kinds: [{ turnOf: c.episode_id }],
      rows: c.turns.map((t) => [
        t.turn === c.critical_turn ? `${t.turn} <` : String(t.turn),
        t.role,
        t.kind,
        String(t.samples),
        String(t.successes),
        pct(t.estimate),
        t.estimate === null ? "-" : `${pct(t.ci_low)}..${pct(t.ci_high)}`,
      ]),
    }
  })

export const reportSections = (report: Report): Section[] =>
  [
    overview(report),
    // `tau report --run A --run B …`: the runs side by side and their differences (compare.ts).
    ...comparisonSections(report),
    deltas(report),
    ...critical(report),
    ...counterfactual(report),
    components(report),
    ...supportDeskSections(report),
    terminations(report),
    usage(report),
    modelCosts(report),
    perTask(report),
  ].filter((s): s is Section => s !== null)

export const reportHeading = (report: Report): string => `${report.kind === "experiment" ? "Experiment" : "Run"} ${report.title}`
