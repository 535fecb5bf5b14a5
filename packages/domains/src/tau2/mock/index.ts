/** The τ² `mock` domain: a per-user task list (agent) and a notification inbox (user). Supports solo mode. */
import { jsonDatabases, policyFiles, type Tau2DomainModule } from "../module.ts"
import { MockDB, MockUserDB } from "./models.ts"
import { mockAgentToolkit } from "./tools.ts"
import { mockUserToolkit } from "./user-tools.ts"

export const mockModule: Tau2DomainModule = {
  name: "mock",
  loadDatabases: jsonDatabases(["db.json", MockDB], ["user_db.json", MockUserDB]),
  loadPolicies: policyFiles({ default: "policy.md", solo: "policy_solo.md" }),
  agentToolkit: mockAgentToolkit,
  userToolkit: mockUserToolkit,
  supportsSolo: true,
}
