/**
 * One episode as the viewer shows it, derived from its log by the replay package (`loadEpisode`:
 * the same fold the engine, `tau show` and `tau replay` use): the timeline of its events, its
 * scores by evaluator version with the failed checks of the reward, its lineage, and the world
 * at any turn with the change that turn made.
 *
 * A turn is a trajectory message, numbered as `tau replay --at-turn` and `tau fork --at-turn`
 * number them: the world at turn N is the world when message N was produced.
 */
import {
  addCost,
  callCost,
  ZERO_COST,
  decodePatch,
  diff,
  type EpisodeEvent,
  formatCost,
  EventStore,
  materialize,
  type Node,
  nodeAt,
  PyJson,
  type PyValue,
  type ScoreRecord,
} from "@tau-sim/engine"
import { checkFailureLines } from "@tau-sim/evaluators"
import { loadEpisode, type ReplayedEpisode } from "@tau-sim/replay"
import { whyItFailed } from "@tau-sim/runs"
import { reportedScore } from "@tau-sim/reports"
import { Effect, Schema } from "effect"
import type { TimelineItem, ScoreView, EpisodeDetail, WorldAtTurn, BranchSide, BranchComparison } from "../wire.ts"

export class TurnNotFound extends Schema.TaggedError<TurnNotFound>()("TurnNotFound", {
  episodeId: Schema.String,
  turn: Schema.Int,
  turns: Schema.Int,
}) {
  override get message(): string {
    return `episode ${this.episodeId} has turns 0..${this.turns - 1}, not turn ${this.turn}`
  }
}

export class EventIndexNotFound extends Schema.TaggedError<EventIndexNotFound>()("EventIndexNotFound", {
  episodeId: Schema.String,
  index: Schema.Int,
  events: Schema.Int,
}) {
  override get message(): string {
    return `episode ${this.episodeId} has events 0..${this.events - 1}, not event ${this.index}`
  }
}

export type { TimelineItem, ScoreView, EpisodeDetail, WorldAtTurn, BranchSide, BranchComparison }

const item = (loaded: ReplayedEpisode, index: number): TimelineItem => {
  const stored = loaded.stored[index]
  const before = index === 0 ? 0 : loaded.states[index - 1].trajectory.length
  const after = loaded.states[index].trajectory.length
  const base = {
    index,
    stream: stored.episodeId,
    seq: stored.seq,
    recorded_at: stored.recordedAt,
    inherited: index < loaded.inherited,
    turn: after > before ? before : null,
  }
  const e: EpisodeEvent = stored.event
  switch (e._tag) {
    case "EpisodeStarted":
      return {
        ...base,
        // A branch's own start is where it leaves its parent: shown, not folded into setup.
        setup: e.parent === null,
        kind: "started",
        agent: e.agent,
        user: e.user,
        mode: e.mode,
        seed: e.seed,
        parent: e.parent === null ? null : `${e.parent.episodeId}#${e.parent.seq}`,
      }
    case "MessageSent":
      return {
        ...base,
        setup: e.setup === true,
        kind: "message",
        role: e.role,
        text: e.text,
        tool_calls: e.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.argumentsJson })),
      }
    case "ToolExecuted":
      return {
        ...base,
        setup: e.setup === true,
        kind: "tool",
        actor: e.actor,
        call_id: e.callId,
        name: e.name,
        arguments: e.argumentsJson,
        output: e.output,
        error: e.error,
        changes: patchLength(e.patchJson),
      }
    case "ModelCalled":
      return {
        ...base,
        setup: false,
        kind: "model",
        participant: e.participant,
        provider: e.provider,
        model: e.model,
        prompt_tokens: e.usage.promptTokens,
        completion_tokens: e.usage.completionTokens,
        cost: callCost(e),
        cost_text: formatCost(addCost(ZERO_COST, callCost(e))),
        latency_ms: e.latencyMs,
        attempt: e.attempt,
        error: e.error,
      }
    case "EpisodeEnded":
      return { ...base, setup: false, kind: "ended", reason: e.reason, steps: e.steps, errors: e.errors, note: e.note }
    case "ExternalRecord":
      return { ...base, setup: true, kind: "external", source: e.source }
  }
}

const patchLength = (patchJson: string): number => {
  try {
    const patch = JSON.parse(patchJson) as unknown
    return Array.isArray(patch) ? patch.length : 0
  } catch {
    return 0
  }
}

const scoreViews = (scores: ReadonlyArray<ScoreRecord>): ScoreView[] => {
  const reported = reportedScore(scores)
  return scores.map((s) => ({
    evaluator: s.evaluator,
    version: s.evaluatorVersion,
    reward: s.reward,
    recorded_at: s.recordedAt,
    reported: s === reported,
    breakdown: s.breakdown,
  }))
}

export const episodeDetail = (episodeId: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const loaded = yield* loadEpisode(episodeId)
    const started = loaded.final.started
    const row = yield* store.getEpisode(episodeId)
    const lineage: Array<{ episode_id: string; fork_seq: number | null }> = []
    let cursor = row
    while (cursor) {
      lineage.unshift({ episode_id: cursor.episodeId, fork_seq: cursor.parentSeq })
      if (!cursor.parentEpisodeId) break
      cursor = yield* store.getEpisode(cursor.parentEpisodeId)
    }
    const scores = yield* store.listScores(episodeId)
    const reported = reportedScore(scores)
    // The reported score's failed checks, and the DB paths that differ from the gold (computed now: the breakdown does not say).
    const whyFailed = reported && reported.reward < 1 ? yield* whyItFailed(loaded, reported.breakdown) : null
    const detail: EpisodeDetail = {
      episode_id: episodeId,
      run_id: started.runId,
      domain: started.domain,
      task_id: started.taskId,
      trial: started.trial,
      agent: started.agent,
      user: started.user,
      mode: started.mode,
      status: loaded.final.ended === null ? "running" : "ended",
      termination_reason: loaded.final.ended,
      reward: reported?.reward ?? null,
      turns: loaded.final.trajectory.length,
      lineage,
      timeline: loaded.stored.map((_, i) => item(loaded, i)),
      scores: scoreViews(scores),
      failed_checks: whyFailed === null ? [] : checkFailureLines(whyFailed),
      why_failed: whyFailed,
    }
    return detail
  })

/** The world as plain JSON (Python floats as numbers): what the page shows. */
const plainWorld = (world: Node): unknown => PyJson.toPlain(materialize(world) as PyValue)

const unescapeToken = (token: string): string => token.replaceAll("~1", "/").replaceAll("~0", "~")

export const worldAtTurn = (episodeId: string, turn: number) =>
  Effect.gen(function* () {
    const loaded = yield* loadEpisode(episodeId)
    const turns = loaded.final.trajectory.length
    const index = loaded.states.findIndex((s) => s.trajectory.length > turn)
    if (turn < 0 || index < 0) return yield* new TurnNotFound({ episodeId, turn, turns })
    const before = index === 0 ? loaded.domain.initialWorld : loaded.states[index - 1].world
    const after = loaded.states[index].world
    // What the turn changed is the patch the engine applied for it, as recorded (a tool call's;
    // a message changes nothing), with the value each path held before.
    const event = loaded.events[index]
    const patch = event._tag === "ToolExecuted" ? decodePatch(event.patchJson) : []
    const valueBefore = (path: string): unknown => {
      const node = nodeAt(before, path === "" ? [] : path.slice(1).split("/").map(unescapeToken))
      return node === undefined ? undefined : PyJson.toPlain(materialize(node) as PyValue)
    }
    const changes = patch.map((op) => {
      const was = op.op === "add" ? {} : { before: valueBefore(op.path) }
      return "value" in op ? { op: op.op, path: op.path, value: PyJson.toPlain(op.value), ...was } : { op: op.op, path: op.path, ...was }
    })
    const out: WorldAtTurn = { episode_id: episodeId, turn, turns, index, world: plainWorld(after), changes }
    return out
  })

/** One event in full, as stored and decoded (a model call's raw request and response), for "show raw". */
export const rawEvent = (episodeId: string, index: number) =>
  Effect.gen(function* () {
    const loaded = yield* loadEpisode(episodeId)
    const stored = loaded.stored[index]
    if (stored === undefined) return yield* new EventIndexNotFound({ episodeId, index, events: loaded.stored.length })
    return { episode_id: episodeId, index, stream: stored.episodeId, seq: stored.seq, event: stored.event }
  })

/**
 * Two episodes side by side, aligned where their histories part: the events they share (a fork
 * inherits its parent's prefix, so shared events are the very same stored rows), then each one's
 * own, and how their final worlds and rewards differ.
 */
export const compareBranches = (aId: string, bId: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const [a, b] = [yield* loadEpisode(aId), yield* loadEpisode(bId)]
    let shared = 0
    while (
      shared < a.stored.length &&
      shared < b.stored.length &&
      a.stored[shared].episodeId === b.stored[shared].episodeId &&
      a.stored[shared].seq === b.stored[shared].seq
    )
      shared++
    const side = (loaded: ReplayedEpisode, scores: ReadonlyArray<ScoreRecord>): BranchSide => ({
      episode_id: loaded.episodeId,
      agent: loaded.final.started.agent,
      user: loaded.final.started.user,
      mode: loaded.final.started.mode,
      termination_reason: loaded.final.ended,
      reward: reportedScore(scores)?.reward ?? null,
      turns: loaded.final.trajectory.length,
      timeline: loaded.stored.slice(shared).map((_, i) => item(loaded, shared + i)),
    })
    const worldDiff = diff(materialize(a.final.world) as PyValue, materialize(b.final.world) as PyValue).map((op) =>
      "value" in op ? { op: op.op, path: op.path, value: PyJson.toPlain(op.value) } : { op: op.op, path: op.path },
    )
    const out: BranchComparison = {
      shared: a.stored.slice(0, shared).map((_, i) => item(a, i)),
      a: side(a, yield* store.listScores(aId)),
      b: side(b, yield* store.listScores(bId)),
      world_diff: worldDiff,
    }
    return out
  })
