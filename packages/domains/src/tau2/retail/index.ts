/**
 * The τ² retail domain (semantics §4.3): one agent toolkit over products, users and orders; no
 * user toolkit, no solo mode, no synchronisation.
 */
import { jsonDatabases, policyFiles, type Tau2DomainModule } from "../module.ts"
import { RetailDB } from "./models.ts"
import { retailToolkit } from "./tools.ts"

export const retailModule: Tau2DomainModule = {
  name: "retail",
  // Product and item ids are integer-like keys that the tools list in the file's (Python) order.
  loadDatabases: jsonDatabases(["db.json", RetailDB, { keyOrder: true }]),
  // The reference reads `policy.md` verbatim; there is no solo variant.
  loadPolicies: policyFiles({ default: "policy.md" }),
  agentToolkit: retailToolkit,
  supportsSolo: false,
}
