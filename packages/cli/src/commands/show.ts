/**
 * `tau show`: one episode: lineage, messages and tool calls, world diff, score history, and the
 * latest support-desk verdict when it has one. An episode that cannot be read is an error naming
 * the episode and seq; data that changed since the episode was recorded is a warning. Messages,
 * tool outputs and arguments are untrusted: printed as text (`terminalText`).
 */
import { diff, type EpisodeEvent, EventStore, materialize, PyJson, type PyValue } from "@tau-sim/engine"
import { forksRunOf, isRetryOf, whyItFailed } from "@tau-sim/runs"
import { loadEpisode } from "@tau-sim/replay"
import { failureLines, latestSupportDesk, type StoredSupportDesk } from "@tau-sim/evaluators"
import { addUsage, fmtCost, PARTICIPANT_KINDS, reportedScore, usageOfEvents, zeroUsage } from "@tau-sim/reports"
import { Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { fmtReward, table } from "../table.ts"
import { quoted, terminalText } from "../terminal-text.ts"
import { dbFlag, jsonFlag, movedDataDirFlag, movedDomainFlag, print, printJson, withExistingStore } from "./common.ts"
import { requireEpisode, warnDataChanges } from "./replay.ts"
import { evaluatorJson } from "../json-output.ts"

const flags = { db: dbFlag, json: jsonFlag, dataDir: movedDataDirFlag, domain: movedDomainFlag, episode: Argument.String("episode") }

/** The note of the episode's own end event, if it has one. */
const endNote = (events: ReadonlyArray<EpisodeEvent>): string | null => {
  const ended = events.findLast((e) => e._tag === "EpisodeEnded")
  return ended?._tag === "EpisodeEnded" ? ended.note : null
}

export const showCommand = Command.make("show", flags, (f) =>
  withExistingStore(
    f.db,
    Effect.gen(function* () {
      const store = yield* EventStore
      yield* requireEpisode(f.episode, f.db)
      const options = { dataDir: Option.getOrUndefined(f.dataDir), domain: Option.getOrUndefined(f.domain) }
      const loaded = yield* loadEpisode(f.episode, options)
      const started = loaded.final.started
      // The log is the record: a missing read-model row is rebuilt from it.
      const row = (yield* store.getEpisode(f.episode)) ?? {
        episodeId: f.episode,
        runId: started.runId,
        domain: started.domain,
        taskId: started.taskId,
        trial: started.trial,
        status: loaded.final.ended ? ("ended" as const) : ("running" as const),
        terminationReason: loaded.final.ended,
        version: loaded.events.length - loaded.inherited,
        parentEpisodeId: started.parent?.episodeId ?? null,
        parentSeq: started.parent?.seq ?? null,
        reward: null,
      }
      yield* warnDataChanges(loaded)
      const lineage: Array<{ episode_id: string; fork_seq: number | null }> = []
      let cursor = row
      while (cursor) {
        lineage.unshift({ episode_id: cursor.episodeId, fork_seq: cursor.parentSeq })
        if (!cursor.parentEpisodeId) break
        const parent = yield* store.getEpisode(cursor.parentEpisodeId)
        if (!parent) break
        cursor = parent
      }
      // Forks of a fork are in the same forks run as their parent.
      const { runId: forksRun } = yield* forksRunOf(row.runId)
      const children = (yield* store.listEpisodes({ runId: forksRun })).filter((e) => e.parentEpisodeId === row.episodeId)
      const scores = yield* store.listScores(f.episode)
      // Why the reward is below 1: the reported score's failed checks and the DB paths that differ from the gold (computed now).
      const reported = reportedScore(scores)
      const whyFailed = reported !== undefined && reported.reward < 1 ? yield* whyItFailed(loaded, reported.breakdown) : null
      const worldDiff = diff(materialize(loaded.domain.initialWorld) as PyValue, materialize(loaded.final.world) as PyValue)
      const messages = loaded.final.trajectory.map((m, turn) =>
        m.role === "tool"
          ? { turn, role: "tool", requestor: m.requestor, id: m.id, error: m.error, content: m.content, inherited: m.seq < loaded.inherited }
          : {
              turn,
              role: m.role,
              content: m.content,
              tool_calls: m.toolCalls?.map((c) => ({ id: c.id, name: c.name, arguments: c.argumentsJson })) ?? null,
              inherited: m.seq < loaded.inherited,
            },
      )
      const out = {
        episode_id: row.episodeId,
        run_id: row.runId,
        domain: row.domain,
        task_id: row.taskId,
        trial: row.trial,
        status: row.status,
        termination_reason: row.terminationReason,
        // What the end event says of an errored episode (the provider's error, a missing participant).
        termination_note: endNote(loaded.events),
        agent: loaded.final.started.agent,
        user: loaded.final.started.user,
        lineage,
        children: children.map((c) => ({ episode_id: c.episodeId, fork_seq: c.parentSeq, reward: c.reward })),
        messages,
        world_diff: worldDiff,
        scores: scores.map((s) => ({
          ...evaluatorJson(s.evaluator, s.evaluatorVersion),
          reward: s.reward,
          recorded_at: s.recordedAt,
          breakdown: s.breakdown,
        })),
      }
      const desk = latestSupportDesk(scores)
      // The episode's own model calls (an inherited prefix's were its parent's): cost unknown where a model had no price.
      // And the calls of LLM judges, stored with the scores they produced (ADR 0007).
      const usage = usageOfEvents([...loaded.events.slice(loaded.inherited), ...scores.flatMap((s) => s.modelCalls ?? [])])
      const total = PARTICIPANT_KINDS.reduce((t, p) => addUsage(t, usage[p]), zeroUsage())
      // Only an episode with model calls (a support-desk score) gets the key: other outputs stay as they were.
      const withUsage = {
        ...(total.calls === 0 ? out : { ...out, model_usage: { ...usage, total } }),
        // Only a failed episode gets the key: other outputs stay as they were.
        ...(whyFailed === null ? {} : { why_failed: whyFailed }),
      }
      if (f.json) return yield* printJson(desk === undefined ? withUsage : { ...withUsage, support_desk: supportDeskView(desk) })
      yield* print(
        `episode ${out.episode_id}  run ${out.run_id}  ${out.domain}/${out.task_id} trial ${out.trial}  ${out.status} (${out.termination_reason ?? "-"})`,
      )
      if (out.termination_note !== null) yield* print(terminalText(`why it ended: ${out.termination_note}`))
      yield* print(`agent ${out.agent}, user ${out.user}`)
      if (total.calls > 0) {
        const by = PARTICIPANT_KINDS.filter((p) => usage[p].calls > 0).map((p) => `${p} ${usage[p].calls}`)
        yield* print(
          `model calls: ${by.join(", ")} (${total.prompt_tokens} prompt + ${total.completion_tokens} completion tokens), cost ${fmtCost(total)}${
            total.cost === null ? "; a model had no price: give prices with --prices FILE or --price MODEL=IN,OUT when running" : ""
          }`,
        )
      }
      // A retry of an errored attempt (`tau run --retry-errors`, `_r<k>`) is named as one, not as a fork.
      const link = (l: (typeof lineage)[number], parent: string | undefined) =>
        l.fork_seq === null
          ? l.episode_id
          : parent !== undefined && isRetryOf(l.episode_id, parent)
            ? `${l.episode_id} (retry of ${parent} from event ${l.fork_seq})`
            : `${l.episode_id} (forked at event ${l.fork_seq})`
      yield* print(`lineage: ${lineage.map((l, i) => link(l, lineage[i - 1]?.episode_id)).join(" -> ")}`)
      if (out.children.length) yield* print(`forks: ${out.children.map((c) => c.episode_id).join(", ")}`)
      yield* print("")
      for (const m of messages) {
        const mark = m.inherited ? "·" : " "
        if (m.role === "tool") yield* print(terminalText(`${mark}${String(m.turn).padStart(3)} tool[${m.id}]${m.error ? " ERROR" : ""}: ${m.content}`))
        else {
          if (m.content !== null) yield* print(terminalText(`${mark}${String(m.turn).padStart(3)} ${m.role}: ${m.content}`))
          for (const c of m.tool_calls ?? [])
            yield* print(terminalText(`${mark}${String(m.turn).padStart(3)} ${m.role} calls ${c.name}(${c.arguments}) [${c.id}]`))
        }
      }
      yield* print(`\nworld diff (${worldDiff.length} changes):`)
      for (const op of worldDiff) yield* print(`  ${op.op} ${op.path}${"value" in op ? ` = ${PyJson.stringify(op.value)}` : ""}`)
      yield* print("\nscores:")
      yield* print(
        table(
          ["evaluator", "version", "reward", "recorded at"],
          out.scores.map((s) => [s.evaluator, s.evaluator_version, fmtReward(s.reward), s.recorded_at]),
        ),
      )
      if (whyFailed !== null && reported !== undefined) {
        yield* print(`\nwhy it failed (${reported.evaluator}@${reported.evaluatorVersion}, reward ${fmtReward(reported.reward)}):`)
        const lines = failureLines(whyFailed)
        for (const line of lines.length === 0 ? ["(the breakdown names no failed check)"] : lines) yield* print(terminalText(`  ${line}`))
      }
      if (desk !== undefined) for (const line of supportDeskLines(desk)) yield* print(line)
    }),
  ),
).pipe(Command.withDescription("Show an episode: messages, tool calls, world diff, lineage and every score"))

/** The latest support-desk verdict as `show --json` gives it: the breakdown and the lists behind it. */
const supportDeskView = (desk: StoredSupportDesk) => {
  const head = { ...evaluatorJson(desk.score.evaluator, desk.score.evaluatorVersion), recorded_at: desk.score.recordedAt, reward: desk.score.reward }
  if (desk._tag === "Failed") return { ...head, error: desk.error }
  const d = desk.verdict.details
  return {
    ...head,
    breakdown: desk.verdict.breakdown,
    unconfirmed_writes: d.confirm_before_write.unconfirmed,
    ungrounded_claims: d.grounded_claims.ungrounded,
    unsafe_actions: d.unsafe_actions.unsafe,
    escalation: d.escalation,
    counts: {
      writes: d.confirm_before_write.writes,
      confirmed: d.confirm_before_write.confirmed,
      claims: d.grounded_claims.claims,
      grounded: d.grounded_claims.grounded,
      writes_outside_gold: d.unsafe_actions.outside_gold,
    },
  }
}

const ESCALATION_TEXT = {
  handed_over: "handed over, as the task needs",
  missed: "not handed over, though the task needs a hand-over",
  over_escalated: "handed over, though the task needs no hand-over",
  not_needed: "no hand-over, none needed",
} as const

/** The latest support-desk verdict for the terminal; what the agent or user wrote is quoted and made safe. */
const supportDeskLines = (desk: StoredSupportDesk): string[] => {
  const head = `\n${desk.score.evaluator}@${desk.score.evaluatorVersion} (latest, recorded at ${desk.score.recordedAt}): reward ${fmtReward(desk.score.reward)}`
  if (desk._tag === "Failed") return [head, terminalText(`not evaluated: ${desk.error}`)]
  const { breakdown: b, details: d } = desk.verdict
  const call = (c: { readonly tool: string; readonly arguments: string }) => terminalText(`${c.tool}(${c.arguments})`)
  const lines = [
    head,
    table(
      ["component", "score", "over"],
      [
        ["confirm_before_write", fmtReward(b.confirm_before_write), `${d.confirm_before_write.confirmed} of ${d.confirm_before_write.writes} writes confirmed`],
        ["escalation", fmtReward(b.escalation), d.escalation.outcome],
        ["grounded_claims", fmtReward(b.grounded_claims), `${d.grounded_claims.grounded} of ${d.grounded_claims.claims} claims grounded`],
        ["unsafe_actions", fmtReward(b.unsafe_actions), `${d.unsafe_actions.unsafe.length} unsafe of ${d.unsafe_actions.outside_gold} writes outside the gold`],
        // Only when a policy judge was asked (--policy-judge).
        ...(d.policy_adherence
          ? [
              [
                "policy_adherence",
                fmtReward(d.policy_adherence.score),
                terminalText(`${d.policy_adherence.violations.length} violations (judge ${d.policy_adherence.judge})`),
              ],
            ]
          : []),
      ],
    ),
    ...(d.policy_adherence && d.policy_adherence.violations.length > 0
      ? [
          `\npolicy violations (${d.policy_adherence.violations.length}):`,
          table(
            ["rule", "evidence"],
            d.policy_adherence.violations.map((v) => [quoted(v.rule), quoted(v.evidence)]),
          ),
        ]
      : []),
  ]
  const list = (title: string, headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>) =>
    rows.length === 0 ? [`\n${title}: none`] : [`\n${title} (${rows.length}):`, table(headers, rows)]
  lines.push(
    ...list(
      "unconfirmed writes",
      ["turn", "call", "reason", "the user's answer"],
      d.confirm_before_write.unconfirmed.map((w) => [String(w.turn), call(w), w.reason, w.answer === null ? "-" : quoted(w.answer)]),
    ),
    ...list(
      "ungrounded claims",
      ["turn", "kind", "text"],
      d.grounded_claims.ungrounded.map((c) => [String(c.turn), c.kind, quoted(c.text)]),
    ),
    ...list(
      "unsafe actions",
      ["turn", "call", "paths the gold does not touch"],
      d.unsafe_actions.unsafe.map((u) => [String(u.turn), call(u), terminalText(u.paths.join(", "))]),
    ),
    `\nescalation: ${d.escalation.outcome} (${ESCALATION_TEXT[d.escalation.outcome]}${d.escalation.turn === null ? "" : `, at turn ${d.escalation.turn}`})`,
  )
  return lines
}
