/**
 * Where the τ² data is: one resolution order for every command that needs it.
 * `--data-dir` > `TAU2_DATA_DIR` > the folder `tau data fetch` installed (default commit) > none.
 */
import { existsSync } from "node:fs"
import { homedir } from "node:os"
import * as path from "node:path"

/** The tau2-bench commit our conformance fixtures were made from, and the data `tau data fetch` gets by default. */
export const DEFAULT_TAU2_COMMIT = "a2c024725189473d2d7cea3a5cfdbcc67478e41f"

/** `${XDG_CACHE_HOME:-~/.cache}/tau-sim/tau2-data`: where fetched data sets live, one folder per commit. */
export const tau2DataCacheRoot = (): string => {
  const xdg = process.env.XDG_CACHE_HOME
  // The XDG spec: a relative value is invalid and is ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(homedir(), ".cache")
  return path.join(base, "tau-sim", "tau2-data")
}

/** The folder `tau data fetch --ref <commit>` installs into (it contains `domains/<name>/`). */
export const tau2DataCacheDir = (commit: string = DEFAULT_TAU2_COMMIT): string => path.join(tau2DataCacheRoot(), commit)

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
