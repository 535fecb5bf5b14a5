/**
 * Critical-turn analysis: where was an episode lost? From each turn t of an episode, K branches
 * (forks that keep turns 0..t-1 and continue live from t, each with a fresh seed) estimate the
 * probability of success given the conversation so far; the turn after which that probability
 * drops most is the critical turn.
 *
 * Every sample is a stored branch of the analysed episode in the analysis's own run (deterministic
 * ids and seeds from the run, the turn and the sample index), so an interrupted analysis resumes
 * to the same samples without repeating finished ones, and every sample can be replayed, viewed,
 * verified and re-scored like any other episode. The parent is loaded and folded once: each sample
 * stores one start event and folds it onto the parent's state at the branch point (O(events)).
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import {
  type CostTotal,
  type EpisodeRow,
  EventStore,
  knownCost,
  nowIso,
  ParticipantFactory,
  isSolo,
  sumCosts,
  type TrajectoryMessage,
  ZERO_COST,
} from "@tau-sim/engine"
import { isSuccessful } from "@tau-sim/evaluators"
import { EpisodeNotFound, loadEpisode, requireRecordedData } from "@tau-sim/replay"
import { Effect, Schema } from "effect"
import { eventOfTurn } from "./fork.ts"
import { episodeLease, runLease, withLease } from "./lease.ts"
import { branchEpisode, resumeEpisode } from "./lifecycle.ts"
import { type CriticalRunConfig, decodeRunConfig, encodeRunConfig, RUN_DEFAULTS, type RunPricing } from "./run-config.ts"
import { recordRunPricing } from "./run-pricing.ts"
import { ERRORED_REASONS, stableEpisodeId } from "./run.ts"

/** A turn range, both ends included. */
export interface TurnRange {
  readonly from: number
  readonly to: number
}

export interface CriticalOptions {
  readonly episodeId: string
  /** Samples per turn (K). */
  readonly samples: number
  /** Absent or undefined: the analysed episode's own (forwarded from optional flags or a stored null). */
  readonly agent?: string | undefined
  readonly user?: string | undefined
  /** Absent: every live turn of the episode. */
  readonly turns?: TurnRange | undefined
  /**
   * At most this many samples in the analysis, stored ones included (not part of its identity: a
   * later invocation with a larger budget, or a resume, continues). Samples are taken round-robin
   * over the turns, so a partial budget gives every turn some.
   */
  readonly maxSamples?: number | undefined
  /** Stop sampling turns whose outcome is settled (`settled`); part of the analysis's identity (it decides which samples exist). */
  readonly earlyStop?: boolean | undefined
  /**
   * Adaptive sampling (part of the identity): `ADAPTIVE_INITIAL_SAMPLES` at every turn, then rounds
   * at the turns of the largest drop and of its strongest rival only (`adaptiveRound`), never at
   * settled turns, at most `samples` a turn, until no rival is left. With a budget, the samples go
   * where the critical turn is decided.
   */
  readonly adaptive?: boolean | undefined
  /**
   * A cost budget in USD (not part of the identity; recorded so a resume keeps it): no sample starts
   * once the samples' model calls cost this much (samples already running finish). A sample whose
   * calls have no price makes the analysis stop with an error: an unknown cost cannot be budgeted.
   */
  readonly budgetUsd?: number | undefined
  readonly maxConcurrency?: number | undefined
  /** Of the intervals (default 0.95); how the samples are read, not part of the analysis's identity. */
  readonly confidence?: number | undefined
  /** Read the episode's domain from this data folder instead of the recorded one (it must hash the same). */
  readonly dataDir?: string | undefined
  /** The prices the samples' model calls are costed with, recorded with the analysis (not part of its id). */
  readonly pricing?: RunPricing | undefined
}

/** The analysis cannot be made as asked (no such episode, no turn in the range, ...). */
export class CriticalError extends Schema.TaggedError<CriticalError>()("CriticalError", { message: Schema.String }) {}

/** One stored sample: a branch of the analysed episode at `turn`. */
export interface CriticalSample {
  readonly task_id: string
  readonly turn: number
  readonly index: number
  readonly episode_id: string
  readonly termination_reason: string
  readonly reward: number | null
  /** Whether this invocation ran it (false: finished before). */
  readonly ran: boolean
}

/** A turn's estimate: the share of successful samples with its exact interval (null estimate: no sample yet). */
export interface TurnEstimate {
  readonly turn: number
  /** `assistant`, `user` or `tool`: who produced the message at this turn. */
  readonly role: string
  /** What the message is: `text`, `call <tool>` (the first call's tool), or `tool <tool>` (a tool's answer). */
  readonly kind: string
  readonly samples: number
  readonly successes: number
  /** Samples that ended errored (an infrastructure error): not counted as failures, nor in `samples`. */
  readonly errored: number
  readonly estimate: number | null
  readonly ci_low: number
  readonly ci_high: number
}

export interface CriticalResult {
  readonly run_id: string
  readonly episode_id: string
  readonly task_id: string
  readonly agent: string
  readonly user: string
  /** The analysed episode's own reward. */
  readonly reward: number | null
  readonly samples_per_turn: number
  readonly confidence: number
  /** At most how many samples the analysis takes (turns × K, or the budget when smaller), and how many it has. */
  readonly planned: number
  readonly finished: number
  /** What the samples' model calls cost, in USD (`unpriced`: calls without a price, whose cost is unknown). */
  readonly cost: CostTotal
  readonly budget_usd: number | null
  /** Why sampling ended before every turn had K samples: `max-samples`, `budget-usd`, `settled` (early stop, adaptive), or null. */
  readonly stopped_by: "max-samples" | "budget-usd" | "settled" | null
  readonly turns: ReadonlyArray<TurnEstimate>
  /** Every sample of the plan, in plan order. */
  readonly samples: ReadonlyArray<CriticalSample>
  /** The turn whose message lowered the estimate most (from it to the next analysed turn); null when no estimate drops. */
  readonly critical_turn: number | null
  readonly drop: number | null
  /** The drop's interval (Newcombe's method for a difference of two proportions, over the turns' intervals). */
  readonly drop_ci_low: number | null
  readonly drop_ci_high: number | null
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** The analysis's run: a hash of what it is (episode, participants, K, turns), so running it again finds it. */
export const criticalRunId = (options: Pick<CriticalOptions, "episodeId" | "agent" | "user" | "samples" | "turns" | "earlyStop" | "adaptive">): string => {
  const key = [
    options.agent ?? null,
    options.user ?? null,
    options.samples,
    options.turns ?? null,
    ...(options.earlyStop ? ["early-stop"] : []),
    ...(options.adaptive ? ["adaptive"] : []),
  ]
  return `${options.episodeId}~critical-${sha256(JSON.stringify(key)).slice(0, 8)}`
}

/** A sample's id and seed depend only on its run, turn and index: a resume finds and continues the same samples. */
export const sampleIdFor = (runId: string, turn: number, index: number): string => stableEpisodeId(runId, "turn", turn, "sample", index)
export const sampleSeedFor = (runId: string, turn: number, index: number): number =>
  Number.parseInt(sha256(`${runId}\u0000${turn}\u0000${index}`).slice(0, 8), 16) % 2 ** 31

/** P(X ≤ k) for X ~ Binomial(n, p), 0 < p < 1 (terms summed in log space). */
const binomialCdf = (k: number, n: number, p: number): number => {
  const lp = Math.log(p)
  const lq = Math.log1p(-p)
  let logC = 0
  let sum = 0
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i)
    sum += Math.exp(logC + i * lp + (n - i) * lq)
  }
  return Math.min(1, sum)
}

/** The p in (0, 1) where the monotone `f` crosses `target` (bisection to double precision). */
const solve = (f: (p: number) => number, target: number, increasing: boolean): number => {
  let lo = 0
  let hi = 1
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2
    if (f(mid) < target === increasing) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

/**
 * The exact (Clopper–Pearson, "Beta") interval for `successes` of `n` at `confidence`: it holds
 * the true probability with at least that probability whatever it is (Wilson's only on average),
 * so a check at every turn with a union bound over the turns is rigorous. n = 0: all of [0, 1].
 */
export const exactInterval = (successes: number, n: number, confidence = 0.95): { readonly low: number; readonly high: number } => {
  if (n === 0) return { low: 0, high: 1 }
  const alpha = (1 - confidence) / 2
  const low = successes === 0 ? 0 : solve((p) => 1 - binomialCdf(successes - 1, n, p), alpha, true)
  const high = successes === n ? 1 : solve((p) => binomialCdf(successes, n, p), alpha, false)
  return { low, high }
}

/** The drop from turn `a` to turn `b` (both estimated) with Newcombe's interval of a difference of two proportions. */
const dropBetween = (a: TurnEstimate, b: TurnEstimate): { readonly drop: number; readonly low: number; readonly high: number } => {
  // A turn without a counted sample says nothing: the drop may be anything.
  if (a.estimate === null || b.estimate === null) return { drop: 0, low: -1, high: 1 }
  const pa = a.estimate as number
  const pb = b.estimate as number
  const drop = pa - pb
  return {
    drop,
    low: Math.max(-1, drop - Math.sqrt((pa - a.ci_low) ** 2 + (b.ci_high - pb) ** 2)),
    high: Math.min(1, drop + Math.sqrt((a.ci_high - pa) ** 2 + (pb - b.ci_low) ** 2)),
  }
}

/** The largest drop between consecutive estimated turns, with Newcombe's interval of the difference. */
export const criticalTurnOf = (turns: ReadonlyArray<TurnEstimate>): Pick<CriticalResult, "critical_turn" | "drop" | "drop_ci_low" | "drop_ci_high"> => {
  const estimated = turns.filter((t) => t.estimate !== null)
  let best: Pick<CriticalResult, "critical_turn" | "drop" | "drop_ci_low" | "drop_ci_high"> = {
    critical_turn: null,
    drop: null,
    drop_ci_low: null,
    drop_ci_high: null,
  }
  for (let i = 0; i + 1 < estimated.length; i++) {
    const d = dropBetween(estimated[i], estimated[i + 1])
    if (d.drop <= 0 || (best.drop !== null && d.drop <= best.drop)) continue
    best = { critical_turn: estimated[i].turn, drop: d.drop, drop_ci_low: d.low, drop_ci_high: d.high }
  }
  return best
}

/** Samples every turn gets before adaptive sampling chooses where to take more. */
export const ADAPTIVE_INITIAL_SAMPLES = 4

/**
 * The level of the intervals adaptive sampling decides with: fixed, because `confidence` is how
 * the samples are read, not which exist (reading an analysis at another level takes no sample).
 */
const ADAPTIVE_CONFIDENCE = 0.95

/**
 * Adaptive sampling's next round, as LUCB does for the best of several arms: the turns of the
 * largest drop seen (the leader) and of its strongest rival (the drop whose upper bound reaches
 * highest among those that reach the leader's lower bound), as indices into `estimates`. Empty
 * when no rival is left (the critical turn is decided) or none of their turns can take a sample:
 * settled turns (`settled`) and turns that have `cap` samples take none.
 */
const adaptiveRound = (
  estimates: ReadonlyArray<TurnEstimate>,
  taken: ReadonlyArray<CriticalSample>,
  cap: number,
  counts: ReadonlyMap<number, number>,
): number[] => {
  const turns = estimates.map((e) => e.turn)
  const open = (i: number) => (counts.get(turns[i]) ?? 0) < cap && !settled(turns, taken, i)
  const drops = estimates.slice(0, -1).map((a, i) => ({ i, ...dropBetween(a, estimates[i + 1]) }))
  if (drops.length === 0) return []
  const leader = drops.reduce((b, d) => (d.drop > b.drop ? d : b))
  const rivals = drops.filter((d) => d !== leader && d.high >= leader.low).sort((a, b) => b.high - a.high || a.i - b.i)
  if (rivals.length === 0) return []
  const sampleable = (d: { readonly i: number }) => [d.i, d.i + 1].filter(open)
  const rival = rivals.find((d) => sampleable(d).length > 0)
  return [...new Set([...sampleable(leader), ...(rival ? sampleable(rival) : [])])]
}

const describeMessage = (m: TrajectoryMessage): { role: string; kind: string } => {
  if (m.role === "tool") return { role: "tool", kind: `tool ${m.name}` }
  const call = m.toolCalls?.[0]
  return { role: m.role, kind: call ? `call ${call.name}` : "text" }
}

/** Samples a turn needs before early stopping may settle it. */
export const EARLY_STOP_MIN_SAMPLES = 5

/** The outcome every counted sample of `turn` had (true: success), or null when they differ or there are too few. */
const unanimous = (samples: ReadonlyArray<CriticalSample>, turn: number): boolean | null => {
  const outcomes = samples
    .filter((s) => s.turn === turn && !ERRORED_REASONS.includes(s.termination_reason))
    .map((s) => s.reward !== null && isSuccessful(s.reward))
  if (outcomes.length < EARLY_STOP_MIN_SAMPLES) return null
  return outcomes.every((o) => o === outcomes[0]) ? outcomes[0] : null
}

/**
 * Early stopping: turn `i` needs no more samples when it and its neighbouring analysed turns all
 * agree on one outcome (every sample of each succeeded, or every one failed, after at least
 * `EARLY_STOP_MIN_SAMPLES`): the estimate is flat there, so no drop can be between them.
 */
const settled = (turns: ReadonlyArray<number>, samples: ReadonlyArray<CriticalSample>, i: number): boolean => {
  const own = unanimous(samples, turns[i])
  if (own === null) return false
  return [i - 1, i + 1].every((j) => j < 0 || j >= turns.length || unanimous(samples, turns[j]) === own)
}

/** The live turns of `trajectory` in `range` (setup turns are the task's, not a participant's: nothing to branch). */
const turnsToAnalyse = (episodeId: string, trajectory: ReadonlyArray<TrajectoryMessage>, range: TurnRange | undefined) => {
  const live = trajectory.flatMap((m, turn) => (m.setup ? [] : [turn]))
  if (live.length === 0) return Effect.fail(new CriticalError({ message: `episode ${episodeId} has no live turns to branch from` }))
  if (range === undefined) return Effect.succeed(live)
  if (range.from > range.to) return Effect.fail(new CriticalError({ message: `--turns ${range.from}..${range.to} is empty` }))
  const inRange = live.filter((t) => t >= range.from && t <= range.to)
  if (inRange.length === 0) {
    return Effect.fail(
      new CriticalError({ message: `episode ${episodeId} has live turns ${live[0]}..${live.at(-1)}; none in --turns ${range.from}..${range.to}` }),
    )
  }
  return Effect.succeed(inRange)
}

/**
 * Runs (or resumes) the analysis and returns the estimate per turn over every finished sample of
 * the plan. `onSample` sees each sample as it finishes (and those finished before, with `ran: false`).
 */
export const runCritical = (options: CriticalOptions, onSample: (s: CriticalSample, done: number, planned: number) => void = () => {}) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    if (!Number.isInteger(options.samples) || options.samples < 1) return yield* new CriticalError({ message: "--samples must be a whole number ≥ 1" })
    const confidence = options.confidence ?? 0.95
    if (!(confidence > 0 && confidence < 1)) return yield* new CriticalError({ message: "--confidence must be a number between 0 and 1 (0.95)" })
    const row = yield* store.getEpisode(options.episodeId)
    if (row === undefined) return yield* new EpisodeNotFound({ episodeId: options.episodeId })
    const parent = yield* loadEpisode(options.episodeId, { dataDir: options.dataDir })
    // A branch continued on other data than its parent's prefix ran on would not be a branch of it.
    yield* requireRecordedData(parent)
    const trajectory = parent.final.trajectory
    const turns = yield* turnsToAnalyse(options.episodeId, trajectory, options.turns)
    const started = parent.final.started
    const agent = options.agent ?? started.agent
    const user = options.user ?? started.user
    // Specs that name no participant fail here, before anything is stored.
    const factory = yield* ParticipantFactory
    yield* factory.make(agent, "agent")
    if (!isSolo(started)) yield* factory.make(user, "user")

    if (options.budgetUsd !== undefined && !(options.budgetUsd > 0 && Number.isFinite(options.budgetUsd)))
      return yield* new CriticalError({ message: "--budget-usd must be a positive number of dollars" })

    const runId = criticalRunId(options)
    const config: CriticalRunConfig = {
      kind: "critical",
      critical_of: options.episodeId,
      agent: options.agent ?? null,
      user: options.user ?? null,
      samples: options.samples,
      turns: options.turns ?? null,
      ...(options.earlyStop ? { early_stop: true } : {}),
      ...(options.adaptive ? { adaptive: true } : {}),
      ...(options.maxSamples !== undefined ? { max_samples: options.maxSamples } : {}),
      ...(options.budgetUsd !== undefined ? { budget_usd: options.budgetUsd } : {}),
      ...(options.dataDir !== undefined ? { data_dir: path.resolve(options.dataDir) } : {}),
    }
    // The id is a hash of what the analysis is, so an existing run with this id is this analysis.
    yield* store.createRun({ runId, createdAt: yield* nowIso, config: encodeRunConfig(config), experiment: null })
    if (options.pricing) yield* recordRunPricing(runId, options.pricing)

    // Rounds: sample 0 of every turn, then sample 1, ...; a budget stops in the middle of a round.
    const planned = Math.min(turns.length * options.samples, options.maxSamples ?? Number.POSITIVE_INFINITY)
    const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir)
    const budgetUsd = options.budgetUsd
    let cost: CostTotal = ZERO_COST
    let outOfMoney = false

    /** What a sample's own model calls cost (the prefix's are its parent's, never repeated); unknown ones refuse a dollar budget. */
    const costOf = (episodeId: string) =>
      Effect.gen(function* () {
        const own = knownCost((yield* store.read(episodeId)).map((e) => e.event))
        if (budgetUsd !== undefined && own.unpriced > 0) {
          return yield* new CriticalError({
            message: `--budget-usd ${budgetUsd}: sample ${episodeId} made ${own.unpriced} model call${own.unpriced === 1 ? "" : "s"} without a price, so the analysis's cost is unknown; give prices (--prices FILE or --price MODEL=IN,OUT) or drop --budget-usd`,
          })
        }
        return own
      })

    const samples = yield* Effect.gen(function* () {
      const stored = new Map<string, EpisodeRow>((yield* store.listEpisodes({ runId })).map((r) => [r.episodeId, r]))
      let done = 0
      const takeSample = ({ turn, index }: { readonly turn: number; readonly index: number }) =>
        Effect.gen(function* () {
          const episodeId = sampleIdFor(runId, turn, index)
          const existing = stored.get(episodeId)
          const finishedBefore = existing?.status === "ended" && (yield* store.listScores(episodeId)).length > 0
          // The dollar budget: nothing new starts once it is spent (what is stored is read, whatever the budget).
          if (!finishedBefore && budgetUsd !== undefined && cost.known >= budgetUsd) {
            outOfMoney = true
            return null
          }
          const sample = (reason: string | null, reward: number | null, ran: boolean): CriticalSample => ({
            task_id: started.taskId,
            turn,
            index,
            episode_id: episodeId,
            termination_reason: reason ?? "unknown",
            reward,
            ran,
          })
          let result: CriticalSample
          if (finishedBefore && existing) {
            result = sample(existing.terminationReason, existing.reward, false)
          } else if (existing) {
            // Created but interrupted (or ended, not scored): continued from its last stored event.
            const outcome = yield* resumeEpisode(episodeId).pipe(withLease(episodeLease(episodeId)))
            result = sample(outcome.state.ended, outcome.reward, true)
          } else {
            const outcome = yield* branchEpisode(parent, eventOfTurn(parent.states, turn), {
              episodeId,
              runId,
              agent: options.agent,
              user: options.user,
              dataDir,
              seed: sampleSeedFor(runId, turn, index),
            }).pipe(withLease(episodeLease(episodeId)))
            result = sample(outcome.state.ended, outcome.reward, true)
          }
          cost = sumCosts(cost, yield* costOf(episodeId))
          done++
          onSample(result, done, planned)
          return result
        })
      const taken: CriticalSample[] = []
      let budget = planned
      const concurrency = options.maxConcurrency ?? RUN_DEFAULTS.maxConcurrency
      const take = (round: ReadonlyArray<{ readonly turn: number; readonly index: number }>) =>
        Effect.gen(function* () {
          const slice = round.slice(0, budget)
          budget -= slice.length
          const results = yield* Effect.forEach(slice, takeSample, { concurrency })
          for (const r of results) if (r !== null) taken.push(r)
        })
      // Which turns a round samples depends only on the rounds before it, so a resume takes the same ones.
      if (options.adaptive) {
        const counts = new Map<number, number>()
        while (budget > 0 && !outOfMoney) {
          for (const t of turns) counts.set(t, taken.filter((s) => s.turn === t).length)
          const initial = turns.filter((t) => (counts.get(t) ?? 0) < Math.min(options.samples, ADAPTIVE_INITIAL_SAMPLES))
          const next =
            initial.length > 0
              ? initial
              : adaptiveRound(estimatesOf(turns, trajectory, taken, ADAPTIVE_CONFIDENCE), taken, options.samples, counts).map((i) => turns[i])
          if (next.length === 0) break
          yield* take(next.map((turn) => ({ turn, index: counts.get(turn) ?? 0 })))
        }
      } else {
        for (let index = 0; index < options.samples && budget > 0 && !outOfMoney; index++) {
          const open = options.earlyStop ? turns.filter((_, i) => !settled(turns, taken, i)) : turns
          yield* take(open.map((turn) => ({ turn, index })))
        }
      }
      return taken
    }).pipe(withLease(runLease(runId)))

    const estimates = estimatesOf(turns, trajectory, samples, confidence)
    const all = turns.length * options.samples
    const stoppedBy: CriticalResult["stopped_by"] =
      samples.length >= all ? null : outOfMoney ? "budget-usd" : samples.length >= planned && planned < all ? "max-samples" : "settled"
    return {
      run_id: runId,
      episode_id: options.episodeId,
      task_id: started.taskId,
      agent,
      user,
      reward: row.reward,
      samples_per_turn: options.samples,
      confidence,
      planned,
      finished: samples.length,
      cost,
      budget_usd: budgetUsd ?? null,
      stopped_by: stoppedBy,
      turns: estimates,
      samples,
      ...criticalTurnOf(estimates),
    } satisfies CriticalResult
  })

/** Each turn's estimate over `samples`: the share of successes among those not errored, with its exact interval. */
const estimatesOf = (
  turns: ReadonlyArray<number>,
  trajectory: ReadonlyArray<TrajectoryMessage>,
  samples: ReadonlyArray<CriticalSample>,
  confidence: number,
): TurnEstimate[] =>
  turns.map((turn): TurnEstimate => {
    const own = samples.filter((s) => s.turn === turn)
    const errored = own.filter((s) => ERRORED_REASONS.includes(s.termination_reason)).length
    const counted = own.filter((s) => !ERRORED_REASONS.includes(s.termination_reason))
    const successes = counted.filter((s) => s.reward !== null && isSuccessful(s.reward)).length
    const { low, high } = exactInterval(successes, counted.length, confidence)
    return {
      turn,
      ...describeMessage(trajectory[turn]),
      samples: counted.length,
      successes,
      errored,
      estimate: counted.length === 0 ? null : successes / counted.length,
      ci_low: low,
      ci_high: high,
    }
  })

/**
 * A stored analysis read as it stands, running nothing (for reports): the samples of its plan that
 * are finished and scored, the estimate per turn and the critical turn.
 */
export const readCritical = (runId: string, options: { readonly confidence?: number } = {}) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const run = yield* store.getRun(runId)
    if (!run) return yield* new CriticalError({ message: `run ${runId} not found` })
    const config = yield* decodeRunConfig(run)
    if (config.kind !== "critical") return yield* new CriticalError({ message: `run ${runId} is not a critical-turn analysis` })
    const row = yield* store.getEpisode(config.critical_of)
    if (row === undefined) return yield* new EpisodeNotFound({ episodeId: config.critical_of })
    const parent = yield* loadEpisode(config.critical_of, { dataDir: config.data_dir })
    const trajectory = parent.final.trajectory
    const turns = yield* turnsToAnalyse(config.critical_of, trajectory, config.turns ?? undefined)
    const confidence = options.confidence ?? 0.95
    const planOf = new Map(
      turns.flatMap((turn) => Array.from({ length: config.samples }, (_, index) => [sampleIdFor(runId, turn, index), { turn, index }] as const)),
    )
    const rows = (yield* store.listEpisodes({ runId })).filter((r) => r.status === "ended" && planOf.has(r.episodeId))
    const samples: CriticalSample[] = []
    let cost: CostTotal = ZERO_COST
    for (const r of rows) {
      if ((yield* store.listScores(r.episodeId)).length === 0) continue
      const at = planOf.get(r.episodeId) as { turn: number; index: number }
      samples.push({
        task_id: r.taskId,
        turn: at.turn,
        index: at.index,
        episode_id: r.episodeId,
        termination_reason: r.terminationReason ?? "unknown",
        reward: r.reward,
        ran: false,
      })
      cost = sumCosts(cost, knownCost((yield* store.read(r.episodeId)).map((e) => e.event)))
    }
    samples.sort((a, b) => a.index - b.index || a.turn - b.turn)
    const estimates = estimatesOf(turns, trajectory, samples, confidence)
    const started = parent.final.started
    return {
      run_id: runId,
      episode_id: config.critical_of,
      task_id: started.taskId,
      agent: config.agent ?? started.agent,
      user: config.user ?? started.user,
      reward: row.reward,
      samples_per_turn: config.samples,
      confidence,
      planned: Math.min(turns.length * config.samples, config.max_samples ?? Number.POSITIVE_INFINITY),
      finished: samples.length,
      cost,
      budget_usd: config.budget_usd ?? null,
      stopped_by: null,
      turns: estimates,
      samples,
      ...criticalTurnOf(estimates),
    } satisfies CriticalResult
  })

/** Where the analysed episodes of a run were lost: by position in the conversation, by what the critical turn was, by task. */
export interface CriticalSummary {
  readonly episodes: number
  readonly with_critical_turn: number
  /** The critical turn's place among the analysed turns, in quarters of the conversation. */
  readonly by_position: ReadonlyArray<{ readonly position: string; readonly episodes: number }>
  /** The critical turn's message: `<role> <kind>` (`assistant call cancel_order`, `user text`, ...), most frequent first. */
  readonly by_kind: ReadonlyArray<{ readonly kind: string; readonly episodes: number }>
  readonly by_task: ReadonlyArray<{
    readonly task_id: string
    readonly episodes: number
    readonly with_critical_turn: number
    readonly mean_drop: number | null
  }>
}

const QUARTERS = ["first quarter", "second quarter", "third quarter", "last quarter"] as const

const counted = <K extends string>(keys: ReadonlyArray<string>, name: K) => {
  const counts = new Map<string, number>()
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1)
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key, episodes]) => ({ [name]: key, episodes }) as { [P in K]: string } & { episodes: number })
}

export const summarizeCritical = (results: ReadonlyArray<CriticalResult>): CriticalSummary => {
  const lost = results.filter((r) => r.critical_turn !== null)
  const position = (r: CriticalResult): string => {
    const i = r.turns.findIndex((t) => t.turn === r.critical_turn)
    return QUARTERS[Math.min(3, Math.floor((4 * i) / Math.max(1, r.turns.length)))]
  }
  const kindOf = (r: CriticalResult): string => {
    const t = r.turns.find((x) => x.turn === r.critical_turn)
    return t ? `${t.role} ${t.kind}` : "?"
  }
  const tasks = [...new Set(results.map((r) => r.task_id))].sort()
  return {
    episodes: results.length,
    with_critical_turn: lost.length,
    by_position: QUARTERS.map((q) => ({ position: q, episodes: lost.filter((r) => position(r) === q).length })),
    by_kind: counted(lost.map(kindOf), "kind"),
    by_task: tasks.map((task_id) => {
      const own = results.filter((r) => r.task_id === task_id)
      const drops = own.flatMap((r) => (r.drop === null ? [] : [r.drop]))
      return {
        task_id,
        episodes: own.length,
        with_critical_turn: drops.length,
        mean_drop: drops.length === 0 ? null : drops.reduce((a, b) => a + b, 0) / drops.length,
      }
    }),
  }
}

/** The episodes of `runId` a batch analysis takes: the finished ones (`failed`: those that failed, not errored), in the run's order. */
export const criticalCandidates = (runId: string, options: { readonly failed: boolean }) =>
  Effect.gen(function* () {
    const rows = yield* (yield* EventStore).listEpisodes({ runId })
    return rows.filter(
      (r) =>
        r.status === "ended" && !ERRORED_REASONS.includes(r.terminationReason ?? "") && (!options.failed || (r.reward !== null && !isSuccessful(r.reward))),
    )
  })
