/**
 * The experiment file's documentation (docs/experiment-file.md) names exactly the keys the schema
 * accepts, and the shipped example (examples/experiment.yaml) is a valid experiment.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ExperimentFile, ExperimentTasks, loadExperimentFile } from "../../src/index.ts"

const repo = join(import.meta.dirname, "../../../..")

/** The first column of the docs' key table: `name`, `tasks.split`, … */
const documentedKeys = (): Array<string> =>
  readFileSync(join(repo, "docs/experiment-file.md"), "utf8")
    .split("\n")
    .flatMap((line) => {
      const key = /^\| `([a-z_.]+)` \|/.exec(line)?.[1]
      return key === undefined ? [] : [key]
    })

describe("the experiment file's documentation", () => {
  it("documents every key the schema accepts, and only those", () => {
    const schemaKeys = [...Object.keys(ExperimentFile.fields), ...Object.keys(ExperimentTasks.fields).map((k) => `tasks.${k}`)]
    expect(documentedKeys().sort()).toEqual(schemaKeys.sort())
  })

  it("ships an example that is a valid experiment", () => {
    const spec = loadExperimentFile(join(repo, "examples/experiment.yaml"))
    expect(spec.name).toBe("demo-ablation")
    expect(spec.modes).toEqual(["default", "oracle-plan", "no-policy"])
    expect(spec.trials).toBe(2)
  })
})
