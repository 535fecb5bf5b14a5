/** The retail domain as the loader builds it (loaded once per process, then cached by the loader). */
import type { Domain } from "@tau-sim/engine"
import { loadTau2Domain } from "../../src/index.ts"
import { TAU2_DATA_DIR } from "../paths.ts"

export const loadRetailDomain = (): Domain => loadTau2Domain("retail", TAU2_DATA_DIR)
