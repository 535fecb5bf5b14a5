/**
 * The retail domain as the loader builds it. Until the loader's registry lists `retail`, the same
 * `Domain` is assembled here from `retailModule` and the loader's task/split readers.
 */
import * as path from "node:path"
import type { Domain } from "@tau-sim/engine"
import { listTau2Domains, loadTau2Domain, readSplits, readTaskFile, tau2DomainDir } from "../../src/index.ts"
import { retailModule } from "../../src/tau2/retail/index.ts"
import { TAU2_DATA_DIR } from "../paths.ts"

let assembled: Domain | undefined

const assembleRetailDomain = (): Domain => {
  const dir = tau2DomainDir("retail", TAU2_DATA_DIR)
  const databases = retailModule.loadDatabases(dir)
  const tasks = readTaskFile(path.join(dir, "tasks.json"))
  return {
    name: "retail",
    agentToolkit: retailModule.agentToolkit,
    initialWorld: { agent: databases.agent },
    policy: retailModule.loadPolicies(dir),
    tasks,
    splits: readSplits(dir, new Set(tasks.map((t) => t.id))),
    hashes: { data: "", tasks: "", policy: "" },
    supportsSolo: retailModule.supportsSolo,
  }
}

export const loadRetailDomain = (): Domain => {
  if (listTau2Domains().includes("retail")) return loadTau2Domain("retail", TAU2_DATA_DIR)
  assembled ??= assembleRetailDomain()
  return assembled
}
