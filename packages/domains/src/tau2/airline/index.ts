/**
 * The τ² airline domain (semantics §4.2): one agent toolkit over flights, users and reservations;
 * no user toolkit, no solo mode (the reference's environment refuses it), no synchronisation.
 */
import * as path from "node:path"
import type { Tau2DomainModule } from "../module.ts"
import { readTextFile } from "../validate.ts"
import { loadFlightDb } from "./db.ts"
import { airlineToolkit } from "./tools.ts"

export const airlineModule: Tau2DomainModule = {
  name: "airline",
  loadDatabases: (domainDir) => {
    const { db, file } = loadFlightDb(domainDir)
    return { agent: db, files: [file] }
  },
  // The reference reads `policy.md` verbatim; there is no solo variant.
  loadPolicies: (domainDir) => ({ default: readTextFile(path.join(domainDir, "policy.md")) }),
  agentToolkit: airlineToolkit,
  supportsSolo: false,
}
