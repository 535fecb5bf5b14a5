/**
 * Where the τ² data is: one resolution order for every command that needs it.
 * `--data-dir` > `TAU2_DATA_DIR` > the folder `tau data fetch` installed (default commit) > none.
 */
import { existsSync } from "node:fs"
import * as path from "node:path"
import { tau2DataCacheDir } from "./tau2/data-cache.ts"

/** Where the τ² data is read from, absolute; null when no source exists (then the error says to run `tau data fetch`). */
export const resolveDataDir = (flag?: string | null): string | null => {
  if (flag) return path.resolve(flag)
  const env = process.env.TAU2_DATA_DIR
  if (env) return path.resolve(env)
  const cached = tau2DataCacheDir()
  return existsSync(path.join(cached, "domains")) ? cached : null
}

/** What to do when no τ² data is found. */
export const noDataHint = (domain: string): string =>
  `domain ${domain} needs the τ² data: run \`tau data fetch\` once (or give --data-dir / set TAU2_DATA_DIR to a folder with domains/${domain}/)`
