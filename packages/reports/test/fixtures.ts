/**
 * Stores with hand-made runs for report tests: episodes are written as their start event, model
 * calls and end event, and scored directly, so every number a report shows can be computed by hand.
 */
import { type EpisodeEvent, type EpisodeStarted, EventStore, makeMemoryStore, type Mode, type TerminationReason } from "@tau-sim/engine"
import { type EscalationOutcome, SupportDeskInputError, type SupportDeskResult, supportDeskReward, supportDeskScoreRecord } from "@tau-sim/evaluators"
import { Effect, Layer, Result } from "effect"

export interface HandEpisode {
  readonly task: string
  readonly trial: number
  readonly reward: number
  readonly reason?: TerminationReason
  /** Stored as the score's breakdown (a RewardInfo-like object). */
  readonly breakdown?: unknown
  readonly modelCalls?: ReadonlyArray<{ participant: "agent" | "user" | "judge"; prompt: number; completion: number; cost: number }>
  /** Leave the episode unfinished (no end event, no score). */
  readonly running?: boolean
}

export interface HandRun {
  readonly runId: string
  readonly domain: string
  readonly mode: Mode
  readonly agent: string
  readonly user: string
  readonly trials: number
  readonly taskIds: ReadonlyArray<string>
  readonly experiment: string | null
  readonly cellIndex?: number
  readonly episodes: ReadonlyArray<HandEpisode>
}

export const started = (run: HandRun, e: HandEpisode, episodeId: string): EpisodeStarted => ({
  _tag: "EpisodeStarted",
  v: 2,
  runId: run.runId,
  episodeId,
  domain: run.domain,
  taskId: e.task,
  trial: e.trial,
  hashes: { task: "t", policy: "p", data: "d" },
  dataDir: null,
  policyVariant: "default",
  mode: run.mode,
  agent: run.agent,
  user: run.user,
  seed: 1,
  limits: { maxSteps: 200, maxErrors: 10 },
  engineVersion: "test",
  parent: null,
})

/** Writes a run and its episodes into the store in context. */
export const writeRun = (run: HandRun) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    yield* store.putRun({
      runId: run.runId,
      createdAt: "2025-01-01T00:00:00.000Z",
      config: {
        runId: run.runId,
        domain: run.domain,
        policyVariant: "default",
        mode: run.mode,
        agent: run.agent,
        user: run.user,
        trials: run.trials,
        taskIds: run.taskIds,
        ...(run.cellIndex === undefined ? {} : { cell: { index: run.cellIndex, domain_label: run.domain, baseline_mode: "default", excluded: [] } }),
      },
      experiment: run.experiment,
    })
    for (const e of run.episodes) {
      const episodeId = `${run.runId}/${e.task}/${e.trial}`
      const events: EpisodeEvent[] = [started(run, e, episodeId)]
      for (const c of e.modelCalls ?? []) {
        events.push({
          _tag: "ModelCalled",
          v: 1,
          participant: c.participant,
          provider: "test",
          model: "m",
          request: {},
          response: {},
          usage: { promptTokens: c.prompt, completionTokens: c.completion },
          cost: c.cost,
          latencyMs: 1,
          attempt: 1,
          requestHash: "h",
          error: null,
        })
      }
      if (!e.running) events.push({ _tag: "EpisodeEnded", v: 1, reason: e.reason ?? "user_stop", steps: 3, errors: 0, note: null })
      yield* store.append(episodeId, 0, events)
      if (!e.running) {
        yield* store.appendScore({
          episodeId,
          evaluator: "tau2",
          evaluatorVersion: "test",
          reward: e.reward,
          breakdown: e.breakdown ?? null,
          recordedAt: "2025-01-01T00:00:00.000Z",
        })
      }
    }
  })

/** Runs `body` against one fresh in-memory store holding `runs`. */
export const withHandStore = <A, E>(runs: ReadonlyArray<HandRun>, body: Effect.Effect<A, E, EventStore>): Promise<A> => {
  const layer = Layer.succeed(EventStore, makeMemoryStore().store)
  return Effect.runPromise(
    Effect.gen(function* () {
      for (const r of runs) yield* writeRun(r)
      return yield* body
    }).pipe(Effect.provide(layer)) as Effect.Effect<A, never, never>,
  )
}

/** What a hand-made support-desk verdict says; the rest of the verdict follows from it. */
export interface HandVerdict {
  readonly confirm: number | null
  readonly grounded: number | null
  readonly unsafe: 0 | 1
  readonly outcome: EscalationOutcome
}

/** A support-desk verdict as the evaluator would give it for `v` (lists left empty). */
export const handVerdict = (v: HandVerdict): SupportDeskResult => {
  const breakdown = {
    confirm_before_write: v.confirm,
    escalation: v.outcome === "handed_over" || v.outcome === "not_needed" ? 1 : 0,
    grounded_claims: v.grounded,
    unsafe_actions: v.unsafe,
  }
  return {
    evaluator: "support-desk@1",
    reward: supportDeskReward(breakdown),
    breakdown,
    details: {
      confirm_before_write: {
        score: v.confirm,
        writes: v.confirm === null ? 0 : 2,
        confirmed: v.confirm === null ? 0 : Math.round(v.confirm * 2),
        unconfirmed: [],
      },
      escalation: {
        score: breakdown.escalation,
        needed: v.outcome === "handed_over" || v.outcome === "missed",
        handed_over: v.outcome === "handed_over" || v.outcome === "over_escalated",
        outcome: v.outcome,
        turn: null,
      },
      grounded_claims: {
        score: v.grounded,
        claims: v.grounded === null ? 0 : 4,
        grounded: v.grounded === null ? 0 : Math.round(v.grounded * 4),
        ungrounded: [],
      },
      unsafe_actions: { score: v.unsafe, outside_gold: 1 - v.unsafe, unsafe: [] },
    },
    termination_reason: "user_stop",
  }
}

/** Appends a support-desk score to a hand episode (`<run>/<task>/<trial>`), encoded as the store keeps it; a string is an evaluator error. */
export const appendSupportDesk = (episodeId: string, v: HandVerdict | string) =>
  Effect.flatMap(EventStore, (store) =>
    store.appendScore(
      supportDeskScoreRecord(
        episodeId,
        typeof v === "string" ? Result.fail(new SupportDeskInputError({ episodeId, detail: v })) : Result.succeed(handVerdict(v)),
        "2025-01-02T00:00:00.000Z",
      ),
    ),
  )
