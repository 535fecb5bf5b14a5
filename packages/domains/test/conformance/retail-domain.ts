/** The retail domain as the loader builds it (loaded once per process, then cached by the loader). */
import type { Domain } from "@tau-sim/engine"
import { loadTau2Domain } from "../../src/index.ts"
import { testDataDirs } from "../../testing/locate.ts"

// The suites using this helper declared their needs (needsData); missing folders are placeholders.
const { tau2: TAU2_DATA_DIR } = testDataDirs()

export const loadRetailDomain = (): Domain => loadTau2Domain("retail", TAU2_DATA_DIR)
