/**
 * Bytes stored per model-backed demo episode, before and after message pooling (ADR 0004).
 *
 * Episodes of the demo domain (`renew_loan` and `link_card_in_app`, alternating) are run with
 * model participants for agent and user (`compat:demo@<fake server>`: the real HTTP path of an
 * OpenAI-compatible provider, the demo brain answering) into a SQLite store. Then:
 * - before: every event's full JSON body, as a store without pooling keeps it (schema 3);
 * - after: what this store keeps: the event rows' bodies plus every blob (address and body).
 * Both stores' files are also compared after a VACUUM: the same rows written raw (un-pooled) into
 * a second store, and the pooled store as written.
 *
 * The demo episodes are short (about six model calls of five messages). `extraQuestions` makes
 * them longer the way real conversations are: before saying goodbye the user asks that many more
 * questions, each answered by the agent (two more model calls, two more messages each).
 *
 * The τ² entry does the same on airline with its real policy and agent tool set (the τ² data,
 * found as the tests find it; skipped without it): real tasks, whose scenario is the user's
 * prompt. The user gives the task's user id and reason for calling, the agent looks the user up
 * (`get_user_details`, so a tool result is in the conversation) and answers in text; the user
 * asks `extraQuestions` more questions, each answered from the policy, and stops. It also
 * measures what is left: the share of the after-bytes that is the provider's raw responses, and
 * the ratio if each raw response were stored deflated (measured only; the store is unchanged).
 * Run alone: node packages/cli/bench/stored-bytes.ts [episodes] [extraQuestions] [demo|airline]
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { loadTau2Domain } from "@tau-sim/domains"
import { demoDomain } from "@tau-sim/domains/demo"
import { missingDataNotice, tau2DataDir } from "@tau-sim/domains/testing/locate"
import {
  type Domain,
  encodeEvent,
  type EpisodeStarted,
  Events,
  EventStore,
  foldHistory,
  layerSqlite,
  openSqliteStore,
  playEpisode,
  setupEvents,
  type Task,
  taskHash,
} from "@tau-sim/engine"
import { buildModelParticipant, makeModelRuntime } from "@tau-sim/models"
import { type Brain, demoBrain, type FakeCall, type FakeMessage, startFakeLlmServer } from "@tau-sim/models/testing"

export interface StoredBytesOptions {
  readonly episodes?: number
  /** Questions the user asks before leaving (0: the demo episodes as they are). */
  readonly extraQuestions?: number
  readonly dir?: string
}

const QUESTION = "One more question, please: "
const TOPICS = ["your opening hours", "the late fee for a day", "how many books I may borrow", "the wifi password", "events for children"]

/** The demo brain, with a user who asks `n` more questions before the goodbye the demo brain would say. */
const curious =
  (n: number): Brain =>
  async (call, index) => {
    const reply = await demoBrain(call, index)
    if (n === 0 || reply.type !== "message") return reply
    const user = call.system.includes("<scenario>")
    // The user simulator sees its own turns as the assistant's.
    const asked = (messages: ReadonlyArray<FakeMessage>, role: "user" | "assistant") =>
      messages.filter((m) => m.role === role && m.text?.startsWith(QUESTION)).length
    if (user && reply.text?.includes("###STOP###")) {
      const k = asked(call.messages, "assistant")
      if (k < n) return { type: "message", text: `${QUESTION}what about ${TOPICS[k % TOPICS.length]}? (question ${k + 1})` }
    }
    const last = call.messages.at(-1)
    if (!user && last?.role === "user" && last.text.startsWith(QUESTION)) {
      return {
        type: "message",
        text: `Good question. ${last.text.slice(QUESTION.length)} The answer is in the member handbook, section ${asked(call.messages, "user")}.`,
      }
    }
    return reply
  }

// ── The airline brain ────────────────────────────────────────────────────────────────────────

const USER_ID = /\b[a-z]+_[a-z]+_\d{3,5}\b/
const STOP = "Thank you, that is all I needed. ###STOP###"
/** What the airline user asks, with the word of the policy the agent's answer quotes. */
const AIRLINE_TOPICS: ReadonlyArray<readonly [question: string, policyWord: string]> = [
  ["how many checked bags my membership allows", "checked bag"],
  ["whether I can change the flights of a basic economy booking", "Basic economy"],
  ["what travel insurance covers", "insurance"],
  ["whether I can upgrade my cabin", "cabin"],
  ["when a cancellation is refunded", "refund"],
  ["what I can get for a delayed flight", "delayed"],
  ["how I can pay for a new booking", "payment"],
  ["whether I can add a passenger later", "passenger"],
]

const say = (text: string) => ({ type: "message" as const, text })

/** The first line of the policy (the agent's system prompt) that mentions `word`. */
const policyLine = (system: string, word: string): string =>
  system
    .split("\n")
    .find((line) => line.toLowerCase().includes(word.toLowerCase()) && line.trim().length > 40)
    ?.trim() ?? "Please see our policy."

/** The user of an airline task: says who they are and why they call, asks `n` questions, stops. */
const airlineUser = (call: FakeCall, n: number) => {
  // The user simulator sees its own turns as the assistant's.
  const own = call.messages.filter((m) => m.role === "assistant")
  if (own.length === 0) {
    const id = call.system.match(USER_ID)?.[0] ?? "unknown_user_0000"
    const reason = call.system.split("Reason for call:\n")[1]?.split("\n")[0]?.trim() ?? "I have a question about my booking."
    return say(`Hi, my user id is ${id}. ${reason.replace(/^You\b/, "I").replace(/\byour\b/g, "my")}`)
  }
  const k = own.filter((m) => m.text?.startsWith(QUESTION)).length
  if (k < n) return say(`${QUESTION}${AIRLINE_TOPICS[k % AIRLINE_TOPICS.length][0]}? (question ${k + 1})`)
  return say(STOP)
}

/** The airline agent: looks the user up once, then answers in text (questions from the policy). */
const airlineAgent = (call: FakeCall) => {
  const last = call.messages.at(-1)
  const looked = call.messages.some((m) => m.role === "assistant" && m.toolCalls.some((c) => c.name === "get_user_details"))
  const id = call.messages
    .flatMap((m) => (m.role === "user" ? [m.text] : []))
    .join("\n")
    .match(USER_ID)?.[0]
  if (!looked && id) return { type: "message" as const, toolCalls: [{ name: "get_user_details", arguments: JSON.stringify({ user_id: id }) }] }
  if (last?.role === "tool") {
    let user: { name?: { first_name?: string; last_name?: string }; membership?: string; reservations?: ReadonlyArray<string> } = {}
    try {
      user = JSON.parse(last.text)
    } catch {
      // An error text: answered like any other result.
    }
    const name = `${user.name?.first_name ?? ""} ${user.name?.last_name ?? ""}`.trim() || "there"
    return say(
      `Thank you, ${name}. I found your profile: you are a ${user.membership ?? "regular"} member with ${user.reservations?.length ?? 0} reservations (${(user.reservations ?? []).join(", ")}). ` +
        "Before I make any change I will list the details and ask for your explicit confirmation. How can I help with your booking today?",
    )
  }
  if (last?.role === "user" && last.text.startsWith(QUESTION)) {
    const topic = AIRLINE_TOPICS.find(([q]) => last.text.includes(q))
    return say(`Good question. Our policy says: ${policyLine(call.system, topic?.[1] ?? "policy")} Is there anything else I can help you with?`)
  }
  return say("I understand. Could you tell me your user id so I can look up your reservations?")
}

const airlineBrain =
  (n: number): Brain =>
  (call) => {
    if (call.system.includes("<scenario>")) return airlineUser(call, n)
    if (call.system.includes("<policy>")) return airlineAgent(call)
    return say("###STOP###")
  }

// ── The measurement ──────────────────────────────────────────────────────────────────────────

/** What a bench entry plays: a domain, the tasks its episodes cycle through, and the brain. */
interface Setting {
  readonly domain: Domain
  readonly tasks: ReadonlyArray<Task>
  readonly brain: (extraQuestions: number) => Brain
  readonly dataDir: string | null
  readonly taskHash: (task: Task) => string
  readonly maxSteps: number
  /** Also measure the raw provider responses' share and a deflated store of them. */
  readonly rawAnalysis: boolean
}

const started = (setting: Setting, episodeId: string, task: Task, spec: string, seed: number): EpisodeStarted =>
  Events.episodeStarted({
    runId: "bench-bytes",
    episodeId,
    domain: setting.domain.name,
    taskId: task.id,
    trial: seed,
    hashes: { ...setting.domain.hashes, task: setting.taskHash(task) },
    dataDir: setting.dataDir,
    policyVariant: "default",
    mode: "default",
    agent: spec,
    user: spec,
    seed,
    limits: { maxSteps: setting.maxSteps, maxErrors: 10 },
    engineVersion: "bench",
    parent: null,
  })

const fileBytes = (file: string): number => {
  const db = new Database(file)
  db.exec("VACUUM")
  db.close()
  return fs.statSync(file).size
}

const demoSetting = (): Setting => {
  const domain = demoDomain()
  const tasks = ["renew_loan", "link_card_in_app"].map((id) => {
    const task = domain.tasks.find((t) => t.id === id)
    if (!task) throw new Error(`demo task ${id} missing`)
    return task
  })
  return { domain, tasks, brain: curious, dataDir: null, taskHash: () => "bench", maxSteps: 60, rawAnalysis: false }
}

/** Airline with its real policy and tools, or the reason it cannot run. */
const airlineSetting = (): Setting | { readonly skipped: string } => {
  const dataDir = tau2DataDir()
  if (dataDir === undefined) return { skipped: missingDataNotice(["tau2"]) }
  const domain = loadTau2Domain("airline", dataDir)
  return { domain, tasks: domain.tasks, brain: airlineBrain, dataDir, taskHash, maxSteps: 200, rawAnalysis: true }
}

const measure = async (setting: Setting, options: StoredBytesOptions) => {
  const episodes = options.episodes ?? 20
  const extraQuestions = options.extraQuestions ?? 0
  const dir = fs.mkdtempSync(path.join(options.dir ?? os.tmpdir(), "stored-bytes-"))
  const server = await startFakeLlmServer({ brain: setting.brain(extraQuestions) })
  try {
    const { domain, tasks } = setting
    const spec = `compat:${domain.name}@${server.baseURL}`
    const runtime = makeModelRuntime({ env: { COMPAT_API_KEY: "bench-not-a-key" }, maxRetries: 0 })
    const make = (side: "agent" | "user") => {
      const p = buildModelParticipant(spec, side, runtime)
      if (!p) throw new Error(`${spec} is not a model spec`)
      return p
    }
    const participants = { agent: make("agent"), user: make("user") }
    const pooledPath = path.join(dir, "pooled.db")
    const ids = Array.from({ length: episodes }, (_, i) => `ep-${i}`)
    const program = Effect.gen(function* () {
      const store = yield* EventStore
      for (const [i, episodeId] of ids.entries()) {
        const task = tasks[i % tasks.length]
        const setup = setupEvents(started(setting, episodeId, task, spec, i), domain, task)
        yield* store.append(episodeId, 0, setup)
        const final = yield* playEpisode(episodeId, foldHistory(domain, setup), domain, task, participants)
        if (final.ended !== "user_stop") throw new Error(`bench episode ${episodeId} (${domain.name} task ${task.id}) ended with ${final.ended}`)
      }
    })
    await Effect.runPromise(program.pipe(Effect.provide(layerSqlite(pooledPath))))

    // Before: the full body of every event (what a store without pooling writes), also written
    // raw into a second store so the two files can be compared.
    const pooled = openSqliteStore(pooledPath)
    const unpooledPath = path.join(dir, "unpooled.db")
    const unpooled = openSqliteStore(unpooledPath)
    let bodyBytesBefore = 0
    let modelCalls = 0
    let modelCallBytesBefore = 0
    // The provider's raw response, kept in every row (pooling cannot share it): what is left.
    let rawResponseBytes = 0
    // Each row's raw response deflated on its own (as a per-row column would hold it).
    let rawDeflatedBytes = 0
    let toolResults = 0
    // The agent's tool schemas as one request sends them (the largest tool set seen).
    let agentTools: ReadonlyArray<unknown> = []
    for (const episodeId of ids) {
      for (const stored of Effect.runSync(pooled.store.read(episodeId))) {
        const body = encodeEvent(stored.event)
        bodyBytesBefore += Buffer.byteLength(body)
        if (stored.event._tag === "ModelCalled") {
          modelCalls++
          modelCallBytesBefore += Buffer.byteLength(body)
          const raw = JSON.stringify((stored.event.response as { raw?: unknown } | null)?.raw ?? null)
          rawResponseBytes += Buffer.byteLength(raw)
          if (setting.rawAnalysis) rawDeflatedBytes += zlib.deflateRawSync(raw).length
          const tools = (stored.event.request as { tools?: ReadonlyArray<unknown> }).tools ?? []
          if (tools.length > agentTools.length) agentTools = tools
        }
        if (stored.event._tag === "ToolExecuted") toolResults++
        unpooled.writeRawEvent({ ...stored, tag: stored.event._tag, v: stored.event.v, body })
      }
    }
    pooled.close()
    unpooled.close()

    // After: the event rows as stored plus the whole blob table.
    const db = new Database(pooledPath, { readonly: true })
    const count = (sql: string): number => Number((db.prepare(sql).get() as { n: number | null }).n ?? 0)
    const bodyBytesAfter = count("SELECT sum(length(CAST(body AS BLOB))) AS n FROM events")
    const modelCallBytesAfter = count("SELECT sum(length(CAST(body AS BLOB))) AS n FROM events WHERE tag = 'ModelCalled'")
    const blobTable = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'blobs'").get() !== undefined
    const blobs = blobTable ? count("SELECT count(*) AS n FROM blobs") : 0
    const blobBytes = blobTable ? count("SELECT sum(length(CAST(hash AS BLOB)) + length(CAST(body AS BLOB))) AS n FROM blobs") : 0
    db.close()
    const bytesAfter = bodyBytesAfter + blobBytes
    const fileBefore = fileBytes(unpooledPath)
    const fileAfter = fileBytes(pooledPath)
    const perEpisode = (n: number) => Math.round(n / episodes)
    const ratio = (a: number, b: number) => Number((a / b).toFixed(2))
    const base = {
      episodes,
      extra_questions: extraQuestions,
      model_calls: modelCalls,
      bytes_per_episode_before: perEpisode(bodyBytesBefore),
      bytes_per_episode_after: perEpisode(bytesAfter),
      ratio_before_over_after: ratio(bodyBytesBefore, bytesAfter),
      model_call_share_before: Number((modelCallBytesBefore / bodyBytesBefore).toFixed(3)),
      model_call_body_bytes_per_episode_after: perEpisode(modelCallBytesAfter),
      of_which_raw_provider_responses: perEpisode(rawResponseBytes),
      blobs,
      blob_bytes_per_episode: perEpisode(blobBytes),
      file_bytes_before: fileBefore,
      file_bytes_after: fileAfter,
      file_ratio_before_over_after: ratio(fileBefore, fileAfter),
    }
    if (!setting.rawAnalysis) return base
    // The raw JSON sits in the row as JSON text; stored deflated it would be those bytes instead
    // (binary, e.g. a column of its own; as base64 inside the JSON body it would be 4/3 of that).
    const afterDeflated = bytesAfter - rawResponseBytes + rawDeflatedBytes
    return {
      ...base,
      domain: domain.name,
      tasks: Math.min(episodes, tasks.length),
      tool_results: toolResults,
      policy_bytes: Buffer.byteLength(domain.policy.default),
      agent_tools: agentTools.length,
      agent_tool_schema_bytes: Buffer.byteLength(JSON.stringify(agentTools)),
      raw_response_share_after: Number((rawResponseBytes / bytesAfter).toFixed(3)),
      raw_deflated_bytes_per_episode: perEpisode(rawDeflatedBytes),
      bytes_per_episode_after_raw_deflated: perEpisode(afterDeflated),
      ratio_before_over_after_raw_deflated: ratio(bodyBytesBefore, afterDeflated),
      ratio_before_over_after_without_raw: ratio(bodyBytesBefore, bytesAfter - rawResponseBytes),
    }
  } finally {
    await server.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Demo episodes (see the top of this file). */
export const benchStoredBytes = (options: StoredBytesOptions = {}) => measure(demoSetting(), options)

/** Airline episodes with the real policy and tools; `skipped` without the τ² data. */
export const benchStoredBytesAirline = async (options: StoredBytesOptions = {}) => {
  const setting = airlineSetting()
  return "skipped" in setting ? setting : measure(setting, options)
}

/** For `pnpm bench`: the demo episodes as they are, and with ten more questions each; the same on airline. */
export const benchStoredBytesEntry = async (options: { readonly dir?: string } = {}) => ({
  demo_episodes: await benchStoredBytes({ episodes: 20, ...options }),
  demo_episodes_ten_more_questions: await benchStoredBytes({ episodes: 20, extraQuestions: 10, ...options }),
  airline_episodes: await benchStoredBytesAirline({ episodes: 20, ...options }),
  airline_episodes_ten_more_questions: await benchStoredBytesAirline({ episodes: 20, extraQuestions: 10, ...options }),
})

if (import.meta.main) {
  const [episodes, extraQuestions] = [Number(process.argv[2] ?? 20), Number(process.argv[3] ?? 0)]
  const run = process.argv[4] === "airline" ? benchStoredBytesAirline : benchStoredBytes
  process.stdout.write(`${JSON.stringify(await run({ episodes, extraQuestions }), null, 2)}\n`)
}
