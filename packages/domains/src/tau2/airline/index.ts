/**
 * The τ² airline domain (semantics §4.2): one agent toolkit over flights, users and reservations;
 * no user toolkit, no solo mode (the reference's environment refuses it), no synchronisation.
 */
import { jsonDatabases, policyFiles, type Tau2DomainModule } from "../module.ts"
import { FlightDB } from "./models.ts"
import { airlineToolkit } from "./tools.ts"

export const airlineModule: Tau2DomainModule = {
  name: "airline",
  loadDatabases: jsonDatabases(["db.json", FlightDB]),
  // The reference reads `policy.md` verbatim; there is no solo variant.
  loadPolicies: policyFiles({ default: "policy.md" }),
  agentToolkit: airlineToolkit,
  supportsSolo: false,
}
