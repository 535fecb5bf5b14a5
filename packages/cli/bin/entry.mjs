// Which code the `tau` executable runs: the bundle that `node build.ts` made (ADR 0006) when it is
// at least as new as every workspace source inside it, else the sources, so an edited checkout never
// runs yesterday's code. Plain JavaScript: it runs before anything is bundled or type-stripped.
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"

/** The file to import for the CLI package at `cliDir`: `dist/tau.mjs` when current, else `src/main.ts`. */
export const chooseEntry = (cliDir) => {
  const bundle = join(cliDir, "dist", "tau.mjs")
  try {
    const built = statSync(bundle).mtimeMs
    const inputs = JSON.parse(readFileSync(join(cliDir, "dist", "inputs.json"), "utf8"))
    if (inputs.length > 0 && inputs.every((file) => statSync(join(cliDir, file)).mtimeMs <= built)) return bundle
  } catch {
    // No bundle, an unreadable list, or a source it lists is gone: the sources are the truth.
  }
  return join(cliDir, "src", "main.ts")
}
