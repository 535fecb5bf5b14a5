/**
 * The τ² retail domain (semantics §4.3): one agent toolkit over products, users and orders; no
 * user toolkit, no solo mode, no synchronisation.
 */
import * as path from "node:path"
import type { Tau2DomainModule } from "../module.ts"
import { readTextFile } from "../validate.ts"
import { loadRetailDb } from "./db.ts"
import { retailToolkit } from "./tools.ts"

export const retailModule: Tau2DomainModule = {
  name: "retail",
  loadDatabases: (domainDir) => {
    const { db, file } = loadRetailDb(domainDir)
    return { agent: db, files: [file] }
  },
  // The reference reads `policy.md` verbatim; there is no solo variant.
  loadPolicies: (domainDir) => ({ default: readTextFile(path.join(domainDir, "policy.md")) }),
  agentToolkit: retailToolkit,
  supportsSolo: false,
}
