/**
 * The τ² `telecom` domain (semantics §4.4): dual control over an agent-side customer database and
 * the user's simulated phone, kept in step by `sync` after every tool call. Supports solo mode and
 * the `workflow` policy variant. Tasks for the `full` split are also generated from their ids by
 * `telecomTaskFromId` (the reference's task generator, §4.4.6).
 */
import type { Tau2DomainModule } from "../module.ts"
import { telecomAgentToolkit } from "./agent-tools.ts"
import { loadTelecomDatabases } from "./databases.ts"
import { loadTelecomPolicies } from "./policy.ts"
import { syncTelecom } from "./sync.ts"
import { TELECOM_FAMILIES } from "./tasks/generate.ts"
import { telecomUserToolkit } from "./user-tools.ts"

export const telecomModule: Tau2DomainModule = {
  name: "telecom",
  loadDatabases: loadTelecomDatabases,
  loadPolicies: loadTelecomPolicies,
  agentToolkit: telecomAgentToolkit,
  userToolkit: telecomUserToolkit,
  sync: syncTelecom,
  supportsSolo: true,
  taskFamilies: TELECOM_FAMILIES,
}

export { RUNTIME_KEY } from "./runtime.ts"
export { parseTelecomTaskId, TaskGenerationError, TELECOM_FAMILIES, telecomTaskFromId } from "./tasks/generate.ts"
export { verifyTelecomTask } from "./tasks/verify.ts"
export { telecomPythonDump, telecomUserPythonDump } from "./python-dump.ts"
