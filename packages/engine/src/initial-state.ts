/**
 * Applying a task's initial state exactly as the reference's `set_state` does (semantics §3.5):
 * merge initialisation data, run initialisation actions (each followed by the domain sync), replay
 * the state-changing tool calls of the message history, then sync once more.
 *
 * Every change is returned as an env step so that the orchestrator can record it as a
 * `ToolExecuted` event with actor `env`; the world is then rebuilt from events like any other.
 */
import type { Domain } from "./domain.ts"
import { executeToolCall, runHelper, SCOPES_KEY, scopeOf, syncWorld } from "./execute.ts"
import { compact, dumps, parse } from "./py/json.ts"
import { isObject, type PyObject, pyEquals, type PyValue } from "./py/value.ts"
import type { HistoryMessage, Task } from "./task.ts"
import { mutates } from "./domain.ts"
import { Draft } from "./world/draft.ts"
import { child, materialize, type Node, type Op } from "./world/tree.ts"

export interface EnvStep {
  readonly callId: string
  readonly name: string
  readonly args: PyValue
  readonly output: string
  readonly error: boolean
  readonly patch: ReadonlyArray<Op>
}

export class InitialStateError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "InitialStateError"
  }
}

/** pydantic `update_db`: nested objects merged key by key; lists and scalars replaced. */
const deepMerge = (draft: Draft, path: string[], data: PyObject) => {
  for (const [key, value] of Object.entries(data)) {
    const current = draft.get(...path, key)
    if (isObject(value) && isObject(current)) deepMerge(draft, [...path, key], value)
    else draft.set([...path, key], value)
  }
}

const deterministic = (seed: number) => () => {
  // mulberry32: small, fast, good enough for ids; seeded so replays reproduce.
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
export const seededRandom = deterministic

/** JSON-decoded comparison used by the history replay (raw strings when not JSON). */
const decodedOrRaw = (text: string): PyValue => {
  try {
    return parse(text)
  } catch {
    return text
  }
}

export interface InitialStateResult {
  readonly steps: ReadonlyArray<EnvStep>
  readonly world: Node
}

/** The steps, world and random draws after the data and the first initialisation actions of a task. */
interface SetupPrefix {
  readonly steps: ReadonlyArray<EnvStep>
  readonly world: Node
  readonly seed: number
  readonly draws: number
}

/**
 * Setup prefixes by domain and inputs (the initialisation data and the first k actions). Tasks of
 * a family share them: telecom's 2,285 tasks run 18,460 initialisation actions with 5,026 distinct
 * prefixes, and an episode's setup and its evaluation apply the same ones. A helper's writes and
 * output are a function of the world, its arguments and the seeded randomness (what `replay
 * --verify` relies on), so a prefix found here is what running it again would give; one that drew
 * no random number holds whatever the seed. The oldest are forgotten past a bound, so memory does
 * not grow with the number of tasks.
 */
const setupPrefixes = new WeakMap<Domain, Map<string, SetupPrefix>>()
const SETUP_PREFIXES_KEPT = 4096

export const applyInitialState = (
  domain: Domain,
  task: Task,
  options: { readonly strict?: boolean; readonly seed?: number; readonly solo?: boolean } = {},
): InitialStateResult => {
  let world = domain.initialWorld
  const steps: EnvStep[] = []
  const seed = options.seed ?? 0
  let random = deterministic(seed)
  let draws = 0
  const ctx = {
    random: () => {
      draws++
      return random()
    },
  }
  const record = (step: Omit<EnvStep, "callId">, next: Node) => {
    steps.push({ ...step, callId: `env_${steps.length}` })
    world = next
  }
  const init = task.initial_state
  const data = init?.initialization_data
  if (data?.agent_data) {
    const draft = new Draft(world)
    deepMerge(draft, [scopeOf(world, "agent")], data.agent_data as PyObject)
    // The reference re-points the user toolkit at the agent database after merging.
    if (domain.userToolkit) draft.set([SCOPES_KEY], { ...(scopesOf(world) as PyObject), user: scopeOf(world, "agent") })
    record({ name: "update_agent_db", args: data.agent_data as PyValue, output: "", error: false, patch: draft.ops }, draft.root)
  }
  if (data?.user_data) {
    const draft = new Draft(world)
    deepMerge(draft, [scopeOf(world, "user")], data.user_data as PyObject)
    draft.set([SCOPES_KEY], { ...(scopesOf(draft.root) as PyObject), agent: scopeOf(world, "user") })
    record({ name: "update_user_db", args: data.user_data as PyValue, output: "", error: false, patch: draft.ops }, draft.root)
  }
  const actions = init?.initialization_actions ?? []
  let prefixes = setupPrefixes.get(domain)
  if (prefixes === undefined) {
    prefixes = new Map()
    setupPrefixes.set(domain, prefixes)
  }
  const keys: string[] = []
  let key = compact((data ?? null) as PyValue)
  for (const action of actions) {
    key += `\u0000${compact(action as unknown as PyValue)}`
    keys.push(key)
  }
  let done = 0
  for (let k = actions.length; k > 0; k--) {
    const found = prefixes.get(keys[k - 1] as string)
    if (found !== undefined && (found.draws === 0 || found.seed === seed)) {
      steps.splice(0, steps.length, ...found.steps)
      world = found.world
      random = deterministic(seed)
      for (let i = 0; i < found.draws; i++) random()
      draws = found.draws
      done = k
      break
    }
  }
  for (let k = done; k < actions.length; k++) {
    const action = actions[k] as (typeof actions)[number]
    const side = action.env_type === "user" ? "user" : "agent"
    const args = action.arguments as Record<string, PyValue>
    const ran = runHelper(domain, world, side, action.func_name, args, ctx)
    const synced = syncWorld(domain, ran.world)
    const output = typeof ran.result === "string" ? ran.result : dumps(ran.result)
    record({ name: action.func_name, args, output, error: false, patch: [...ran.patch, ...synced.patch] }, synced.world)
    if (prefixes.size >= SETUP_PREFIXES_KEPT) prefixes.delete(prefixes.keys().next().value as string)
    prefixes.set(keys[k] as string, { steps: [...steps], world, seed, draws })
  }
  replayHistory(domain, init?.message_history ?? [], options.strict ?? true, options.solo ?? false, ctx, () => world, record)
  const synced = syncWorld(domain, world)
  if (synced.patch.length > 0) record({ name: "sync_tools", args: {}, output: "", error: false, patch: synced.patch }, synced.world)
  return { steps, world }
}

const scopesOf = (world: Node): PyValue => {
  const s = child(world, SCOPES_KEY)
  return s === undefined ? {} : materialize(s)
}

/** Re-executes the state-changing tool calls found in a message history (§3.5 step 4). */
const replayHistory = (
  domain: Domain,
  history: ReadonlyArray<HistoryMessage>,
  strict: boolean,
  solo: boolean,
  ctx: { random: () => number },
  world: () => Node,
  record: (step: Omit<EnvStep, "callId">, next: Node) => void,
) => {
  for (let i = 0; i < history.length; i++) {
    const m = history[i]
    if (m.role === "tool") {
      const prev = history[i - 1]
      if (!prev || (prev.role !== "tool" && !prev.tool_calls?.length)) throw new InitialStateError(`Tool message ${m.id} is not preceded by its tool call`)
    }
    if ((m.role !== "assistant" && m.role !== "user") || !m.tool_calls?.length) continue
    m.tool_calls.forEach((call, k) => {
      const reply = history[i + 1 + k]
      if (reply?.role !== "tool" || reply.id !== call.id) throw new InitialStateError(`Tool call ${call.id} is not followed by its tool message`)
      // τ²'s ToolCall defaults its requestor to "assistant", whatever message carries it.
      const requestor = call.requestor ?? "assistant"
      const kit = requestor === "user" ? domain.userToolkit : domain.agentToolkit
      const tool = kit?.tools.find((t) => t.name === call.name)
      if (!tool || !mutates(tool)) return
      const outcome = executeToolCall(
        domain,
        world(),
        { id: call.id ?? "", name: call.name, arguments: call.arguments as Record<string, PyValue>, requestor },
        ctx,
        { solo },
      )
      if (strict && !pyEquals(decodedOrRaw(outcome.output), decodedOrRaw(reply.content ?? ""))) {
        throw new InitialStateError(`Replayed tool call ${call.name} (${call.id}) returned ${outcome.output}, but the history recorded ${reply.content}`)
      }
      record({ name: call.name, args: call.arguments as PyValue, output: outcome.output, error: outcome.error, patch: outcome.patch }, outcome.world)
    })
  }
}
