/**
 * The participant factory of a composition root: `ModelParticipants.layer` over a provided
 * `ModelRuntime` builds model participants that call through that runtime (its environment, its
 * totals, its credentials), falls back to the built-in participants of the engine, and turns every
 * spec it cannot use into a typed `ParticipantSpecError` with the spec and message redacted.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { demoDomain } from "@tau-sim/domains/demo"
import { type EpisodeStarted, foldHistory, ParticipantFactory, setupEvents, type Side, type TurnInput } from "@tau-sim/engine"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type FakeCall, type FakeLlmServer, startFakeLlmServer } from "../testing/index.ts"
import { ModelParticipants, ModelRuntime, type ModelRuntimeOptions, SpecCredentials } from "../src/index.ts"

const KEY = "sk-test-factory-0123456789"
const PASSWORD = "pw-factory-secret-4242"
let server: FakeLlmServer
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-sim-factory-"))
beforeAll(async () => {
  server = await startFakeLlmServer({ brain: () => ({ type: "message", text: "hello from the model", usage: { input: 10, output: 3 } }) })
})
afterAll(async () => {
  await server.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const domain = demoDomain()
const task = domain.tasks.find((t) => t.id === "renew_loan") ?? (undefined as never)
const started: EpisodeStarted = {
  _tag: "EpisodeStarted",
  v: 2,
  runId: "r",
  episodeId: "e",
  domain: domain.name,
  taskId: task.id,
  trial: 0,
  hashes: { task: "t", policy: "p", data: "d" },
  dataDir: null,
  policyVariant: "default",
  mode: "default",
  agent: "openai:gpt-4.1",
  user: "scripted",
  seed: 1,
  limits: { maxSteps: 10, maxErrors: 10 },
  engineVersion: "test",
  parent: null,
}
const input = (role: Side): TurnInput => ({ role, domain, task, state: foldHistory(domain, setupEvents(started, domain, task)) })

/** Runtime and factory as a composition root provides them; each run builds both afresh. */
const roots = (options: Partial<ModelRuntimeOptions> = {}) => {
  const runtime = ModelRuntime.layer({ env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseURL }, credentials: new SpecCredentials(), ...options })
  return Layer.provideMerge(ModelParticipants.layer, runtime)
}
const run = <A, E>(program: Effect.Effect<A, E, ParticipantFactory | ModelRuntime>, options: Partial<ModelRuntimeOptions> = {}) =>
  Effect.runPromise(program.pipe(Effect.provide(roots(options))))

const specError = (spec: string, side: Side, options: Partial<ModelRuntimeOptions> = {}) =>
  run(Effect.flip(ParticipantFactory.use((f) => f.make(spec, side))), options)

describe("the model participant factory", () => {
  it("builds model participants that call through the provided runtime, and the built-in ones for other specs", async () => {
    const { turn, totals, oracle, scripted } = await run(
      Effect.gen(function* () {
        const factory = yield* ParticipantFactory
        const agent = yield* factory.make("openai:gpt-4.1", "agent")
        expect(agent.spec).toBe("openai:gpt-4.1")
        const turn = yield* agent.act(input("agent"))
        return {
          turn,
          totals: { ...(yield* ModelRuntime).totals },
          oracle: (yield* factory.make("oracle", "agent")).spec,
          scripted: (yield* factory.make("scripted", "user")).spec,
        }
      }),
    )
    expect(turn.text).toBe("hello from the model")
    expect(turn.modelCalls?.map((e) => [e.participant, e.model, e.usage.promptTokens])).toEqual([["agent", "gpt-4.1", 10]])
    expect(totals).toMatchObject({ calls: 1, promptTokens: 10, completionTokens: 3 })
    expect([oracle, scripted]).toEqual(["oracle", "scripted"])
  })

  it("names what is wrong with a built-in spec, as the engine's factory does", async () => {
    const bad = path.join(dir, "bad.json")
    fs.writeFileSync(bad, JSON.stringify({ text: "not a list" }))
    const missing = path.join(dir, "missing.json")
    const cases: Array<[string, Side, RegExp]> = [
      ["oracle", "user", /^oracle is an agent; for the user use `scripted`$/],
      ["scripted", "agent", /^`scripted` without a file is the task-script user; give an agent a script with `scripted:<file.json>`$/],
      ["nobody", "agent", /^unknown participant "nobody" \(known: oracle, scripted, scripted:<file\.json>\)$/],
      [`scripted:${missing}`, "agent", new RegExp(`^scripted:${missing}: cannot read script ${missing}: ENOENT`)],
      [`scripted:${bad}`, "agent", new RegExp(`^scripted:${bad}: ${bad} is not a list of turns`)],
    ]
    for (const [spec, side, message] of cases) {
      const error = await specError(spec, side)
      expect(error).toMatchObject({ _tag: "ParticipantSpecError", spec })
      expect(error.message).toMatch(message)
    }
  })

  it("turns a model spec it cannot call into a ParticipantSpecError: malformed, no API key", async () => {
    expect(await specError("openai:", "agent")).toMatchObject({
      _tag: "ParticipantSpecError",
      spec: "openai:",
      message: expect.stringMatching(/expected openai:<model>/),
    })
    const noKey = await specError("anthropic:claude-sonnet-4-5", "user")
    expect(noKey.message).toMatch(/ANTHROPIC_API_KEY/)
  })

  it("redacts URL credentials with the runtime's own credentials: the public spec calls the live URL in this runtime only", async () => {
    const live = `compat:local@${server.url.replace("://", `://svc:${PASSWORD}@`)}/v1`
    const { shown, text, sent } = await run(
      Effect.gen(function* () {
        const factory = yield* ParticipantFactory
        const shown = factory.publicSpec(live)
        const before = server.calls.length
        const agent = yield* factory.make(shown, "agent")
        const turn = yield* agent.act(input("agent"))
        return { shown, text: turn.text, sent: server.calls.slice(before) as FakeCall[] }
      }),
    )
    expect(shown).toBe(`compat:local@${server.url.replace("://", "://***@")}/v1`)
    expect(text).toBe("hello from the model")
    expect(sent[0].headers.authorization).toBe(`Basic ${Buffer.from(`svc:${PASSWORD}`).toString("base64")}`)
    // Another runtime was not given the live spec: a typed error naming where to give it, no secret in it.
    const elsewhere = await specError(shown, "agent")
    expect(elsewhere).toMatchObject({ _tag: "ParticipantSpecError", spec: shown, message: expect.stringMatching(/COMPAT_BASE_URL/) })
    // A malformed spec with credentials: its message is redacted too.
    const malformed = await specError(`compat:@${server.url.replace("://", `://svc:${PASSWORD}@`)}/v1`, "agent")
    expect(malformed.message).toMatch(/compat:<model>@<base-url>/)
    expect(JSON.stringify(malformed)).not.toContain(PASSWORD)
  })
})
