/**
 * The telecom domain for tests, assembled from `telecomModule` and the shared data folder (so the
 * tests do not depend on the domain registry).
 */
import * as path from "node:path"
import type { Domain, PyValue } from "@tau-sim/engine"
import { readTaskFile } from "../../src/tau2/load.ts"
import { telecomModule } from "../../src/tau2/telecom/index.ts"
import { testDataDirs } from "../../testing/locate.ts"

// The suites using this helper declared their needs (needsData); missing folders are placeholders.
const { tau2: TAU2_DATA_DIR } = testDataDirs()

export const TELECOM_DIR = path.join(TAU2_DATA_DIR, "domains", "telecom")

let cached: Domain | undefined

export const telecomDomain = (options: { withTasks?: boolean } = {}): Domain => {
  if (cached && (cached.tasks.length > 0 || !options.withTasks)) return cached
  const dbs = telecomModule.loadDatabases(TELECOM_DIR)
  const world: Record<string, PyValue> = { agent: dbs.agent }
  if (dbs.user !== undefined) world.user = dbs.user
  cached = {
    name: "telecom",
    agentToolkit: telecomModule.agentToolkit,
    ...(telecomModule.userToolkit && { userToolkit: telecomModule.userToolkit }),
    initialWorld: world,
    policy: telecomModule.loadPolicies(TELECOM_DIR),
    tasks: options.withTasks ? readTaskFile(path.join(TELECOM_DIR, "tasks.json")) : [],
    splits: {},
    hashes: { data: "", tasks: "", policy: "" },
    ...(telecomModule.sync && { sync: telecomModule.sync }),
    supportsSolo: telecomModule.supportsSolo,
  }
  return cached
}
