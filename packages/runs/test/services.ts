/** The services runs need, for tests: a SQLite store, the built-in domains, and the built-in participants plus any a test adds. */
import { builtinDomains } from "@tau-sim/domains"
import {
  builtinParticipants,
  type DomainResolver,
  type EventStore,
  layerSqlite,
  type Participant,
  ParticipantFactory,
  type ParticipantFactoryShape,
} from "@tau-sim/engine"
import { Effect, Layer } from "effect"
import type { RunConfig } from "../src/index.ts"

export type RunServices = EventStore | DomainResolver | ParticipantFactory

/** The built-in participants, and `extra` ones by spec (a test's flaky or probing agent). */
export const participantsWith = (extra: Readonly<Record<string, Participant>> = {}): ParticipantFactoryShape => ({
  make: (spec, side) => (Object.hasOwn(extra, spec) ? Effect.succeed(extra[spec]) : builtinParticipants.make(spec, side)),
  publicSpec: (spec) => spec,
})

/** Domains and participants (no store). */
export const runServices = (participants: ParticipantFactoryShape = builtinParticipants) =>
  Layer.mergeAll(builtinDomains(), Layer.succeed(ParticipantFactory, participants))

/** Runs `effect` over the SQLite store at `path` with the run services. */
export const withRunStore = <A, E>(path: string, effect: Effect.Effect<A, E, RunServices>, participants?: ParticipantFactoryShape): Promise<A> =>
  Effect.runPromise(effect.pipe(Effect.provide([layerSqlite(path), runServices(participants)])) as Effect.Effect<A, never, never>)

/** A plain one-trial demo run of the given tasks, as tests start it (oracle agent, scripted user, one at a time). */
export const demoRunConfig = (runId: string, taskIds: ReadonlyArray<string>, fields: Partial<RunConfig> = {}): RunConfig => ({
  runId,
  domain: "demo",
  dataDir: null,
  policyVariant: "default",
  agent: "oracle",
  user: "scripted",
  mode: "default",
  trials: 1,
  seed: 300,
  maxSteps: 200,
  maxErrors: 10,
  taskIds,
  maxConcurrency: 1,
  ...fields,
})
