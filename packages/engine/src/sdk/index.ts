/**
 * `@tau-sim/engine/sdk`: the public API for writing a domain (docs/writing-a-domain.md).
 *
 *   import { defineDomain, tool, param, Schema, ToolError } from "@tau-sim/engine/sdk"
 *   export default defineDomain({ name, policy, database, agentTools, tasks, subtasks })
 *
 * A domain module loaded with `--domain ./path` gets this module (and `effect`) from the `tau`
 * that loads it, whatever is installed beside the module.
 */
export { Schema } from "effect"
export type { Domain, Helper, PolicyVariants, Side, ToolContext, ToolDef, ToolKind, Toolkit } from "../domain.ts"
export { ToolError } from "../domain.ts"
export { float, isFloat, num, type PyObject, type PyValue } from "../py/value.ts"
export * as PyJson from "../py/json.ts"
export type { Draft } from "../world/draft.ts"
export { Task, type Action, type EnvAssertion, type RewardType } from "../task.ts"
export {
  type Args,
  type DatabaseSpec,
  DOMAIN_MARK,
  declaredDataFiles,
  defineDomain,
  type DomainSpec,
  fn,
  type FunctionSpec,
  isDefinedDomain,
  type Param,
  type Params,
  param,
  type SubtaskCatalog,
  type ToolkitSpec,
  type ToolSpec,
  tool,
} from "./define.ts"
export { assertion, describeCall, type EnvCall, type GoldCall, gold, initCall } from "./calls.ts"
export { GenerationEnv } from "./env.ts"
export { DomainDefinitionError, TaskGenerationError } from "./errors.ts"
export {
  composedTaskId,
  composeTask,
  DEFAULT_PERSONAS,
  defaultTaskLayout,
  envAssertionOf,
  findSubtask,
  personasOf,
  type Step,
  type Subtask,
  type SubtaskGroup,
  subtasksByName,
  type TaskFamily,
  type TaskParts,
} from "./family.ts"
export { type Proof, proveTask } from "./proof.ts"
export {
  type Composition,
  compositionSpace,
  type Coverage,
  coverageOf,
  type GenerateOptions,
  type Generated,
  type GeneratedRecord,
  generatedRecordOf,
  generateOne,
  generateTasks,
  generationFamilies,
  GENERATOR_VERSION,
  MAX_ENUMERATED,
  type Rejected,
  reproveTask,
  type Space,
} from "./generate.ts"
export { callTool, type GoldRun, playGold, type ToolResult } from "./check.ts"
