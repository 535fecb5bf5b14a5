/**
 * The airline domain as the loader builds it. Until `airline` is registered in the loader's
 * registry, it is assembled here from `airlineModule` the same way `loadTau2Domain` does.
 */
import * as path from "node:path"
import type { Domain } from "@tau-sim/engine"
import { hashFiles, hashTexts, listTau2Domains, loadTau2Domain } from "../../src/index.ts"
import { airlineModule } from "../../src/tau2/airline/index.ts"
import { readSplits, readTaskFile, tau2DomainDir } from "../../src/tau2/load.ts"
import { testDataDirs } from "../../testing/locate.ts"

// The suites using this helper declared their needs (needsData); missing folders are placeholders.
const { tau2: TAU2_DATA_DIR } = testDataDirs()

let cached: Domain | undefined

export const loadAirlineDomain = (): Domain => {
  if (listTau2Domains().includes("airline")) return loadTau2Domain("airline", TAU2_DATA_DIR)
  if (cached) return cached
  const dir = tau2DomainDir("airline", TAU2_DATA_DIR)
  const databases = airlineModule.loadDatabases(dir)
  const taskFile = path.join(dir, "tasks.json")
  const tasks = readTaskFile(taskFile)
  const policy = airlineModule.loadPolicies(dir)
  cached = {
    name: "airline",
    agentToolkit: airlineModule.agentToolkit,
    initialWorld: Object.freeze({ agent: databases.agent }),
    policy,
    tasks,
    splits: readSplits(dir, new Set(tasks.map((t) => t.id))),
    hashes: { data: hashFiles(databases.files), tasks: hashFiles([taskFile]), policy: hashTexts(policy) },
    supportsSolo: airlineModule.supportsSolo,
  }
  return cached
}
