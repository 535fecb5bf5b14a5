/**
 * `@tau-sim/engine/testing`: the event store's specification as tests, for every backend to run
 * (LangGraph's checkpoint-validation habit). A backend's spec file calls
 *
 *   runEventStoreConformance("postgres", () => openPostgresStore(freshDatabase()))
 *
 * with a factory that opens a fresh, empty store; or, to work on one operation at a time, one of
 * the per-operation suites below. The example events the suites use are exported too.
 */
import { appendConformance } from "./conformance/append.ts"
import { chainConformance } from "./conformance/chain.ts"
import { leasesConformance } from "./conformance/leases.ts"
import { lifecycleConformance } from "./conformance/lifecycle.ts"
import { modelCallsConformance } from "./conformance/model-calls.ts"
import { readModelConformance } from "./conformance/read-model.ts"
import { readConformance } from "./conformance/read.ts"
import { runsConformance } from "./conformance/runs.ts"
import { scoresConformance } from "./conformance/scores.ts"
import { timesConformance } from "./conformance/times.ts"
import type { StoreFactory } from "./conformance/support.ts"

export type { StoreFactory } from "./conformance/support.ts"
export * from "./sample-events.ts"
export { rowFactoriesCompiled } from "./row-factories.ts"

/** Each operation's suite, by name. */
export const conformanceSuites = {
  append: appendConformance,
  read: readConformance,
  readModel: readModelConformance,
  scores: scoresConformance,
  runs: runsConformance,
  leases: leasesConformance,
  chain: chainConformance,
  modelCalls: modelCallsConformance,
  lifecycle: lifecycleConformance,
  times: timesConformance,
} as const satisfies Record<string, (name: string, makeStore: StoreFactory) => void>

/** Every suite against one backend; `name` heads each `describe`. */
export const runEventStoreConformance = (name: string, makeStore: StoreFactory): void => {
  for (const suite of Object.values(conformanceSuites)) suite(name, makeStore)
}
