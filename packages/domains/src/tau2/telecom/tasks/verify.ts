/**
 * The reference generator's self-check of a task (`TaskManager.verify_task`), which is the SDK's
 * validity proof with the intent's success assertions as what "fixed" means: the fresh scenario
 * is fixed; after the initial state it is not; it stays broken until the last gold action (run one
 * by one with sync) and is fixed after it (or stays broken when the task is unfixable); finally
 * every env assertion of the task holds.
 */
import type { Domain, Task } from "@tau-sim/engine"
import { proveTask } from "@tau-sim/engine/sdk"
import { parseTelecomTaskId, telecomFamily } from "./generate.ts"
import { ScenarioEnv } from "./scenario.ts"

/** Problems found (empty when the task passes the reference's verification). */
export const verifyTelecomTask = (domain: Domain, task: Task): string[] => [
  ...proveTask(domain, task, telecomFamily(parseTelecomTaskId(task.id).intent), new ScenarioEnv(domain)).problems,
]
