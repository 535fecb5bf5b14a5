/**
 * A model client answered in-process by a brain (no HTTP, no waiting): for measuring what the
 * engine itself costs per step, and for tests that need a model but not a provider.
 */
import { Effect } from "effect"
import type { ModelClient, ModelRequest, ModelResponse } from "../src/port.ts"
import type { Brain, FakeCall, FakeMessage } from "./fake-llm-server.ts"

/** The request as the fake server would parse it, so the same brains serve both. */
const asCall = (request: ModelRequest, model: string): FakeCall => {
  const system = request.messages.flatMap((m) => (m.role === "system" ? [m.content] : [])).join("\n")
  const messages = request.messages.flatMap((m): FakeMessage[] => {
    switch (m.role) {
      case "system":
        return []
      case "user":
        return [{ role: "user", text: m.content }]
      case "assistant":
        return [{ role: "assistant", text: m.content, toolCalls: m.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.argumentsJson })) }]
      case "tool":
        return [{ role: "tool", toolCallId: m.toolCallId, text: m.content }]
    }
  })
  return {
    api: "openai",
    path: "in-process",
    query: "",
    model,
    stream: false,
    system,
    messages,
    tools: request.tools.map((t) => t.function.name),
    body: { seed: request.params.seed },
    headers: {},
  }
}

export const inProcessModel = (brain: Brain, model = "in-process"): ModelClient => {
  let n = 0
  let ids = 0
  return {
    provider: "in-process",
    model,
    identity: `in-process:${model}`,
    rateLimitKey: "in-process",
    baseURL: "in-process",
    generate: (request) =>
      Effect.promise(async () => {
        const reply = await brain(asCall(request, model), n++)
        if (reply.type !== "message") throw new Error(`the in-process model only plays messages, not ${reply.type}`)
        const response: ModelResponse = {
          text: reply.text ?? null,
          toolCalls: (reply.toolCalls ?? []).map((c) => ({ id: c.id ?? `call_${++ids}`, name: c.name, argumentsJson: c.arguments })),
          usage: { promptTokens: reply.usage?.input ?? 0, completionTokens: reply.usage?.output ?? 0 },
          finishReason: (reply.toolCalls ?? []).length > 0 ? "tool-calls" : "stop",
          raw: null,
        }
        return response
      }),
  }
}
