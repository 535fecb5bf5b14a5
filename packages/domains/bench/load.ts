/** Loading time per τ² domain (databases, tasks, policies), from a cold cache. */
import { clearTau2Cache, loadTau2Domain } from "../src/index.ts"
import { requireDataDir } from "../testing/locate.ts"

/** Found like the tests find it (../testing/locate.ts); missing data throws the notice. */
export const benchDomainLoad = (dataDir = requireDataDir("tau2")): Record<string, number> => {
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
