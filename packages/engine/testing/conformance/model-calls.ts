/**
 * Store conformance, model calls: `findModelResponse` by request hash (successful calls only, any episode), and the
 * message pool (conversations sharing a prefix stored once, read back exactly).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { encodeEvent, type ModelCalled } from "../../src/events.ts"
import { blobAddress } from "../../src/store/message-pool.ts"
import { agentMessage, conversationCall, ended, modelCalled, started, SYSTEM_PROMPT } from "../sample-events.ts"
import { type StoreFactory, withStore, writeRaw, events, integrityOf } from "./support.ts"

export const modelCallsConformance = (name: string, makeStore: StoreFactory): void => {
  const using = withStore(makeStore)

  describe(`${name} store conformance: model calls`, () => {
    it.effect("finds the first successful model call with a request hash, in any episode, skipping failed attempts", () =>
      using((store, handle) =>
        Effect.gen(function* () {
          const hash = "a".repeat(64)
          const call = (overrides: Partial<ModelCalled>): ModelCalled => ({ ...modelCalled(), requestHash: hash, ...overrides })
          assert.isUndefined(yield* store.findModelResponse(hash))
          // A failed attempt is never an answer.
          yield* store.append("ep-a", 0, [started("ep-a"), call({ error: "rate_limited (HTTP 429)", response: { error: "x" }, attempt: 1 })])
          assert.isUndefined(yield* store.findModelResponse(hash))
          // Unreadable raw rows and other hashes are passed over.
          yield* writeRaw(handle, {
            episodeId: "ep-a",
            seq: 2,
            recordedAt: "2025-01-01T00:00:00.000Z",
            tag: "ModelCalled",
            v: 1,
            body: `{"requestHash":"${hash}"`,
          })
          yield* store.append("ep-b", 0, [started("ep-b"), call({ requestHash: "b".repeat(64), cost: 9 })])
          const first = call({ attempt: 2, cost: 0.5 })
          yield* store.append("ep-b", 2, [first, agentMessage()])
          yield* store.append("ep-c", 0, [started("ep-c"), call({ attempt: 1, cost: 0.25 })])
          assert.deepStrictEqual(yield* store.findModelResponse(hash), first)
          assert.strictEqual((yield* store.findModelResponse("b".repeat(64)))?.cost, 9)
          assert.isUndefined(yield* store.findModelResponse("c".repeat(64)))
        }),
      ),
    )

    it.effect("any text is a request hash: NUL and % are kept apart, each found by exactly its own hash", () =>
      using((store) =>
        Effect.gen(function* () {
          // A store whose text columns cannot hold NUL (PostgreSQL) must not refuse or confuse these.
          const hashes = ["a\u0000b", "a%00b", "a%2500b", "%", ""]
          yield* store.append("ep", 0, [started("ep"), ...hashes.map((requestHash, i) => ({ ...modelCalled(), requestHash, cost: i }))])
          for (const [i, hash] of hashes.entries()) assert.strictEqual((yield* store.findModelResponse(hash))?.cost, i, JSON.stringify(hash))
          assert.isUndefined(yield* store.findModelResponse("a\u0000"))
        }),
      ),
    )

    it.effect("pools model calls: conversations sharing a prefix read back exactly, each message node and tool set stored once", () =>
      using((store) =>
        Effect.gen(function* () {
          const greeting = { role: "user", content: "Hi, I want to cancel my reservation ZFA04Y." }
          const reply = { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "get_user_details", argumentsJson: "{}" }] }
          const result = { role: "tool", toolCallId: "call_1", toolName: "get_user_details", content: '{"balance": 2.0}' }
          const first = conversationCall([SYSTEM_PROMPT, greeting])
          const second = conversationCall([SYSTEM_PROMPT, greeting, reply, result], { attempt: 2 })
          const other = conversationCall([SYSTEM_PROMPT, { role: "user", content: "Hello ✈️ \ud83d" }])
          const a = [started("a"), first, agentMessage(null), second, ended()]
          // A short call is kept as it is: references would cost what they save.
          const b = [started("b"), other, modelCalled()]
          yield* store.append("a", 0, a.slice(0, 3))
          yield* store.append("a", 3, a.slice(3))
          yield* store.append("b", 0, b)
          assert.deepStrictEqual(events(yield* store.read("a")), a)
          assert.deepStrictEqual(events(yield* store.read("b")), b)
          assert.deepStrictEqual(events(yield* store.read("a", { fromSeq: 3, toSeq: 4 })), [second])

          // Stored: the rows refer to the pool; the system prompt is in none of them.
          const rowsB = yield* store.readRaw("b")
          assert.strictEqual(rowsB[2].body, encodeEvent(modelCalled()))
          const modelRows = [...(yield* store.readRaw("a")), ...rowsB.slice(0, 2)].filter((r) => r.tag === "ModelCalled")
          assert.strictEqual(modelRows.length, 3)
          const heads: Array<string> = []
          const toolSets: Array<string> = []
          for (const row of modelRows) {
            assert.notInclude(row.body, "Agents must confirm")
            const request = JSON.parse(row.body).request
            heads.push(request.messages.$ref)
            toolSets.push(request.tools.$ref)
          }
          assert.strictEqual(new Set(toolSets).size, 1)
          // Every node of every chain, fetched link by link.
          const nodes = new Map<string, string>()
          let wanted = [...new Set(heads)]
          while (wanted.length > 0) {
            const found = yield* store.readBlobs(wanted)
            assert.deepStrictEqual([...found.keys()].sort(), [...wanted].sort())
            wanted = []
            for (const [address, body] of found) {
              assert.strictEqual(address, blobAddress(body))
              nodes.set(address, body)
              const prev = JSON.parse(body).prev
              if (prev !== null && !nodes.has(prev)) wanted.push(prev)
            }
            wanted = [...new Set(wanted)].filter((address) => !nodes.has(address))
          }
          // system prompt, greeting, reply, tool result of "a"; the other greeting of "b": five nodes, the first shared.
          assert.strictEqual(nodes.size, 5)
          assert.strictEqual([...nodes.values()].filter((body) => body.includes("Agents must confirm")).length, 1)
          const tools = yield* store.readBlobs([toolSets[0], `sha256:${"0".repeat(64)}`])
          assert.deepStrictEqual([...tools.keys()], [toolSets[0]])
          assert.deepStrictEqual(JSON.parse(tools.get(toolSets[0]) ?? ""), first.request && (first.request as { tools: unknown }).tools)
          assert.deepStrictEqual((yield* integrityOf(store, "a")).findings, [])
          assert.deepStrictEqual((yield* integrityOf(store, "b")).findings, [])
        }),
      ),
    )

    it.effect("findModelResponse answers with the whole pooled call, conversation and tools rehydrated", () =>
      using((store) =>
        Effect.gen(function* () {
          const hash = "e".repeat(64)
          const call = conversationCall([SYSTEM_PROMPT, { role: "user", content: "Cancel it, please." }], { requestHash: hash })
          yield* store.append("ep", 0, [started("ep"), call])
          yield* store.append("later", 0, [started("later"), conversationCall([SYSTEM_PROMPT], { requestHash: hash, cost: 7 })])
          assert.deepStrictEqual(yield* store.findModelResponse(hash), call)
          assert.isUndefined(yield* store.findModelResponse("f".repeat(64)))
        }),
      ),
    )

    it.effect("a request that already holds reference-shaped values reads back as it was", () =>
      using((store) =>
        Effect.gen(function* () {
          const ref = { $ref: `sha256:${"a".repeat(64)}` }
          const calls = [
            conversationCall([ref, SYSTEM_PROMPT]),
            { ...conversationCall([]), request: { messages: ref, tools: [ref] } },
            { ...conversationCall([]), request: { messages: [SYSTEM_PROMPT], tools: ref } },
            { ...conversationCall([]), request: { messages: [], tools: [] } },
            { ...conversationCall([]), request: ["not", "an", "object"] },
          ]
          yield* store.append("ep", 0, [started("ep"), ...calls])
          assert.deepStrictEqual(events(yield* store.read("ep")).slice(1), calls)
          assert.deepStrictEqual((yield* integrityOf(store, "ep")).findings, [])
        }),
      ),
    )
  })
}
