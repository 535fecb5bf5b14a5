/**
 * Model calls stored once (ADR 0004), through the real CLI against the local fake model server:
 * a model-backed run pools its conversations, replays and verifies; a second run with `--cache`
 * is answered from the pooled calls without reaching the server; a deleted or edited pool blob
 * makes `replay --verify` exit 2 naming the episode, the seq and the blob.
 */
import Database from "better-sqlite3"
import { copyFileSync } from "node:fs"
import { demoBrain, type FakeLlmServer, startFakeLlmServer } from "@tau-sim/models/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, tau, tempDir } from "./tau.ts"

const tmp = tempDir("message-pool")
let server: FakeLlmServer
let db = ""
const env = { ...process.env, COMPAT_API_KEY: "test-not-a-key" }

const run = (store: string, runId: string, ...extra: string[]) => {
  const model = `compat:demo@${server.baseURL}`
  const args = ["run", "--domain", "demo", "--task-ids", "renew_loan,link_card_in_app", "--agent", model, "--user", model]
  return tau([...args, "--trials", "2", "--run-id", runId, "--db", store, "--json", ...extra], tmp.root, env)
}

const verifyAll = async (store: string) => {
  const result = await tau(["replay", "--all", "--verify", "--json", "--db", store], tmp.root, env)
  return { ...result, rows: jsonLines(result.stdout) }
}

/** A copy of the store to damage. */
const copy = (): string => {
  const path = tmp.db()
  copyFileSync(db, path)
  return path
}

/** The pooled references of the store's model calls: [episode, seq, chain head, tool set]. */
const references = (path: string) => {
  const client = new Database(path, { readonly: true })
  try {
    const rows = client.prepare("SELECT episode_id, seq, body FROM events WHERE tag = 'ModelCalled' ORDER BY rowid").all() as Array<{
      episode_id: string
      seq: number
      body: string
    }>
    return rows.map((r) => {
      const body = JSON.parse(r.body)
      const { messages, tools } = body.request
      return {
        episodeId: r.episode_id,
        seq: r.seq,
        body: r.body,
        participant: body.participant as string,
        messages: messages.$ref as string,
        tools: tools?.$ref as string | undefined,
      }
    })
  } finally {
    client.close()
  }
}

beforeAll(async () => {
  server = await startFakeLlmServer({ brain: demoBrain })
  db = tmp.db()
  const first = await run(db, "pooled")
  expect(first.code, first.stderr).toBe(0)
})
afterAll(async () => {
  await server.close()
  tmp.dispose()
})

describe("model calls stored once", () => {
  it("a model-backed run pools every call: no row repeats a system prompt, each is stored once", () => {
    const calls = references(db)
    expect(calls.length).toBe(server.calls.length)
    const prompts = [...new Set(server.calls.map((c) => c.system))]
    // The agent's policy and the user's scenario of each of the two tasks.
    expect(prompts.length).toBe(3)
    for (const call of calls) {
      expect(call.body).toContain('"$pool":1')
      // As the row would hold it: JSON text.
      for (const prompt of prompts) expect(call.body).not.toContain(JSON.stringify(prompt).slice(1, 200))
    }
    const client = new Database(db, { readonly: true })
    try {
      const nodes = (client.prepare("SELECT body FROM blobs").pluck().all() as string[]).map((b) => JSON.parse(b))
      for (const prompt of prompts) expect(nodes.filter((n) => n.message?.content === prompt)).toHaveLength(1)
      // One tool set for every agent call of the four episodes.
      const agentCalls = calls.filter((c) => c.participant === "agent")
      expect(agentCalls.length).toBeGreaterThan(4)
      expect(new Set(agentCalls.map((c) => c.tools)).size).toBe(1)
    } finally {
      client.close()
    }
  })

  it("the pooled run replays and verifies with no findings", async () => {
    const { code, rows, stderr } = await verifyAll(db)
    expect(code, stderr).toBe(0)
    expect(rows).toHaveLength(4)
    expect(rows.every((r) => r.verified === true)).toBe(true)
  })

  it("a second run with --cache is answered from the pooled calls without reaching the server", async () => {
    const store = copy()
    const before = server.calls.length
    const cached = await run(store, "cached", "--cache")
    expect(cached.code, cached.stderr).toBe(0)
    expect(server.calls.length).toBe(before)
    const rewards = (stdout: string) => jsonLines(stdout).map((r) => r.reward)
    expect(rewards(cached.stdout)).toEqual([1, 1, 1, 1])
    expect((await verifyAll(store)).code).toBe(0)
  })

  it("a deleted message node: verify exits 2 naming episode, seq and blob", async () => {
    const store = copy()
    const victim = references(store).at(-1)
    if (!victim) throw new Error("no model call")
    const client = new Database(store)
    expect(client.prepare("DELETE FROM blobs WHERE hash = ?").run(victim.messages).changes).toBe(1)
    client.close()
    const { code, rows } = await verifyAll(store)
    expect(code).toBe(2)
    const failing = rows.filter((r) => r.verified !== true)
    expect(failing.map((r) => r.episode_id)).toEqual([victim.episodeId])
    const findings = failing[0].findings as Array<Record<string, unknown>>
    expect(findings).toContainEqual(expect.objectContaining({ kind: "blob", episode_id: victim.episodeId, seq: victim.seq }))
    expect(findings.find((f) => f.kind === "blob")?.detail).toContain(victim.messages)
  })

  it("the shared tool set edited: every episode that uses it fails verify, naming the blob", async () => {
    const store = copy()
    const toolSet = references(store).find((c) => c.tools !== undefined)?.tools
    if (!toolSet) throw new Error("no pooled tool set")
    const client = new Database(store)
    expect(client.prepare("UPDATE blobs SET body = '[]' WHERE hash = ?").run(toolSet).changes).toBe(1)
    client.close()
    const users = new Set(
      references(store)
        .filter((c) => c.tools === toolSet)
        .map((c) => c.episodeId),
    )
    const { code, rows } = await verifyAll(store)
    expect(code).toBe(2)
    expect(new Set(rows.filter((r) => r.verified !== true).map((r) => r.episode_id))).toEqual(users)
    for (const row of rows.filter((r) => r.verified !== true)) {
      expect((row.findings as Array<Record<string, unknown>>).some((f) => f.kind === "blob" && String(f.detail).includes(toolSet))).toBe(true)
    }
  })
})
