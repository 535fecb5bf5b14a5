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
 * Run alone: node packages/cli/bench/stored-bytes.ts [episodes] [extraQuestions]
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { demoDomain } from "@tau-sim/domains/demo"
import { encodeEvent, type EpisodeStarted, Events, EventStore, foldHistory, layerSqlite, openSqliteStore, playEpisode, setupEvents } from "@tau-sim/engine"
import { buildModelParticipant, makeModelRuntime } from "@tau-sim/models"
import { type Brain, demoBrain, type FakeMessage, startFakeLlmServer } from "@tau-sim/models/testing"

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

const started = (episodeId: string, taskId: string, spec: string, seed: number, hashes: EpisodeStarted["hashes"]): EpisodeStarted =>
  Events.episodeStarted({
    runId: "bench-bytes",
    episodeId,
    domain: "demo",
    taskId,
    trial: seed,
    hashes,
    dataDir: null,
    policyVariant: "default",
    mode: "default",
    agent: spec,
    user: spec,
    seed,
    limits: { maxSteps: 60, maxErrors: 10 },
    engineVersion: "bench",
    parent: null,
  })

const fileBytes = (file: string): number => {
  const db = new Database(file)
  db.exec("VACUUM")
  db.close()
  return fs.statSync(file).size
}

export const benchStoredBytes = async (options: StoredBytesOptions = {}) => {
  const episodes = options.episodes ?? 20
  const extraQuestions = options.extraQuestions ?? 0
  const dir = fs.mkdtempSync(path.join(options.dir ?? os.tmpdir(), "stored-bytes-"))
  const server = await startFakeLlmServer({ brain: curious(extraQuestions) })
  try {
    const domain = demoDomain()
    const spec = `compat:demo@${server.baseURL}`
    const runtime = makeModelRuntime({ env: { COMPAT_API_KEY: "bench-not-a-key" }, maxRetries: 0 })
    const make = (side: "agent" | "user") => {
      const p = buildModelParticipant(spec, side, runtime)
      if (!p) throw new Error(`${spec} is not a model spec`)
      return p
    }
    const participants = { agent: make("agent"), user: make("user") }
    const tasks = ["renew_loan", "link_card_in_app"].map((id) => {
      const task = domain.tasks.find((t) => t.id === id)
      if (!task) throw new Error(`demo task ${id} missing`)
      return task
    })
    const pooledPath = path.join(dir, "pooled.db")
    const ids = Array.from({ length: episodes }, (_, i) => `ep-${i}`)
    const program = Effect.gen(function* () {
      const store = yield* EventStore
      for (const [i, episodeId] of ids.entries()) {
        const task = tasks[i % tasks.length]
        const setup = setupEvents(started(episodeId, task.id, spec, i, { ...domain.hashes, task: "bench" }), domain, task)
        yield* store.append(episodeId, 0, setup)
        const final = yield* playEpisode(episodeId, foldHistory(domain, setup), domain, task, participants)
        if (final.ended !== "user_stop") throw new Error(`bench episode ${episodeId} ended with ${final.ended}`)
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
    for (const episodeId of ids) {
      for (const stored of Effect.runSync(pooled.store.read(episodeId))) {
        const body = encodeEvent(stored.event)
        bodyBytesBefore += Buffer.byteLength(body)
        if (stored.event._tag === "ModelCalled") {
          modelCalls++
          modelCallBytesBefore += Buffer.byteLength(body)
          rawResponseBytes += Buffer.byteLength(JSON.stringify((stored.event.response as { raw?: unknown } | null)?.raw ?? null))
        }
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
    return {
      episodes,
      extra_questions: extraQuestions,
      model_calls: modelCalls,
      bytes_per_episode_before: perEpisode(bodyBytesBefore),
      bytes_per_episode_after: perEpisode(bytesAfter),
      ratio_before_over_after: Number((bodyBytesBefore / bytesAfter).toFixed(2)),
      model_call_share_before: Number((modelCallBytesBefore / bodyBytesBefore).toFixed(3)),
      model_call_body_bytes_per_episode_after: perEpisode(modelCallBytesAfter),
      of_which_raw_provider_responses: perEpisode(rawResponseBytes),
      blobs,
      blob_bytes_per_episode: perEpisode(blobBytes),
      file_bytes_before: fileBefore,
      file_bytes_after: fileAfter,
      file_ratio_before_over_after: Number((fileBefore / fileAfter).toFixed(2)),
    }
  } finally {
    await server.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** For `pnpm bench`: the demo episodes as they are, and with ten more questions each. */
export const benchStoredBytesEntry = async (options: { readonly dir?: string } = {}) => ({
  demo_episodes: await benchStoredBytes({ episodes: 20, dir: options.dir }),
  demo_episodes_ten_more_questions: await benchStoredBytes({ episodes: 20, extraQuestions: 10, dir: options.dir }),
})

if (import.meta.main) {
  const [episodes, extraQuestions] = [Number(process.argv[2] ?? 20), Number(process.argv[3] ?? 0)]
  process.stdout.write(`${JSON.stringify(await benchStoredBytes({ episodes, extraQuestions }), null, 2)}\n`)
}
