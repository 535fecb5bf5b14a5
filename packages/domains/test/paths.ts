/** Where tests find the shared τ² data and the reference's conformance fixtures. */
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
export const TAU2_DATA_DIR = process.env.TAU2_DATA_DIR ?? path.resolve(repoRoot, "../shared/tau2-data/tau2")
export const CONFORMANCE_DIR = process.env.TAU_CONFORMANCE_DIR ?? path.resolve(repoRoot, "../shared/conformance")
