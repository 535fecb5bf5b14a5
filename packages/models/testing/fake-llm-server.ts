/**
 * A scripted model server on 127.0.0.1 that speaks the OpenAI Chat Completions and Anthropic
 * Messages wire formats, as JSON and as SSE streams. Tests and benchmarks use it to exercise the
 * real HTTP path of the providers (no mocking of our own port): a `brain` decides each reply from
 * the parsed request, and replies can also be failures (HTTP errors, a hang, a dropped socket).
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export type Api = "openai" | "anthropic"

export interface FakeToolCall {
  readonly id: string
  readonly name: string
  /** Argument JSON text as sent by the client. */
  readonly arguments: string
}

/** A conversation message, the same for both wire formats. */
export type FakeMessage =
  | { readonly role: "user"; readonly text: string }
  | { readonly role: "assistant"; readonly text: string | null; readonly toolCalls: ReadonlyArray<FakeToolCall> }
  | { readonly role: "tool"; readonly toolCallId: string; readonly text: string }

export interface FakeCall {
  readonly api: Api
  readonly path: string
  /** The query string as received (without `?`). */
  readonly query: string
  readonly model: string
  readonly stream: boolean
  readonly system: string
  readonly messages: ReadonlyArray<FakeMessage>
  readonly tools: ReadonlyArray<string>
  /** The request body as received. */
  readonly body: Record<string, unknown>
  readonly headers: http.IncomingHttpHeaders
}

export type Reply =
  | {
      readonly type: "message"
      readonly text?: string | null
      /** `arguments` is sent verbatim: it may be invalid JSON. */
      readonly toolCalls?: ReadonlyArray<{ readonly id?: string; readonly name: string; readonly arguments: string }>
      readonly usage?: { readonly input: number; readonly output: number }
    }
  /** An HTTP error with a provider-shaped body (429 may carry Retry-After seconds). */
  | { readonly type: "error"; readonly status: number; readonly message?: string; readonly retryAfterSeconds?: number }
  /** The provider's context-length rejection (HTTP 400). */
  | { readonly type: "context_length" }
  /** Never answers (until the server closes). */
  | { readonly type: "hang" }
  /** Closes the connection without an answer. */
  | { readonly type: "drop" }

export type Brain = (call: FakeCall, index: number) => Reply | Promise<Reply>

export interface FakeServerOptions {
  readonly brain: Brain
  /** Delay before every answer. */
  readonly latencyMs?: number
  /** Default: any free port. */
  readonly port?: number
}

export interface FakeLlmServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** Base URL for OpenAI, Anthropic and OpenAI-compatible clients (`<url>/v1`). */
  readonly baseURL: string
  /** Every request received, in arrival order. */
  readonly calls: FakeCall[]
  setBrain(brain: Brain): void
  close(): Promise<void>
}

const text = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === "object" && "text" in p ? String(p.text) : "")).join("")
  return ""
}

const parseOpenAi = (body: Record<string, unknown>): Pick<FakeCall, "system" | "messages" | "tools"> => {
  const system: string[] = []
  const messages: FakeMessage[] = []
  for (const m of (body.messages as Array<Record<string, unknown>>) ?? []) {
    if (m.role === "system" || m.role === "developer") system.push(text(m.content))
    else if (m.role === "user") messages.push({ role: "user", text: text(m.content) })
    else if (m.role === "assistant") {
      const calls = (m.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>) ?? []
      messages.push({
        role: "assistant",
        text: m.content == null ? null : text(m.content),
        toolCalls: calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
      })
    } else if (m.role === "tool") messages.push({ role: "tool", toolCallId: String(m.tool_call_id), text: text(m.content) })
  }
  const tools = ((body.tools as Array<{ function: { name: string } }>) ?? []).map((t) => t.function.name)
  return { system: system.join("\n"), messages, tools }
}

const parseAnthropic = (body: Record<string, unknown>): Pick<FakeCall, "system" | "messages" | "tools"> => {
  const messages: FakeMessage[] = []
  for (const m of (body.messages as Array<{ role: string; content: unknown }>) ?? []) {
    const blocks = typeof m.content === "string" ? [{ type: "text", text: m.content }] : (m.content as Array<Record<string, unknown>>)
    if (m.role === "user") {
      for (const b of blocks) {
        if (b.type === "tool_result") messages.push({ role: "tool", toolCallId: String(b.tool_use_id), text: text(b.content) })
        else if (b.type === "text") messages.push({ role: "user", text: String(b.text) })
      }
    } else {
      const t = blocks
        .filter((b) => b.type === "text")
        .map((b) => String(b.text))
        .join("")
      const toolCalls = blocks.filter((b) => b.type === "tool_use").map((b) => ({ id: String(b.id), name: String(b.name), arguments: JSON.stringify(b.input) }))
      messages.push({ role: "assistant", text: t === "" ? null : t, toolCalls })
    }
  }
  const tools = ((body.tools as Array<{ name: string }>) ?? []).map((t) => t.name)
  return { system: text(body.system), messages, tools }
}

let nextId = 0
const freshId = (prefix: string) => `${prefix}_${(++nextId).toString(36).padStart(6, "0")}`

/** Splits a string into a few pieces, so streams really arrive in parts. */
const pieces = (s: string, n = 3): string[] => {
  if (s.length <= 1) return [s]
  const size = Math.ceil(s.length / n)
  const out: string[] = []
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size))
  return out
}

type MessageReply = Extract<Reply, { type: "message" }>

const openAiMessage = (model: string, reply: MessageReply) => {
  const toolCalls = (reply.toolCalls ?? []).map((c) => ({ id: c.id ?? freshId("call"), type: "function", function: { name: c.name, arguments: c.arguments } }))
  return {
    id: freshId("chatcmpl"),
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: reply.text ?? null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop",
      },
    ],
    usage: {
      prompt_tokens: reply.usage?.input ?? 100,
      completion_tokens: reply.usage?.output ?? 20,
      total_tokens: (reply.usage?.input ?? 100) + (reply.usage?.output ?? 20),
    },
  }
}

const openAiChunks = (model: string, reply: MessageReply): unknown[] => {
  const id = freshId("chatcmpl")
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  })
  const out: unknown[] = [chunk({ role: "assistant", content: "" })]
  if (reply.text) for (const p of pieces(reply.text)) out.push(chunk({ content: p }))
  ;(reply.toolCalls ?? []).forEach((c, index) => {
    out.push(chunk({ tool_calls: [{ index, id: c.id ?? freshId("call"), type: "function", function: { name: c.name, arguments: "" } }] }))
    for (const p of pieces(c.arguments)) out.push(chunk({ tool_calls: [{ index, function: { arguments: p } }] }))
  })
  out.push(chunk({}, (reply.toolCalls ?? []).length > 0 ? "tool_calls" : "stop"))
  out.push({
    id,
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    choices: [],
    usage: { prompt_tokens: reply.usage?.input ?? 100, completion_tokens: reply.usage?.output ?? 20, total_tokens: 120 },
  })
  return out
}

/** Anthropic sends tool input as an object; text that is not a JSON object can only be streamed. */
const inputObject = (args: string): unknown => {
  try {
    return JSON.parse(args)
  } catch {
    return {}
  }
}

const anthropicMessage = (model: string, reply: MessageReply) => {
  const content: unknown[] = []
  if (reply.text) content.push({ type: "text", text: reply.text })
  for (const c of reply.toolCalls ?? []) content.push({ type: "tool_use", id: c.id ?? freshId("toolu"), name: c.name, input: inputObject(c.arguments) })
  return {
    id: freshId("msg"),
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: (reply.toolCalls ?? []).length > 0 ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: reply.usage?.input ?? 100, output_tokens: reply.usage?.output ?? 20 },
  }
}

const anthropicEvents = (model: string, reply: MessageReply): Array<[string, unknown]> => {
  const out: Array<[string, unknown]> = [
    [
      "message_start",
      {
        type: "message_start",
        message: {
          id: freshId("msg"),
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: reply.usage?.input ?? 100, output_tokens: 1 },
        },
      },
    ],
  ]
  let index = 0
  if (reply.text) {
    out.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }])
    for (const p of pieces(reply.text)) out.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: p } }])
    out.push(["content_block_stop", { type: "content_block_stop", index }])
    index++
  }
  for (const c of reply.toolCalls ?? []) {
    out.push([
      "content_block_start",
      { type: "content_block_start", index, content_block: { type: "tool_use", id: c.id ?? freshId("toolu"), name: c.name, input: {} } },
    ])
    for (const p of pieces(c.arguments))
      out.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: p } }])
    out.push(["content_block_stop", { type: "content_block_stop", index }])
    index++
  }
  out.push([
    "message_delta",
    {
      type: "message_delta",
      delta: { stop_reason: (reply.toolCalls ?? []).length > 0 ? "tool_use" : "end_turn", stop_sequence: null },
      usage: { output_tokens: reply.usage?.output ?? 20 },
    },
  ])
  out.push(["message_stop", { type: "message_stop" }])
  return out
}

const errorBody = (api: Api, status: number, message: string, code: string | null) =>
  api === "openai"
    ? { error: { message, type: status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error", param: null, code } }
    : { type: "error", error: { type: status === 429 ? "rate_limit_error" : status >= 500 ? "api_error" : "invalid_request_error", message } }

const readBody = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on("data", (c: Buffer) => parts.push(c))
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")))
    req.on("error", reject)
  })

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export const startFakeLlmServer = async (options: FakeServerOptions): Promise<FakeLlmServer> => {
  let brain = options.brain
  const calls: FakeCall[] = []

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const [path, query = ""] = (req.url ?? "").split("?", 2)
    const api: Api | null = path.endsWith("/chat/completions") ? "openai" : path.endsWith("/messages") ? "anthropic" : null
    if (req.method !== "POST" || api === null) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }))
      return
    }
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>
    const parsed = api === "openai" ? parseOpenAi(body) : parseAnthropic(body)
    const call: FakeCall = { api, path, query, model: String(body.model), stream: body.stream === true, body, headers: req.headers, ...parsed }
    calls.push(call)
    const reply = await brain(call, calls.length - 1)
    if (options.latencyMs) await sleep(options.latencyMs)
    switch (reply.type) {
      case "hang":
        return
      case "drop":
        req.socket.destroy()
        return
      case "context_length": {
        const message =
          api === "openai"
            ? "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages."
            : "prompt is too long: 210512 tokens > 200000 maximum"
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify(errorBody(api, 400, message, "context_length_exceeded")))
        return
      }
      case "error": {
        const headers: Record<string, string> = { "content-type": "application/json" }
        if (reply.retryAfterSeconds !== undefined) headers["retry-after"] = String(reply.retryAfterSeconds)
        res.writeHead(reply.status, headers).end(JSON.stringify(errorBody(api, reply.status, reply.message ?? `scripted ${reply.status}`, null)))
        return
      }
      case "message": {
        if (!call.stream) {
          const payload = api === "openai" ? openAiMessage(call.model, reply) : anthropicMessage(call.model, reply)
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(payload))
          return
        }
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" })
        if (api === "openai") {
          for (const c of openAiChunks(call.model, reply)) res.write(`data: ${JSON.stringify(c)}\n\n`)
          res.end("data: [DONE]\n\n")
        } else {
          for (const [event, data] of anthropicEvents(call.model, reply)) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
          res.end()
        }
      }
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" })
      res.end(JSON.stringify({ error: { message: `fake server: ${e instanceof Error ? e.message : e}` } }))
    })
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    baseURL: `${url}/v1`,
    calls,
    setBrain: (b) => {
      brain = b
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
