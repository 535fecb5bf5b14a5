/**
 * Where `tau data fetch` keeps the official τ² data: one folder per tau2-bench commit under the
 * per-user cache. The CLI's resolution order and the tests' data lookup both read it from here.
 */
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
