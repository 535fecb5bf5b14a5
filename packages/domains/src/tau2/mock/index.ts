/** The τ² `mock` domain: a per-user task list (agent) and a notification inbox (user). Supports solo mode. */
import * as path from "node:path"
import type { Tau2DomainModule } from "../module.ts"
import { readTextFile } from "../validate.ts"
import { loadMockDatabases } from "./db.ts"
import { mockAgentToolkit } from "./tools.ts"
import { mockUserToolkit } from "./user-tools.ts"

export const mockModule: Tau2DomainModule = {
  name: "mock",
  loadDatabases: loadMockDatabases,
  loadPolicies: (domainDir) => ({
    default: readTextFile(path.join(domainDir, "policy.md")),
    solo: readTextFile(path.join(domainDir, "policy_solo.md")),
  }),
  agentToolkit: mockAgentToolkit,
  userToolkit: mockUserToolkit,
  supportsSolo: true,
}
