/** Loading time per τ² domain (databases, tasks, policies), from a cold cache. */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { clearTau2Cache, loadTau2Domain } from "../src/index.ts"

const DEFAULT_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../shared/tau2-data/tau2")

export const benchDomainLoad = (dataDir = process.env.TAU2_DATA_DIR ?? DEFAULT_DATA_DIR): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const name of ["mock", "airline", "retail", "telecom"]) {
    const runs: number[] = []
    for (let i = 0; i < 3; i++) {
      clearTau2Cache()
      const t0 = performance.now()
      loadTau2Domain(name, dataDir)
      runs.push(performance.now() - t0)
    }
    out[name] = Number(Math.min(...runs).toFixed(1))
  }
  return out
}
